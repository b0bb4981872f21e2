/**
 * tsk's kube-scheduler: while it holds the kube-system/kube-scheduler Lease it watches nodes
 * and pods, keeps the cache of what each node holds, and places pending pods one at a time
 * (filters, then scores of a sample of the feasible nodes). The decision is booked in the
 * cache at once (the pod is "assumed" on its node) and the binding is written in the
 * background, several at a time, so the next pod is decided without waiting for the API.
 * Pods that fit nowhere get a FailedScheduling event and PodScheduled=False with
 * kube-scheduler's message, may preempt lower-priority pods, and wait for the cluster to change.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import type { Client } from '../client/client.ts';
import { EventRecorder, type EventSink } from '../client/events.ts';
import { InformerFactory, type InformerPool } from '../client/factory.ts';
import { LeaderElector } from '../client/leaderelection.ts';
import { logger } from '../log/log.ts';
import { Algorithm } from './algorithm.ts';
import { Binder } from './binder.ts';
import { SchedulerCache } from './cache.ts';
import { fitErrorMessage, NO_NODES, PREEMPTION } from './messages.ts';
import { makePodInfo } from './nodeinfo.ts';
import { Preemptor } from './preemption.ts';
import { SchedulingQueue, type QueueOptions } from './queue.ts';
import { DEFAULT_SCHEDULER, isTerminal, needsScheduling, podKey, type Node, type Pod } from './types.ts';
import { nodeChangeMayHelp, PodStatusWriter } from './status.ts';
import { VolumeBindingError, volumeBinding, VolumePreBinder, type VolumeListers } from './volumebinding.ts';

const log = logger('scheduler');

export interface SchedulerOptions {
  /** Lease duration for leader election (default 15 s). */
  leaseDurationSeconds?: number;
  /** Pods whose spec.schedulerName is this are ours (default "default-scheduler"). */
  schedulerName?: string;
  /** Share of nodes to score (1–100); adaptive when unset, as kube-scheduler. */
  percentageOfNodesToScore?: number;
  /** Bindings in flight at once (default 32). */
  bindConcurrency?: number;
  /** Backoff of pods that did not fit, and how long they may stay parked (kube-scheduler: 1 s, 10 s, 5 min). */
  queue?: QueueOptions;
  /** Informers shared with other components of this thread (default: its own, under its identity). */
  informers?: InformerPool;
  /** How long PreBind waits for a pod's claims to be bound (default 120 s). */
  volumeBindTimeoutMs?: number;
}

/** Scheduling runs in slices this long, then lets the event loop deliver watch events and answers. */
const SLICE_MS = 20;

interface Running {
  informers: InformerFactory;
  queue: SchedulingQueue;
  loop: Promise<void>;
}

export class Scheduler {
  private elector: LeaderElector | undefined;
  private running: Running | undefined;
  private readonly identity = `${os.hostname()}_${crypto.randomUUID()}`;
  private readonly name: string;

  constructor(private readonly client: Client, private readonly options: SchedulerOptions) {
    this.name = options.schedulerName ?? DEFAULT_SCHEDULER;
  }

  start(): void {
    this.elector = new LeaderElector(this.client, {
      namespace: 'kube-system',
      name: 'kube-scheduler',
      identity: this.identity,
      leaseDurationSeconds: this.options.leaseDurationSeconds,
      onStartedLeading: () => this.lead(),
      onStoppedLeading: () => void this.standDown(),
    });
    this.elector.start();
  }

  async stop(): Promise<void> {
    await this.standDown();
    await this.elector?.stop({ release: true });
    this.client.close();
  }

  private lead(): void {
    log.info('leading: scheduling pods');
    const informers = new InformerFactory(this.client, this.options.informers);
    const queue = new SchedulingQueue(this.options.queue);
    const cache = new SchedulerCache();
    const nodes = informers.informerFor<Node>({ version: 'v1', resource: 'nodes' });
    const pods = informers.informerFor<Pod>({ version: 'v1', resource: 'pods' });
    const namespaces = informers.informerFor({ version: 'v1', resource: 'namespaces' });
    const pdbs = informers.informerFor({ group: 'policy', version: 'v1', resource: 'poddisruptionbudgets' });
    cache.namespaceLabels = (ns) => namespaces.get(ns)?.metadata.labels ?? {};
    const claims = informers.informerFor({ version: 'v1', resource: 'persistentvolumeclaims' });
    const volumes = informers.informerFor({ version: 'v1', resource: 'persistentvolumes' });
    const classes = informers.informerFor({ group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses' });
    const listers: VolumeListers = {
      claim: (ns, name) => claims.get(`${ns}/${name}`),
      volume: (name) => volumes.get(name),
      volumes: () => volumes.list(),
      storageClass: (name) => classes.get(name),
    };
    const preBinder = new VolumePreBinder(this.client, listers, { timeoutMs: this.options.volumeBindTimeoutMs });

    const recorder: EventSink = new EventRecorder(this.client, { component: this.name });
    const status = new PodStatusWriter(this.client);
    const preemptor = new Preemptor(this.client, cache, pdbs, recorder, status, this.name);
    const algorithm = new Algorithm(cache, {
      percentageOfNodesToScore: this.options.percentageOfNodesToScore,
      nominated: (info, node) => preemptor.nominatedResources(info, node.name),
      volumes: (info) => volumeBinding(info, listers),
    });
    const binder = new Binder(this.client, this.options.bindConcurrency ?? 32, {
      bound: (pod, node) => recorder.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${podKey(pod)} to ${node}`),
      failed: (pod, err) => {
        cache.forget(pod);
        log.warn(`binding ${podKey(pod)} failed: ${err.message}`);
        if (err instanceof VolumeBindingError) recorder.event(pod, 'Warning', 'FailedScheduling', `running PreBind plugin "VolumeBinding": ${err.message}`);
        const latest = pods.get(podKey(pod));
        if (latest && needsScheduling(latest, this.name)) queue.requeue(latest);
      },
    }, (pod, node) => preBinder.preBind(pod, { name: node, labels: cache.nodeInfo(node)?.labels ?? {} }));
    // A claim or volume that appears or changes may make room for pods waiting on volumes.
    for (const inf of [claims, volumes, classes]) inf.onAdd(() => queue.moveAllToActive()).onUpdate(() => queue.moveAllToActive());

    nodes.onAdd((n) => {
      cache.setNode(n);
      queue.moveAllToActive();
    });
    nodes.onUpdate((old, n) => {
      cache.setNode(n);
      if (nodeChangeMayHelp(old, n)) queue.moveAllToActive();
    });
    nodes.onDelete((n) => cache.removeNode(n.metadata.name!));

    const onPod = (pod: Pod, old?: Pod) => {
      if (pod.spec?.nodeName || isTerminal(pod)) {
        queue.delete(pod);
        cache.updatePod(pod);
        // A pod that finished gives its node's resources back.
        if (old && !isTerminal(old) && isTerminal(pod)) queue.moveAllToActive();
      } else if (needsScheduling(pod, this.name)) {
        if (!cache.isAssumed(podKey(pod))) queue.add(pod);
      } else {
        queue.delete(pod);
      }
    };
    pods.onAdd((p) => onPod(p));
    pods.onUpdate((old, p) => onPod(p, old));
    pods.onDelete((p) => {
      queue.delete(p);
      preemptor.clearNomination(podKey(p));
      const wasPlaced = cache.placement(podKey(p)) !== undefined;
      cache.deletePod(p);
      if (wasPlaced) queue.moveAllToActive();
    });

    const scheduleOne = (pod: Pod, cycle: number): void => {
      const key = podKey(pod);
      const latest = pods.get(key);
      if (!latest || !needsScheduling(latest, this.name) || latest.metadata.uid !== pod.metadata.uid) {
        queue.done(key);
        return;
      }
      const info = makePodInfo(latest);
      const outcome = algorithm.schedule(info);
      if (outcome.node !== undefined) {
        cache.assume(latest, outcome.node);
        preemptor.clearNomination(key);
        queue.done(key);
        binder.bind(latest, outcome.node);
        return;
      }
      const failures = outcome.failures;
      let postFilter: string | undefined;
      let nominatedNode: string | undefined;
      if (outcome.numAllNodes > 0 && outcome.preFilterMessage === undefined) {
        const result = preemptor.preempt(info, failures, outcome.numAllNodes);
        postFilter = result.message;
        nominatedNode = result.node;
      }
      if (outcome.preFilterMessage !== undefined) {
        const n = outcome.numAllNodes;
        postFilter = `${PREEMPTION.prefix}0/${n} nodes are available: ${n} ${PREEMPTION.notHelpful}.`;
      }
      const message = outcome.numAllNodes === 0 ? NO_NODES
        : outcome.preFilterMessage !== undefined ? `0/${outcome.numAllNodes} nodes are available: ${outcome.preFilterMessage}. ${postFilter}.`
        : fitErrorMessage(outcome.numAllNodes, failures.values(), postFilter);
      recorder.event(latest, 'Warning', 'FailedScheduling', message);
      status.unschedulable(latest, message, nominatedNode);
      queue.unschedulable(key, cycle);
    };

    const loop = (async () => {
      await informers.waitForSync();
      log.info(`caches synced: ${nodes.keys().length} nodes, ${pods.keys().length} pods`);
      let sliceStart = Date.now();
      for (;;) {
        const idle = queue.length === 0;
        const item = await queue.pop();
        if (!item) return;
        // Waiting for work let the event loop run: a new slice starts.
        if (idle) sliceStart = Date.now();
        try {
          scheduleOne(item.pod, item.cycle);
        } catch (err) {
          log.error(`scheduling ${podKey(item.pod)}: ${(err as Error).stack ?? err}`);
          queue.retry(podKey(item.pod));
        }
        if (Date.now() - sliceStart >= SLICE_MS) {
          await new Promise((r) => setImmediate(r));
          sliceStart = Date.now();
        }
      }
    })();
    informers.start();
    this.running = { informers, queue, loop };
  }

  private async standDown(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    if (!running) return;
    log.info('stopped leading: scheduling stops');
    running.queue.close();
    running.informers.stop();
    await running.loop.catch(() => undefined);
  }
}
