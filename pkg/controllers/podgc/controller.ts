/**
 * The pod garbage collector (kube-controller-manager's pod-garbage-collector) force-deletes
 * (grace 0) pods nobody else will finish:
 *  - terminated pods (Succeeded/Failed) beyond the threshold, oldest first;
 *  - pods bound to a node that no longer exists, after a quarantine (the node informer may lag
 *    behind the pod informer) and a live GET of the node; they get the DisruptionTarget
 *    condition (DeletionByPodGC) and phase Failed first, as Kubernetes does;
 *  - pods being deleted that were never scheduled (no kubelet will confirm their deletion).
 */
import type { KObject } from '../../api/types.ts';
import type { Client } from '../../client/client.ts';
import { isClientError } from '../../client/errors.ts';
import { byNodeName, NODE_NAME_INDEX } from '../../client/factory.ts';
import { objectKey, type Informer } from '../../client/informer.ts';
import { resourcePath } from '../../client/paths.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import { logger } from '../../log/log.ts';
import type { Controller, ControllerContext } from '../manager.ts';

const log = logger('pod-garbage-collector');
const SERVICE_ACCOUNT = 'pod-garbage-collector';
/** kube-controller-manager's --terminated-pod-gc-threshold default. */
export const TERMINATED_POD_THRESHOLD = 12_500;
/** Kubernetes' gcCheckPeriod and quarantineTime. */
const CHECK_PERIOD_MS = 20_000;
const QUARANTINE_MS = 40_000;
const NODE_GONE = { reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' };

type Pod = KObject & {
  spec?: { nodeName?: string };
  status?: { phase?: string; conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[] };
};

const isTerminated = (pod: Pod): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

export class PodGarbageCollector implements Controller {
  readonly name = 'pod-garbage-collector';
  private pods!: Informer<Pod>;
  private nodes!: Informer;
  private client!: Client;
  private timer: NodeJS.Timeout | undefined;
  /** When each pod was first seen bound to a missing node. */
  private readonly missingSince = new Map<string, number>();
  /** Terminated pods the last sweep found beyond the threshold. */
  private readonly trim = new Set<string>();
  private readonly queue = new WorkQueue((key) => this.reconcile(key), { name: 'pod-gc', workers: 2, paused: true });

  constructor(private readonly threshold = TERMINATED_POD_THRESHOLD) {}

  init(ctx: ControllerContext): void {
    this.client = ctx.clientFor(SERVICE_ACCOUNT);
    this.pods = ctx.informers.informerFor<Pod>({ version: 'v1', resource: 'pods' });
    this.pods.addIndex(NODE_NAME_INDEX, byNodeName);
    this.nodes = ctx.informers.informerFor({ version: 'v1', resource: 'nodes' });
    const check = (pod: Pod) => {
      if (this.isOrphanCandidate(pod) || this.isUnscheduledTerminating(pod)) this.queue.add(objectKey(pod));
    };
    this.pods.onAdd(check).onUpdate((_, pod) => check(pod));
    this.nodes.onDelete((node) => {
      for (const pod of this.pods.byIndex(NODE_NAME_INDEX, node.metadata.name!)) this.queue.add(objectKey(pod));
    });
  }

  run(): void {
    this.queue.resume();
    this.sweep();
    this.timer = setInterval(() => this.sweep(), CHECK_PERIOD_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.queue.stop();
  }

  /** The periodic pass: the terminated-pod threshold, and anything the events missed. */
  private sweep(): void {
    const terminated = this.pods.list().filter(isTerminated);
    const excess = terminated.length - this.threshold;
    if (excess > 0) {
      terminated.sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
      log.info(`${terminated.length} terminated pods exceed the threshold of ${this.threshold}: deleting ${excess}`);
      // Through the queue, so its workers bound how many deletes are in flight.
      for (const pod of terminated.slice(0, excess)) {
        this.trim.add(objectKey(pod));
        this.queue.add(objectKey(pod));
      }
    }
    for (const pod of this.pods.list()) if (this.isOrphanCandidate(pod) || this.isUnscheduledTerminating(pod)) this.queue.add(objectKey(pod));
    for (const key of this.missingSince.keys()) if (!this.pods.get(key)) this.missingSince.delete(key);
  }

  private isOrphanCandidate(pod: Pod): boolean {
    const node = pod.spec?.nodeName;
    return !!node && !this.nodes.get(node);
  }

  private isUnscheduledTerminating(pod: Pod): boolean {
    return !!pod.metadata.deletionTimestamp && !pod.spec?.nodeName;
  }

  private async reconcile(key: string): Promise<boolean | number> {
    const pod = this.pods.get(key);
    if (!pod) {
      this.missingSince.delete(key);
      this.trim.delete(key);
      return true;
    }
    if (this.isUnscheduledTerminating(pod) || (this.trim.delete(key) && isTerminated(pod))) {
      await this.forceDelete(pod);
      return true;
    }
    if (!this.isOrphanCandidate(pod)) {
      this.missingSince.delete(key);
      return true;
    }
    const since = this.missingSince.get(key) ?? Date.now();
    this.missingSince.set(key, since);
    const wait = since + QUARANTINE_MS - Date.now();
    if (wait > 0) return wait;
    // The node informer may be behind: only a live 404 says the node is gone.
    try {
      await this.client.get(resourcePath({ version: 'v1', resource: 'nodes', name: pod.spec!.nodeName! }));
      this.missingSince.delete(key);
      return true;
    } catch (err) {
      if (!isClientError(err, 'NotFound')) throw err;
    }
    log.info(`deleting pod ${key}: its node ${pod.spec!.nodeName} no longer exists`);
    await this.forceDelete(pod, NODE_GONE);
    this.missingSince.delete(key);
    return true;
  }

  /** Marks the pod Failed (with the condition, if any) unless it already ended, then deletes it at once. */
  private async forceDelete(pod: Pod, condition?: { reason: string; message: string }): Promise<void> {
    const path = resourcePath({ version: 'v1', resource: 'pods', namespace: pod.metadata.namespace, name: pod.metadata.name });
    try {
      if (!isTerminated(pod) || condition) {
        const status: Pod['status'] = {};
        if (!isTerminated(pod)) status.phase = 'Failed';
        if (condition) status.conditions = [{ type: 'DisruptionTarget', status: 'True', ...condition, lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }];
        await this.client.patch(`${path}/status`, { metadata: { uid: pod.metadata.uid }, status }, 'strategic');
      }
      await this.client.delete(path, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
    } catch (err) {
      // Gone, or the name now holds another pod (uid precondition): nothing of ours to delete.
      if (isClientError(err, 'NotFound') || isClientError(err, 'Conflict')) return;
      throw err;
    }
  }
}

export const podGarbageCollector = (): Controller => new PodGarbageCollector();
