/**
 * The ReplicaSet controller (kube-controller-manager's replicaset-controller): keeps
 * spec.replicas active pods matching each ReplicaSet's selector. It adopts matching orphans,
 * releases pods that stop matching, creates missing pods from the template with a slow start
 * (at most BURST per reconcile), deletes surplus pods in Kubernetes' order, and
 * writes status. Expectations hold a ReplicaSet back until the informer has shown the pods
 * it created or deleted, so a lagging cache never makes it act twice.
 */
import type { KObject, OwnerReference } from '../../api/types.ts';
import { labelSelectorMatches } from '../../api/validation/index.ts';
import type { Client } from '../../client/client.ts';
import { isClientError } from '../../client/errors.ts';
import type { EventSink } from '../../client/events.ts';
import { byControllerUid, byNamespace, CONTROLLER_INDEX, NAMESPACE_INDEX } from '../../client/factory.ts';
import type { Informer } from '../../client/informer.ts';
import { resourcePath } from '../../client/paths.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import { logger } from '../../log/log.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { inParallel, slowStart } from './batch.ts';
import { claim } from './claim.ts';
import { EventBudget } from './eventbudget.ts';
import { factsOf } from './facts.ts';
import { Expectations } from './expectations.ts';
import { controllerOf, controllerRef, isPodReady, keyOf, podFromTemplate } from './pods.ts';
import { podsToDelete } from './ranking.ts';
import { calculateStatus, statusChanged } from './status.ts';

const log = logger('replicaset');
const SERVICE_ACCOUNT = 'replicaset-controller';
/** Kubernetes' burstReplicas: pods created or deleted per reconcile at most. */
const BURST = 500;
/** Pod writes one reconcile keeps open at once. */
const MAX_IN_FLIGHT = 100;
/** kube-controller-manager's --concurrent-replicaset-syncs. */
const WORKERS = 5;

/** Informer index names shared with other controllers (same name, same function). */
export { CONTROLLER_INDEX, NAMESPACE_INDEX };
/** Pods without a controller, by namespace: the adoption candidates. */
export const ORPHAN_INDEX = 'orphansByNamespace';
export const orphansByNamespace = (obj: KObject): string[] => (controllerOf(obj) ? [] : [obj.metadata.namespace ?? '']);

function hasNamespaceTerminatingCause(err: unknown): boolean {
  return isClientError(err) && (err.status.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');
}

export class ReplicaSetController implements Controller {
  readonly name = 'replicaset';
  private queue!: WorkQueue;
  private replicaSets!: Informer;
  private pods!: Informer;
  private client!: Client;
  private events!: EventSink;
  readonly expectations = new Expectations();

  init(ctx: ControllerContext): void {
    this.client = ctx.clientFor(SERVICE_ACCOUNT);
    this.events = new EventBudget(ctx.recorderFor(SERVICE_ACCOUNT, SERVICE_ACCOUNT));
    this.queue = new WorkQueue((key) => this.reconcile(key), { name: 'replicaset', workers: WORKERS, paused: true });
    this.replicaSets = ctx.informers.informerFor({ group: 'apps', version: 'v1', resource: 'replicasets' });
    this.replicaSets.addIndex(NAMESPACE_INDEX, byNamespace).addIndex(CONTROLLER_INDEX, byControllerUid);
    this.pods = ctx.informers.informerFor({ version: 'v1', resource: 'pods' });
    this.pods.addIndex(NAMESPACE_INDEX, byNamespace).addIndex(CONTROLLER_INDEX, byControllerUid).addIndex(ORPHAN_INDEX, orphansByNamespace);
    this.replicaSets
      .onAdd((rs) => this.queue.add(keyOf(rs)))
      .onUpdate((_old, rs) => this.queue.add(keyOf(rs)))
      .onDelete((rs) => {
        this.expectations.forget(keyOf(rs));
        this.queue.add(keyOf(rs));
      });
    this.pods
      .onAdd((pod) => this.podAdded(pod))
      .onUpdate((old, pod) => this.podUpdated(old, pod))
      .onDelete((pod) => this.podDeleted(pod));
  }

  run(): void {
    this.queue.resume();
  }

  stop(): void {
    this.queue?.stop();
  }

  /** The ReplicaSet a controller reference points at, if it is in the cache with that UID. */
  private resolve(namespace: string, ref: OwnerReference): KObject | undefined {
    if (ref.kind !== 'ReplicaSet' || !ref.apiVersion.startsWith('apps/')) return undefined;
    const rs = this.replicaSets.get(`${namespace}/${ref.name}`);
    return rs?.metadata.uid === ref.uid ? rs : undefined;
  }

  /** ReplicaSets whose selector matches an orphan pod: one of them may adopt it. */
  private enqueueSelecting(pod: KObject): void {
    for (const rs of this.replicaSets.byIndex(NAMESPACE_INDEX, pod.metadata.namespace ?? '')) {
      const selector = rs.spec?.selector;
      const empty = !selector || (!Object.keys(selector.matchLabels ?? {}).length && !(selector.matchExpressions ?? []).length);
      if (!empty && labelSelectorMatches(selector, pod.metadata.labels)) this.queue.add(keyOf(rs));
    }
  }

  private podAdded(pod: KObject): void {
    if (pod.metadata.deletionTimestamp) return this.podDeleted(pod);
    const ref = controllerOf(pod);
    if (!ref) return this.enqueueSelecting(pod);
    const rs = this.resolve(pod.metadata.namespace ?? '', ref);
    if (!rs) return;
    this.expectations.creationObserved(keyOf(rs));
    this.queue.add(keyOf(rs));
  }

  private podUpdated(old: KObject, pod: KObject): void {
    const labelsChanged = JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(pod.metadata.labels ?? {});
    if (pod.metadata.deletionTimestamp) {
      // A graceful deletion shows up as an update: the pod no longer counts from now on.
      this.podDeleted(pod);
      if (labelsChanged) this.podDeleted(old);
      return;
    }
    const ref = controllerOf(pod);
    const oldRef = controllerOf(old);
    const refChanged = ref?.uid !== oldRef?.uid;
    if (refChanged && oldRef) {
      const previous = this.resolve(old.metadata.namespace ?? '', oldRef);
      if (previous) this.queue.add(keyOf(previous));
    }
    if (ref) {
      const rs = this.resolve(pod.metadata.namespace ?? '', ref);
      if (!rs) return;
      this.queue.add(keyOf(rs));
      // Available only minReadySeconds after Ready: look again then (and a second later for clock edges).
      const minReady = rs.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && !isPodReady(old) && isPodReady(pod)) this.queue.addAfter(keyOf(rs), minReady * 1000 + 1000);
      return;
    }
    if (labelsChanged || refChanged) this.enqueueSelecting(pod);
  }

  private podDeleted(pod: KObject): void {
    const ref = controllerOf(pod);
    if (!ref) return;
    const rs = this.resolve(pod.metadata.namespace ?? '', ref);
    if (!rs) return;
    this.expectations.deletionObserved(keyOf(rs), keyOf(pod));
    this.queue.add(keyOf(rs));
  }

  /** A conflict (a write from a cache older than our last one) throws: the work queue retries it quietly. */
  async reconcile(key: string): Promise<boolean | number> {
    const needsSync = this.expectations.satisfied(key);
    const rs = this.replicaSets.get(key);
    if (!rs) {
      this.expectations.forget(key);
      return true;
    }
    const namespace = rs.metadata.namespace!;
    const candidates = this.pods.byIndex(CONTROLLER_INDEX, rs.metadata.uid!).filter((pod) => factsOf(pod).active);
    for (const orphan of this.pods.byIndex(ORPHAN_INDEX, namespace)) if (factsOf(orphan).active) candidates.push(orphan);
    const rsPath = resourcePath({ group: 'apps', version: 'v1', resource: 'replicasets', namespace, name: rs.metadata.name });
    const pods = await claim(candidates, {
      owner: rs,
      selector: rs.spec.selector,
      ref: controllerRef(rs, 'apps/v1', 'ReplicaSet'),
      patch: (pod, body) => this.client.patch(this.podPath(namespace, pod.metadata.name!), body, 'strategic'),
      canAdopt: async () => {
        const fresh = await this.client.get(rsPath);
        if (fresh.metadata.uid !== rs.metadata.uid) throw new Error(`original ReplicaSet ${key} is gone: got uid ${fresh.metadata.uid}, wanted ${rs.metadata.uid}`);
        if (fresh.metadata.deletionTimestamp) throw new Error(`ReplicaSet ${key} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
      },
    });
    let manageError: unknown;
    if (needsSync && !rs.metadata.deletionTimestamp) {
      manageError = await this.manageReplicas(key, rs, pods).then(
        () => undefined,
        (err: unknown) => err ?? new Error('unknown error'),
      );
    }
    const now = Date.now();
    const status = calculateStatus(rs, pods, manageError, now);
    if (statusChanged(rs.status, status)) {
      // A conflict (the cache lags our last write) is retried with backoff by the queue.
      await this.client.update(`${rsPath}/status`, { ...rs, status });
    }
    if (manageError) throw manageError;
    const replicas = rs.spec.replicas ?? 1;
    const minReady = rs.spec.minReadySeconds ?? 0;
    // Pods become available minReadySeconds after Ready without any event: look again then.
    if (minReady > 0 && status.readyReplicas === replicas && status.availableReplicas !== replicas) return minReady * 1000;
    return true;
  }

  private podPath(namespace: string, name?: string): string {
    return resourcePath({ version: 'v1', resource: 'pods', namespace, name });
  }

  private async manageReplicas(key: string, rs: KObject, pods: KObject[]): Promise<void> {
    const diff = pods.length - (rs.spec.replicas ?? 1);
    if (diff < 0) return this.createPods(key, rs, Math.min(-diff, BURST));
    if (diff > 0) return this.deletePods(key, rs, pods, Math.min(diff, BURST));
  }

  private async createPods(key: string, rs: KObject, count: number): Promise<void> {
    this.expectations.expectCreations(key, count);
    const started = Date.now();
    const ref = controllerRef(rs, 'apps/v1', 'ReplicaSet');
    const path = this.podPath(rs.metadata.namespace!);
    let vanished = 0;
    const { successes, error } = await slowStart(count, MAX_IN_FLIGHT, async () => {
      try {
        const pod = await this.client.create(path, podFromTemplate(rs.spec.template, rs, ref));
        this.events.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
      } catch (err) {
        // Every create fails in a terminating namespace; that is no failure of this ReplicaSet.
        if (hasNamespaceTerminatingCause(err)) {
          vanished++;
          return;
        }
        this.events.event(rs, 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
        throw err;
      }
    });
    // Pods never created will never be observed: stop waiting for them.
    for (let i = 0; i < count - successes + vanished; i++) this.expectations.creationObserved(key);
    log.debug(`${key}: created ${successes - vanished} of ${count} pods in ${Date.now() - started} ms`);
    if (error) throw error;
  }

  private async deletePods(key: string, rs: KObject, pods: KObject[], count: number): Promise<void> {
    const victims = podsToDelete(pods, this.relatedPods(rs), count);
    this.expectations.expectDeletions(key, victims.map(keyOf));
    const errors = await inParallel(victims, MAX_IN_FLIGHT, async (pod) => {
      try {
        await this.client.delete(this.podPath(pod.metadata.namespace!, pod.metadata.name));
        this.events.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
      } catch (err) {
        this.expectations.deletionObserved(key, keyOf(pod));
        if (isClientError(err, 'NotFound')) return;
        this.events.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${(err as Error).message}`);
        throw err;
      }
    });
    if (errors.length > 0) throw errors[0];
  }

  /** Pods of every ReplicaSet with the same controller (a Deployment's old and new sets). */
  private relatedPods(rs: KObject): KObject[] {
    const owner = controllerOf(rs);
    if (!owner) return [];
    return this.replicaSets.byIndex(CONTROLLER_INDEX, owner.uid).flatMap((sibling) => this.pods.byIndex(CONTROLLER_INDEX, sibling.metadata.uid!));
  }
}

export const replicaSetController = (): Controller => new ReplicaSetController();
