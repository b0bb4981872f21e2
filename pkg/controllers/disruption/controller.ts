/**
 * disruption-controller: keeps every PodDisruptionBudget's status current (budget.ts does the
 * counting) so the eviction API, and so `kubectl drain`, can tell whether a pod may go. The
 * expected pod count comes from the pods' controllers: a Deployment through its ReplicaSet,
 * a ReplicaSet, ReplicationController or StatefulSet from the cache, anything else through its
 * scale subresource.
 */
import type { KObject } from '../../api/types.ts';
import { labelSelectorMatches } from '../../api/validation/index.ts';
import type { Client } from '../../client/client.ts';
import { isClientError } from '../../client/errors.ts';
import type { EventSink } from '../../client/events.ts';
import { byNamespace } from '../../client/factory.ts';
import type { Informer } from '../../client/informer.ts';
import { resourcePath } from '../../client/paths.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import { canonicalJson as canonical } from '../history/revision.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { budgetStatus, countHealthy, desiredCounts, failSafeStatus, needsScale, pendingDisruptions } from './budget.ts';

const SA = 'disruption-controller';

const timestamp = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** policy/v1: an empty or missing selector selects no pods. */
function budgetSelects(pdb: KObject, pod: KObject): boolean {
  const sel = pdb.spec?.selector;
  if (!sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0)) return false;
  return labelSelectorMatches(sel, pod.metadata.labels ?? {});
}

class ScaleError extends Error {
  constructor(message: string, readonly reason: string) {
    super(message);
  }
}

export class DisruptionController implements Controller {
  readonly name = 'disruption-controller';
  private readonly queue = new WorkQueue((key) => this.reconcile(key), { name: this.name, workers: 2, paused: true });
  private budgets!: Informer;
  private pods!: Informer;
  private owners!: Map<string, Informer>;
  private client!: Client;
  private events!: EventSink;

  init(ctx: ControllerContext): void {
    this.client = ctx.clientFor(SA);
    this.events = ctx.recorderFor(SA, 'controllermanager');
    this.budgets = ctx.informers.informerFor({ group: 'policy', version: 'v1', resource: 'poddisruptionbudgets' }).addIndex('namespace', byNamespace);
    this.pods = ctx.informers.informerFor({ version: 'v1', resource: 'pods' }).addIndex('namespace', byNamespace);
    this.owners = new Map([
      ['apps/ReplicaSet', ctx.informers.informerFor({ group: 'apps', version: 'v1', resource: 'replicasets' })],
      ['apps/Deployment', ctx.informers.informerFor({ group: 'apps', version: 'v1', resource: 'deployments' })],
      ['apps/StatefulSet', ctx.informers.informerFor({ group: 'apps', version: 'v1', resource: 'statefulsets' })],
      ['/ReplicationController', ctx.informers.informerFor({ version: 'v1', resource: 'replicationcontrollers' })],
    ]);
    const enqueue = (obj: KObject) => this.queue.add(`${obj.metadata.namespace}/${obj.metadata.name}`);
    this.budgets.onAdd(enqueue).onUpdate((_o, n) => enqueue(n)).onDelete(enqueue);
    const podChanged = (...pods: KObject[]) => {
      for (const pdb of this.budgets.byIndex('namespace', pods[0]!.metadata.namespace!)) if (pods.some((p) => budgetSelects(pdb, p))) enqueue(pdb);
    };
    this.pods.onAdd((p) => podChanged(p)).onUpdate((o, n) => podChanged(o, n)).onDelete((p) => podChanged(p));
    // A scaled controller changes what budgets with percentages or maxUnavailable expect.
    const scaled = (o: KObject, n: KObject) => {
      if (o.spec?.replicas === n.spec?.replicas) return;
      for (const pdb of this.budgets.byIndex('namespace', n.metadata.namespace!)) if (needsScale(pdb)) enqueue(pdb);
    };
    for (const informer of this.owners.values()) informer.onUpdate(scaled);
  }

  run(): void {
    this.queue.resume();
  }

  stop(): void {
    this.queue.stop();
  }

  async reconcile(key: string): Promise<boolean | number> {
    const pdb = this.budgets.get(key);
    if (!pdb || pdb.metadata.deletionTimestamp) return true;
    const now = Date.now();
    const pods = this.pods.byIndex('namespace', pdb.metadata.namespace!).filter((p) => budgetSelects(pdb, p));
    if (pods.length === 0) this.events.event(pdb, 'Normal', 'NoPods', 'No matching pods found');
    let status;
    let recheck: number | undefined;
    let failed = false;
    try {
      const scale = needsScale(pdb) ? await this.expectedScale(pods) : 0;
      const { expectedPods, desiredHealthy } = desiredCounts(pdb, pods, scale);
      const { pending, recheckAt } = pendingDisruptions(pdb, pods, now);
      status = budgetStatus(pdb, { expectedPods, desiredHealthy, currentHealthy: countHealthy(pods, pending), pending }, timestamp(now));
      if (recheckAt !== undefined) recheck = Math.max(1000, recheckAt - now);
    } catch (err) {
      if (!(err instanceof ScaleError)) throw err;
      this.events.event(pdb, 'Warning', err.reason, err.message);
      this.events.event(pdb, 'Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${err.message}`);
      status = failSafeStatus(pdb, err.message, timestamp(now));
      // The owners may just not be in the cache yet: try again (with backoff) even if nothing changes.
      failed = true;
    }
    if (canonical(status) !== canonical(pdb.status ?? {})) {
      const path = resourcePath({ group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', namespace: pdb.metadata.namespace, name: pdb.metadata.name, subresource: 'status' });
      try {
        await this.client.update(path, { ...pdb, status } as KObject);
      } catch (err) {
        if (isClientError(err) && err.code === 404) return true;
        // The eviction API or a spec change wrote meanwhile: count again from the newer budget.
        if (isClientError(err) && err.code === 409) return false;
        throw err;
      }
    }
    return failed ? false : (recheck ?? true);
  }

  /** The replicas of the pods' controllers, each controller counted once. */
  private async expectedScale(pods: KObject[]): Promise<number> {
    const seenRefs = new Set<string>();
    const replicasByController = new Map<string, number>();
    for (const pod of pods) {
      const ref = pod.metadata.ownerReferences?.find((r) => r.controller);
      if (!ref) throw new ScaleError(`found no controller ref for pod "${pod.metadata.name}"`, 'NoControllerRef');
      if (seenRefs.has(ref.uid)) continue;
      seenRefs.add(ref.uid);
      const found = await this.controllerScale(pod.metadata.namespace!, ref);
      if (!found) throw new ScaleError(`found no controllers for pod "${pod.metadata.name}"`, 'NoControllers');
      replicasByController.set(found.uid, found.replicas);
    }
    return [...replicasByController.values()].reduce((a, b) => a + b, 0);
  }

  private async controllerScale(namespace: string, ref: { apiVersion: string; kind: string; name: string; uid: string }): Promise<{ uid: string; replicas: number } | undefined> {
    const group = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0]! : '';
    const informer = this.owners.get(`${group}/${ref.kind}`);
    if (informer) {
      const owner = informer.get(`${namespace}/${ref.name}`);
      if (!owner || owner.metadata.uid !== ref.uid) return undefined;
      // A Deployment's ReplicaSets come and go during rollouts: the Deployment's scale is what counts.
      const parent = ref.kind === 'ReplicaSet' ? owner.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'Deployment') : undefined;
      if (parent) return this.controllerScale(namespace, parent);
      return { uid: owner.metadata.uid!, replicas: Number(owner.spec?.replicas ?? 1) };
    }
    // Any other kind with a scale subresource; its plural is guessed as the API's convention has it.
    const [g, v] = group ? ref.apiVersion.split('/') : ['', ref.apiVersion];
    const path = resourcePath({ group: g, version: v!, resource: `${ref.kind.toLowerCase()}s`, namespace, name: ref.name, subresource: 'scale' });
    try {
      const scale = await this.client.get<KObject>(path);
      if (scale.metadata.uid && scale.metadata.uid !== ref.uid) return undefined;
      return { uid: ref.uid, replicas: Number(scale.spec?.replicas ?? 0) };
    } catch (err) {
      if (isClientError(err) && (err.code === 404 || err.code === 403)) return undefined;
      throw err;
    }
  }
}

export const disruptionController = (): Controller => new DisruptionController();
