/**
 * The DaemonSet controller: one pod per eligible node, kept there as nodes come and go, rolled
 * to a new template with maxUnavailable/maxSurge (or left for the user under OnDelete), with
 * ControllerRevisions for `kubectl rollout history/undo` and the status `kubectl rollout
 * status` reads. Writes as kube-system/daemon-set-controller, events as daemonset-controller.
 */
import type { KObject } from '../../api/types.ts';
import { labelSelectorMatches } from '../../api/validation/index.ts';
import type { Client } from '../../client/client.ts';
import { isClientError } from '../../client/errors.ts';
import type { EventSink } from '../../client/events.ts';
import { objectKey, type Informer } from '../../client/informer.ts';
import { resourcePath } from '../../client/paths.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { claimDependents, indexDependents, PODS, REVISIONS } from '../history/adopt.ts';
import { isTerminating } from '../history/pods.ts';
import { controllerOf } from '../replicaset/pods.ts';
import { currentRevision, REVISION_HASH_LABEL, truncateHistory } from '../history/revision.ts';
import { Expectations } from './expectations.ts';
import { newDaemonPod } from './pod.ts';
import { daemonStatus, planNodes, planRollingUpdate, targetNode, type DaemonView, type Plan } from './plan.ts';

const SERVICE_ACCOUNT = 'daemon-set-controller';
const COMPONENT = 'daemonset-controller';

/** Kubernetes' failedPodsBackoff: 1 s doubling to 15 min per DaemonSet and node. */
const FAILED_BACKOFF_MS = { initial: 1000, max: 15 * 60_000 };

const podsPath = (namespace: string, name?: string) => resourcePath({ version: 'v1', resource: 'pods', namespace, name });

export class DaemonSetController implements Controller {
  readonly name = 'daemonset';
  private readonly queue = new WorkQueue((key) => this.reconcile(key), { name: COMPONENT, workers: 2, paused: true });
  private readonly expectations = new Expectations();
  private readonly failedBackoff = new Map<string, { delayMs: number; until: number }>();
  private daemonsets!: Informer;
  private pods!: Informer;
  private nodes!: Informer;
  private revisions!: Informer;
  private client!: Client;
  private events!: EventSink;

  init(ctx: ControllerContext): void {
    this.client = ctx.clientFor(SERVICE_ACCOUNT);
    this.events = ctx.recorderFor(SERVICE_ACCOUNT, COMPONENT);
    this.daemonsets = ctx.informers.informerFor({ group: 'apps', version: 'v1', resource: 'daemonsets' });
    this.pods = indexDependents(ctx.informers.informerFor(PODS));
    this.nodes = ctx.informers.informerFor({ version: 'v1', resource: 'nodes' });
    this.revisions = indexDependents(ctx.informers.informerFor(REVISIONS));

    const enqueue = (ds: KObject) => this.queue.add(objectKey(ds));
    this.daemonsets.onAdd(enqueue).onUpdate((_, ds) => enqueue(ds)).onDelete((ds) => {
      this.expectations.forget(objectKey(ds));
      for (const k of this.failedBackoff.keys()) if (k.startsWith(`${objectKey(ds)}/`)) this.failedBackoff.delete(k);
    });
    this.pods
      .onAdd((pod) => (isTerminating(pod) ? this.podGone(pod) : this.podSeen(pod, true)))
      .onUpdate((old, pod) => {
        if (isTerminating(pod) && !isTerminating(old)) this.podGone(pod);
        else this.podSeen(pod, false);
      })
      .onDelete((pod) => this.podGone(pod));
    const allDaemonSets = () => this.daemonsets.list().forEach(enqueue);
    this.nodes.onAdd(allDaemonSets).onDelete(allDaemonSets).onUpdate((old, node) => {
      // Heartbeats change conditions only; placement depends on labels, taints and the name.
      if (JSON.stringify([old.metadata.labels, old.spec?.taints]) !== JSON.stringify([node.metadata.labels, node.spec?.taints])) allDaemonSets();
    });
    const revisionChanged = (r: KObject) => {
      const owner = this.ownerOf(r);
      if (owner) enqueue(owner);
    };
    this.revisions.onAdd(revisionChanged).onDelete(revisionChanged);
  }

  run(): void {
    this.queue.resume();
  }

  stop(): void {
    this.queue.stop();
  }

  /** The DaemonSet controlling an object, if it is still the one in the cache. */
  private ownerOf(obj: KObject): KObject | undefined {
    const ref = controllerOf(obj);
    if (!ref || ref.kind !== 'DaemonSet') return undefined;
    const ds = this.daemonsets.get(`${obj.metadata.namespace}/${ref.name}`);
    return ds && ds.metadata.uid === ref.uid ? ds : undefined;
  }

  private podSeen(pod: KObject, created: boolean): void {
    if (!controllerOf(pod)) {
      // An orphan: the DaemonSets it matches may adopt it.
      for (const ds of this.daemonsets.list()) {
        if (ds.metadata.namespace === pod.metadata.namespace && labelSelectorMatches(ds.spec?.selector, pod.metadata.labels)) this.queue.add(objectKey(ds));
      }
      return;
    }
    const ds = this.ownerOf(pod);
    if (!ds) return;
    if (created) this.expectations.creationObserved(objectKey(ds));
    this.queue.add(objectKey(ds));
  }

  private podGone(pod: KObject): void {
    const ds = this.ownerOf(pod);
    if (!ds) return;
    this.expectations.deletionObserved(objectKey(ds), pod.metadata.uid!);
    this.queue.add(objectKey(ds));
  }

  async reconcile(key: string): Promise<boolean | number> {
    const cached = this.daemonsets.get(key);
    if (!cached) {
      this.expectations.forget(key);
      return true;
    }
    if (isTerminating(cached)) return true;
    // List items may come without their kind; owner references and events need it.
    const ds: KObject = { ...cached, apiVersion: 'apps/v1', kind: 'DaemonSet' };
    const owned = await claimDependents(this.client, this.revisions, REVISIONS, ds, 'daemonsets');
    const { revision, collisionCount } = await currentRevision(this.client, ds, owned, ds.status?.collisionCount ?? 0);
    const hash = revision.metadata.labels?.[REVISION_HASH_LABEL] ?? '';
    const failedPodBackoffMs = (node: string) => Math.max(0, (this.failedBackoff.get(`${key}/${node}`)?.until ?? 0) - Date.now());
    const view: DaemonView = { ds, failedPodBackoffMs, nodes: this.nodes.list(), pods: await claimDependents(this.client, this.pods, PODS, ds, 'daemonsets'), hash, now: Date.now() };

    let recheckMs: number | undefined;
    if (this.expectations.satisfied(key)) {
      const plan = planNodes(view);
      recheckMs = plan.recheckMs;
      await this.perform(key, ds, plan, hash);
      if (this.expectations.satisfied(key) && ds.spec?.updateStrategy?.type === 'RollingUpdate') {
        await this.perform(key, ds, planRollingUpdate(view), hash);
      }
    }
    const liveHashes = new Set(view.pods.map((p) => p.metadata.labels?.[REVISION_HASH_LABEL]));
    await truncateHistory(this.client, owned, (r) => r.metadata.name === revision.metadata.name || liveHashes.has(r.metadata.labels?.[REVISION_HASH_LABEL]), ds.spec?.revisionHistoryLimit ?? 10);

    const status: Record<string, number> = { ...daemonStatus(view), observedGeneration: ds.metadata.generation ?? 0, ...(collisionCount ? { collisionCount } : {}) };
    await this.writeStatus(ds, status);
    // Pods become available minReadySeconds after they are ready: look again then.
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const availableIn = minReady > 0 && status.numberAvailable! < status.desiredNumberScheduled! ? minReady * 1000 : undefined;
    const later = [recheckMs, availableIn].filter((ms): ms is number => ms !== undefined);
    return later.length ? Math.min(...later) : true;
  }

  private async writeStatus(ds: KObject, status: Record<string, number>): Promise<void> {
    const old = ds.status ?? {};
    if (Object.entries(status).every(([k, v]) => (old[k] ?? 0) === v)) return;
    const path = resourcePath({ group: 'apps', version: 'v1', resource: 'daemonsets', namespace: ds.metadata.namespace, name: ds.metadata.name, subresource: 'status' });
    await this.client.update(path, { ...ds, status: { ...old, ...status } });
  }

  /** Creates and deletes what the plan says, with expectations so a stale cache cannot double them. */
  private async perform(key: string, ds: KObject, plan: Plan, hash: string): Promise<void> {
    if (plan.createOn.length === 0 && plan.deletePods.length === 0) return;
    this.expectations.expect(key, plan.createOn.length, plan.deletePods.map((p) => p.metadata.uid!));
    for (const pod of plan.failedPods) {
      const node = `${key}/${targetNode(pod)}`;
      const delayMs = Math.min(FAILED_BACKOFF_MS.max, (this.failedBackoff.get(node)?.delayMs ?? FAILED_BACKOFF_MS.initial / 2) * 2);
      this.failedBackoff.set(node, { delayMs, until: Date.now() + delayMs });
      this.events.event(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${targetNode(pod)}, will try to kill it`);
    }
    const results = await Promise.allSettled([
      ...this.slowStart(plan.createOn, (node) => this.createPod(key, ds, node, hash), () => this.expectations.creationObserved(key)),
      ...plan.deletePods.map((pod) => this.deletePod(key, ds, pod)),
    ]);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  /**
   * Creations in batches of 1, 2, 4, … as Kubernetes does: a template the API refuses fails
   * once, not once per node. Items of batches never started are given up (`skipped`).
   */
  private slowStart<T>(items: T[], create: (item: T) => Promise<void>, skipped: () => void): Promise<void>[] {
    const run = async () => {
      let start = 0;
      for (let size = 1; start < items.length; size *= 2) {
        const batch = items.slice(start, start + size);
        start += batch.length;
        const results = await Promise.allSettled(batch.map(create));
        const failed = results.find((r) => r.status === 'rejected');
        if (failed) {
          for (let i = start; i < items.length; i++) skipped();
          throw (failed as PromiseRejectedResult).reason;
        }
      }
    };
    return items.length ? [run()] : [];
  }

  private async createPod(key: string, ds: KObject, node: string, hash: string): Promise<void> {
    try {
      const pod = await this.client.create(podsPath(ds.metadata.namespace!), newDaemonPod(ds, node, hash));
      this.events.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
    } catch (err) {
      this.expectations.creationObserved(key);
      this.events.event(ds, 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
      throw err;
    }
  }

  private async deletePod(key: string, ds: KObject, pod: KObject): Promise<void> {
    try {
      await this.client.delete(podsPath(pod.metadata.namespace!, pod.metadata.name), { preconditions: { uid: pod.metadata.uid } });
      this.events.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
    } catch (err) {
      // Gone already (or replaced by another pod of that name): no deletion event will come for it.
      this.expectations.deletionObserved(key, pod.metadata.uid!);
      if (isClientError(err) && (err.code === 404 || err.code === 409)) return;
      this.events.event(ds, 'Warning', 'FailedDelete', `Error deleting: ${(err as Error).message}`);
      throw err;
    }
  }
}

export const daemonSetController = (): Controller => new DaemonSetController();
