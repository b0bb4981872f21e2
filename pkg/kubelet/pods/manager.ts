/**
 * PodManager: the kubelet's pod side, the one entry point the agent wires. Pods bound to this
 * node come from an informer (fieldSelector spec.nodeName=NODE); a relist of the runtime every
 * second (Kubernetes' PLEG) notices containers that changed state, and a periodic resync looks
 * at every pod again. All three only enqueue pod UIDs; one work queue runs reconcile(uid) from
 * PodWorkers, never two at once for the same pod.
 */
import os from 'node:os';
import type { KObject } from '../../api/types.ts';
import { isClientError, resourcePath, type Client } from '../../client/client.ts';
import type { EventSink } from '../../client/events.ts';
import { Informer } from '../../client/informer.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import { logger, type Logger } from '../../log/log.ts';
import type { EnvResolver, PodVolumes, RuntimeService } from '../runtime.ts';
import { hostResolvConf } from './dns.ts';
import { ImageManager } from './images.ts';
import { POD_UID_LABEL } from './labels.ts';
import { ProbeManager } from './probes.ts';
import type { CgroupDriver } from './resources.ts';
import { PodSyncer } from './sync.ts';
import { ORPHAN_GRACE_SECONDS, PodWorkers, type PodApi } from './workers.ts';

export interface PodManagerDeps {
  client: Client;
  nodeName: string;
  /** The node's address: every pod's hostIP, and the podIP of hostNetwork pods. */
  nodeIP?: string;
  runtime: RuntimeService;
  volumes: PodVolumes;
  env: EnvResolver;
  /** Records events as component "kubelet", host NODE. */
  recorder: EventSink;
  /**
   * DATA_DIR itself (not DATA_DIR/agent): container logs go to DATA_DIR/agent/logs/pods, per-pod
   * files (/etc/hosts, termination logs) to DATA_DIR/agent/pods/<uid>, beside the volume manager's.
   */
  dataDir: string;
  /** --cluster-dns: one address or several. */
  clusterDns: string | string[];
  clusterDomain: string;
  logger?: Logger;
  /** How pods' cgroup parents are spelled; must match the runtime's SystemdCgroup setting (default cgroupfs). */
  cgroupDriver?: CgroupDriver;
  /** Parent of all pod cgroups (default /kubepods). */
  cgroupRoot?: string;
  /** The node's resolv.conf for dnsPolicy Default (default /etc/resolv.conf). */
  resolvConf?: string;
  /** Bytes of memory on the node, for OOM scores (default the host's). */
  memoryCapacity?: number;
  /**
   * False while the pod network is not set up (no CNI config yet): pods that need it wait in
   * ContainerCreating instead of getting a sandbox the runtime cannot network. Default: ready.
   */
  networkReady?: () => boolean;
  /** Runtime relist period (default 1 s) and full resync period (default 60 s). */
  relistMs?: number;
  resyncMs?: number;
}

/** Reconciles at once: a pod being stopped holds one for its grace period, so there are plenty. */
const WORKERS = 64;
const UID_INDEX = 'uid';

export class PodManager {
  private readonly informer: Informer;
  private readonly queue: WorkQueue;
  private readonly probes: ProbeManager;
  private readonly workers: PodWorkers;
  private readonly log: Logger;
  /** Per pod UID, the IDs and states of its sandboxes and containers at the last relist. */
  private seen = new Map<string, string>();
  private relistTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private relistFailing = false;
  private stopped = false;

  constructor(private readonly deps: PodManagerDeps) {
    this.log = deps.logger ?? logger('kubelet');
    const now = Date.now;
    this.informer = new Informer(deps.client, { path: resourcePath({ version: 'v1', resource: 'pods' }), fieldSelector: `spec.nodeName=${deps.nodeName}`, name: 'kubelet pods' });
    this.informer.addIndex(UID_INDEX, (pod) => [pod.metadata.uid!]);
    this.queue = new WorkQueue((uid) => this.workers.reconcile(uid), { name: 'kubelet', workers: WORKERS, paused: true, retryMs: 500, maxRetryMs: 30_000 });
    this.probes = new ProbeManager({ runtime: deps.runtime, recorder: deps.recorder, now, onChange: (uid) => this.queue.add(uid) });
    const images = new ImageManager(deps.runtime, deps.recorder, now);
    const servers = Array.isArray(deps.clusterDns) ? deps.clusterDns : [deps.clusterDns].filter(Boolean);
    const syncDeps = {
      runtime: deps.runtime,
      volumes: deps.volumes,
      env: deps.env,
      recorder: deps.recorder,
      images,
      probes: this.probes,
      sandbox: { dataDir: deps.dataDir, dns: { servers, domain: deps.clusterDomain }, hostDns: hostResolvConf(deps.resolvConf), cgroupDriver: deps.cgroupDriver ?? 'cgroupfs', cgroupRoot: deps.cgroupRoot ?? '/kubepods' },
      memoryCapacity: deps.memoryCapacity ?? os.totalmem(),
      hostIP: deps.nodeIP,
      networkReady: deps.networkReady ?? (() => true),
      now,
      log: this.log,
    };
    this.workers = new PodWorkers({
      ...syncDeps,
      store: { byUid: (uid) => this.informer.byIndex(UID_INDEX, uid)[0] },
      api: this.api(),
      syncer: new PodSyncer(syncDeps),
    });
    const enqueue = (pod: KObject) => this.queue.add(pod.metadata.uid!);
    // A pod deleted again with less grace, or gone while it is being stopped, is stopped sooner.
    const expedite = (uid: string, grace: number) => void this.workers.expedite(uid, grace).catch((err: Error) => this.log.warn(`stopping pod ${uid} sooner: ${err.message}`));
    this.informer
      .onAdd(enqueue)
      .onUpdate((old, pod) => {
        if (pod.metadata.deletionTimestamp && !old.metadata.deletionTimestamp) this.workers.cancelPulls(pod.metadata.uid!);
        const grace = pod.metadata.deletionGracePeriodSeconds;
        if (grace !== undefined && grace < (old.metadata.deletionGracePeriodSeconds ?? Infinity)) expedite(pod.metadata.uid!, grace);
        enqueue(pod);
      })
      .onDelete((pod) => {
        this.workers.cancelPulls(pod.metadata.uid!);
        expedite(pod.metadata.uid!, ORPHAN_GRACE_SECONDS);
        enqueue(pod);
      });
  }

  /** Lists this node's pods, then reconciles them and whatever the runtime holds (adopting, or removing orphans). */
  async start(): Promise<void> {
    this.informer.start();
    await this.informer.waitForSync();
    if (this.stopped) return;
    await this.relist();
    // Pods deleted while the agent was down may have left volumes (tmpfs mounts) and no containers.
    for (const uid of this.deps.volumes.podUidsOnDisk?.() ?? []) {
      if (this.informer.byIndex(UID_INDEX, uid).length === 0) this.queue.add(uid);
    }
    this.queue.resume();
    this.resyncTimer = setInterval(() => {
      for (const pod of this.informer.list()) this.queue.add(pod.metadata.uid!);
    }, this.deps.resyncMs ?? 60_000);
    this.resyncTimer.unref();
  }

  /** Stops watching and probing; containers keep running (a restarted agent adopts them). */
  stop(): void {
    this.stopped = true;
    this.queue.stop();
    if (this.relistTimer) clearTimeout(this.relistTimer);
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.probes.stopAll();
    this.informer.stop();
  }

  /** Resolves when no reconcile is queued or running (tests). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** One PLEG relist: enqueue every pod UID whose sandboxes or containers changed (or vanished). */
  private async relist(): Promise<void> {
    try {
      const [{ items = [] }, { containers = [] }] = await Promise.all([this.deps.runtime.listPodSandbox({}), this.deps.runtime.listContainers({})]);
      const parts = new Map<string, string[]>();
      for (const entity of [...items, ...containers]) {
        const uid = entity.labels?.[POD_UID_LABEL];
        if (!uid) continue;
        let list = parts.get(uid);
        if (!list) parts.set(uid, (list = []));
        list.push(`${entity.id}:${entity.state}`);
      }
      const next = new Map([...parts].map(([uid, list]) => [uid, list.sort().join(',')]));
      for (const [uid, text] of next) if (this.seen.get(uid) !== text) this.queue.add(uid);
      for (const uid of this.seen.keys()) if (!next.has(uid)) this.queue.add(uid);
      this.seen = next;
      if (this.relistFailing) this.log.info('container runtime answers again');
      this.relistFailing = false;
    } catch (err) {
      if (!this.relistFailing) this.log.warn(`relisting the container runtime failed: ${(err as Error).message}`);
      this.relistFailing = true;
    }
    if (this.stopped) return;
    this.relistTimer = setTimeout(() => void this.relist(), this.deps.relistMs ?? 1000);
    this.relistTimer.unref();
  }

  private api(): PodApi {
    const { client } = this.deps;
    const path = (pod: KObject, subresource?: string) => resourcePath({ version: 'v1', resource: 'pods', namespace: pod.metadata.namespace, name: pod.metadata.name, subresource });
    // NotFound: the pod is gone; Conflict: a pod of the same name with another UID replaced it.
    const tolerate = (err: unknown) => {
      if (!isClientError(err, 'NotFound') && !isClientError(err, 'Conflict')) throw err;
    };
    return {
      patchStatus: async (pod, status) => {
        // A strategic merge keeps what a patch leaves out: a condition's reason and message that
        // no longer apply are removed with null, as kubelet's computed patches do.
        const conditions = (status.conditions as Record<string, unknown>[] | undefined)?.map((c) => ({ reason: null, message: null, ...c }));
        const body = { metadata: { uid: pod.metadata.uid }, status: { ...status, ...(conditions ? { conditions } : {}) } };
        await client.patch(path(pod, 'status'), body, 'strategic').catch(tolerate);
      },
      deleteFinal: async (pod) => {
        await client.delete(path(pod), { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } }).catch(tolerate);
      },
    };
  }
}
