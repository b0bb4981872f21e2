/**
 * taint-eviction-controller (Kubernetes 1.29+): deletes pods from nodes with NoExecute taints
 * they do not tolerate — at once when a taint is not tolerated at all, after the shortest
 * tolerationSeconds of the tolerations in use otherwise (pods get 300 s for not-ready and
 * unreachable from admission), never when those tolerations set no tolerationSeconds. Before
 * deleting, the pod gets the DisruptionTarget condition (DeletionByTaintManager).
 *
 * The toleration period counts from the earliest timeAdded of the node's NoExecute taints, or
 * from the pod's creation when it came later. Kubernetes counts from when its controller
 * observed the taint, so a restarted controller would wait the whole period again; timeAdded
 * is written by the node lifecycle controller on the same clock and survives restarts.
 *
 * The deletion is graceful: a pod on a dead node stays Terminating (no kubelet confirms it);
 * the ReplicaSet controller counts terminating pods out and replaces them, as in Kubernetes.
 */
import type { KObject } from '../../api/types.ts';
import type { Client } from '../../client/client.ts';
import { isClientError } from '../../client/errors.ts';
import type { EventSink } from '../../client/events.ts';
import { byNodeName } from '../../client/factory.ts';
import { objectKey, type Informer } from '../../client/informer.ts';
import { resourcePath } from '../../client/paths.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { rfc3339 } from './conditions.ts';
import { POD_NODE_INDEX } from './controller.ts';
import { matchingTolerations, minTolerationSeconds, noExecuteTaints, type Taint } from './taints.ts';

const NAME = 'taint-eviction-controller';

export class TaintEvictionController implements Controller {
  readonly name = NAME;
  private nodes!: Informer;
  private pods!: Informer;
  private client!: Client;
  private events!: EventSink;
  /**
   * Pods with a deletion scheduled → when this controller first saw them due (the start for
   * taints without timeAdded, e.g. ones a user added); and the uids of pods this run deleted.
   */
  private readonly scheduled = new Map<string, number>();
  private readonly deleted = new Set<string>();
  private readonly queue = new WorkQueue((key) => this.reconcile(key), { name: NAME, workers: 4, paused: true });

  init(ctx: ControllerContext): void {
    this.client = ctx.clientFor(NAME);
    this.events = ctx.recorderFor(NAME, NAME);
    this.nodes = ctx.informers.informerFor({ version: 'v1', resource: 'nodes' });
    this.pods = ctx.informers.informerFor({ version: 'v1', resource: 'pods' });
    this.pods.addIndex(POD_NODE_INDEX, byNodeName);

    const nodeChanged = (old: KObject | undefined, node: KObject) => {
      if (old && sameNoExecute(noExecuteTaints(old), noExecuteTaints(node))) return;
      for (const pod of this.pods.byIndex(POD_NODE_INDEX, node.metadata.name!)) this.queue.add(objectKey(pod));
    };
    this.nodes.onAdd((n) => nodeChanged(undefined, n));
    this.nodes.onUpdate(nodeChanged);
    const podChanged = (pod: KObject) => {
      const node = pod.spec?.nodeName ? this.nodes.get(pod.spec.nodeName) : undefined;
      if (node && noExecuteTaints(node).length > 0) this.queue.add(objectKey(pod));
    };
    this.pods.onAdd(podChanged);
    this.pods.onUpdate((_, p) => podChanged(p));
    this.pods.onDelete((p) => {
      this.scheduled.delete(objectKey(p));
      this.deleted.delete(p.metadata.uid!);
    });
  }

  run(): void {
    this.queue.resume();
  }

  stop(): void {
    this.queue.stop();
  }

  async reconcile(key: string): Promise<boolean | number> {
    const pod = this.pods.get(key);
    const nodeName: string | undefined = pod?.spec?.nodeName;
    if (!pod || !nodeName || pod.metadata.deletionTimestamp || this.deleted.has(pod.metadata.uid!)) return this.cancel(key, pod);
    const node = this.nodes.get(nodeName);
    const taints = node ? noExecuteTaints(node) : [];
    if (taints.length === 0) return this.cancel(key, pod);
    const { all, used } = matchingTolerations(taints, pod.spec.tolerations ?? []);
    if (all) {
      const seconds = minTolerationSeconds(used);
      if (seconds === undefined) return this.cancel(key, pod);
      const now = Date.now();
      const seen = this.scheduled.get(key) ?? now;
      const due = startOf(taints, pod, seen) + seconds * 1000 - now;
      if (due > 0) {
        this.scheduled.set(key, seen);
        return due;
      }
    }
    await this.evict(pod);
    return true;
  }

  private cancel(key: string, pod: KObject | undefined): true {
    if (this.scheduled.delete(key) && pod && !pod.metadata.deletionTimestamp && !this.deleted.has(pod.metadata.uid!)) {
      this.events.event(pod, 'Normal', 'TaintManagerEviction', `Cancelling deletion of Pod ${key}`);
    }
    return true;
  }

  private async evict(pod: KObject): Promise<void> {
    const { namespace, name, uid } = pod.metadata;
    const key = `${namespace}/${name}`;
    this.events.event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
    const path = resourcePath({ version: 'v1', resource: 'pods', namespace, name: name! });
    try {
      await this.client.patch(`${path}/status`, {
        metadata: { uid },
        status: {
          conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: rfc3339(Date.now()) }],
        },
      }, 'strategic');
      await this.client.delete(path, { preconditions: { uid } });
    } catch (err) {
      // Gone already, or replaced by a pod of the same name that is not this one.
      if (isClientError(err) && (err.code === 404 || err.code === 409)) return;
      throw err;
    }
    this.scheduled.delete(key);
    this.deleted.add(uid!);
  }
}

/**
 * When the pod's toleration period started: the earliest NoExecute taint (`seen` for taints
 * without timeAdded), or the pod's creation if later.
 */
function startOf(taints: Taint[], pod: KObject, seen: number): number {
  const taintedAt = Math.min(...taints.map((t) => (t.timeAdded ? Date.parse(t.timeAdded) : NaN)).map((t) => (Number.isNaN(t) ? seen : t)));
  const created = pod.metadata.creationTimestamp ? Date.parse(pod.metadata.creationTimestamp) : 0;
  return Math.max(taintedAt, created);
}

function sameNoExecute(a: Taint[], b: Taint[]): boolean {
  return a.length === b.length && a.every((t) => b.some((u) => u.key === t.key && u.value === t.value && u.timeAdded === t.timeAdded));
}

export const taintEvictionController = (): Controller => new TaintEvictionController();
