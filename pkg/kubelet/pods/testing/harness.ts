/**
 * Pod workers over the fake runtime, with a settable clock, an in-memory pod store and API,
 * recorded events, and volumes and env that do what the test says: the unit tests drive
 * reconcile(uid) by hand, so nothing depends on timers except the probes (which run on a
 * shortened "second").
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KObject } from '../../../api/types.ts';
import { logger } from '../../../log/log.ts';
import type { Mount } from '../../runtime.ts';
import { ImageManager } from '../images.ts';
import { ProbeManager } from '../probes.ts';
import { PodSyncer, type SyncDeps } from '../sync.ts';
import { PodWorkers } from '../workers.ts';
import { FakeRuntime } from './fakeruntime.ts';

export interface RecordedEvent {
  type: string;
  reason: string;
  message: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** A pod bound to the node with busybox-like containers (images present unless said otherwise). */
export function makePod(name: string, spec: Json, extra: Json = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: crypto.randomUUID(), resourceVersion: '1', ...(extra.metadata ?? {}) },
    spec: { nodeName: 'node1', restartPolicy: 'Always', ...spec },
    status: { phase: 'Pending', ...(extra.status ?? {}) },
  };
}

/** A container that runs until told otherwise, from an image the harness makes present. */
export const sleeper = (name: string, extra: Json = {}) => ({ name, image: 'busybox:1.36', command: ['sleep', '3600'], ...extra });

export class Harness {
  clock = Date.parse('2026-01-01T00:00:00Z');
  readonly now = () => this.clock;
  readonly runtime: FakeRuntime;
  readonly events: RecordedEvent[] = [];
  readonly pods: Map<string, KObject>;
  readonly statusWrites: Json[] = [];
  readonly deleted: string[] = [];
  readonly tornDown: string[] = [];
  /** What the volume manager says it has on disk. */
  uidsOnDisk: string[] = [];
  readonly probeWakeups: string[] = [];
  readonly dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-kubelet-'));
  /** Volume set-up fails with this while set. */
  volumeError: Error | undefined;
  /** While set, status writes reach the API but not the pod store (an informer behind). */
  informerLags = false;
  /** Mounts setUp answers, by container name. */
  mounts = new Map<string, Mount[]>();
  readonly probes: ProbeManager;
  readonly workers: PodWorkers;
  private rv = 1;

  /** `restartOf`: the agent restarted: a new harness (new workers, probes, back-offs) over the old one's runtime and pods. */
  constructor(opts: { hostIP?: string; restartOf?: Harness } = {}) {
    if (opts.restartOf) this.clock = opts.restartOf.clock;
    this.runtime = opts.restartOf?.runtime ?? new FakeRuntime(this.now);
    this.pods = opts.restartOf?.pods ?? new Map();
    const recorder = { event: (_obj: KObject, type: string, reason: string, message: string) => void this.events.push({ type, reason, message }) };
    this.probes = new ProbeManager({ runtime: this.runtime, recorder, now: this.now, onChange: (uid) => this.probeWakeups.push(uid), secondMs: 10 });
    const deps: SyncDeps = {
      runtime: this.runtime,
      volumes: {
        setUp: async () => {
          if (this.volumeError) throw this.volumeError;
          return this.mounts;
        },
        tearDown: async (uid) => void this.tornDown.push(uid),
        podUidsOnDisk: () => this.uidsOnDisk,
      },
      env: {
        envFor: async (_pod, c) =>
          ((c.env ?? []) as { name: string; value?: string; valueFrom?: unknown }[]).map((e) => {
            if (e.valueFrom) throw new Error(`configmap "missing" not found`);
            return { key: e.name, value: e.value ?? '' };
          }),
      },
      recorder,
      images: new ImageManager(this.runtime, recorder, this.now),
      probes: this.probes,
      sandbox: { dataDir: this.dataDir, dns: { servers: ['10.43.0.10'], domain: 'cluster.local' }, hostDns: { servers: ['192.168.1.1'], searches: ['lan'], options: [] }, cgroupDriver: 'cgroupfs', cgroupRoot: '/kubepods' },
      memoryCapacity: 8 * 2 ** 30,
      hostIP: opts.hostIP ?? '192.168.1.10',
      now: this.now,
      log: logger('kubelet-test'),
    };
    this.workers = new PodWorkers({
      ...deps,
      store: { byUid: (uid) => this.pods.get(uid) },
      api: {
        patchStatus: async (pod, status) => {
          this.statusWrites.push(status);
          const stored = this.pods.get(pod.metadata.uid!);
          if (!stored || this.informerLags) return;
          const others = ((stored.status?.conditions ?? []) as Json[]).filter((c) => !(status.conditions as Json[]).some((n) => n.type === c.type));
          this.pods.set(pod.metadata.uid!, { ...stored, metadata: { ...stored.metadata, resourceVersion: String(++this.rv) }, status: { ...stored.status, ...status, conditions: [...others, ...(status.conditions as Json[])] } });
        },
        deleteFinal: async (pod) => {
          this.deleted.push(pod.metadata.uid!);
          this.pods.delete(pod.metadata.uid!);
        },
      },
      syncer: new PodSyncer(deps),
    });
  }

  add(pod: KObject): KObject {
    for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
      if (c.image && !this.runtime.images.has(c.image) && c.image !== 'missing:1') this.runtime.images.set(c.image, `sha256:${c.image.replace(/\W/g, '')}`);
    }
    this.pods.set(pod.metadata.uid!, pod);
    return pod;
  }

  pod(uid: string): KObject {
    const pod = this.pods.get(uid);
    if (!pod) throw new Error(`pod ${uid} is gone`);
    return pod;
  }

  /** Marks the pod deleted, as the API server does on a graceful DELETE. */
  delete(uid: string, graceSeconds?: number): void {
    const pod = this.pod(uid);
    const grace = graceSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    this.pods.set(uid, { ...pod, metadata: { ...pod.metadata, deletionTimestamp: new Date(this.clock).toISOString(), deletionGracePeriodSeconds: grace } });
  }

  reconcile(uid: string): Promise<boolean | number> {
    return this.workers.reconcile(uid);
  }

  advance(ms: number): void {
    this.clock += ms;
  }

  containerStatus(uid: string, name: string): Json {
    const pod = this.pod(uid);
    const all = [...((pod.status?.initContainerStatuses ?? []) as Json[]), ...((pod.status?.containerStatuses ?? []) as Json[])];
    const found = all.find((s) => s.name === name);
    if (!found) throw new Error(`no status for container ${name}`);
    return found;
  }

  condition(uid: string, type: string): Json | undefined {
    return ((this.pod(uid).status?.conditions ?? []) as Json[]).find((c) => c.type === type);
  }

  eventsOf(reason: string): string[] {
    return this.events.filter((e) => e.reason === reason).map((e) => e.message);
  }

  close(): void {
    this.probes.stopAll();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
