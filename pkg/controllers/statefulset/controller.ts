/**
 * The StatefulSet controller: pods with stable names and storage, created, replaced and deleted
 * in ordinal order (plan.ts), ControllerRevisions for the current and update templates, and
 * the status `kubectl rollout status sts/x` reads. Writes as kube-system/statefulset-controller.
 *
 * No expectations are needed (unlike the DaemonSet controller): every pod has a fixed name, so
 * a create the stale cache repeats fails with AlreadyExists, and deletes carry the pod's uid as
 * a precondition so they never hit a successor of the same name.
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
import { controllerOf } from '../replicaset/pods.ts';
import { currentRevision, truncateHistory } from '../history/revision.ts';
import { claimsFor, ordinalOf, plainOwnerReference, podRevision } from './identity.ts';
import { planStatefulSet, setStatus, type Action, type SetView } from './plan.ts';

const SERVICE_ACCOUNT = 'statefulset-controller';

const corePath = (resource: string, namespace: string, name?: string) => resourcePath({ version: 'v1', resource, namespace, name });

const ignoring = (...codes: number[]) => (err: unknown) => {
  if (!isClientError(err) || !codes.includes(err.code)) throw err;
  return undefined;
};

export class StatefulSetController implements Controller {
  readonly name = 'statefulset';
  private readonly queue = new WorkQueue((key) => this.reconcile(key), { name: SERVICE_ACCOUNT, workers: 2, paused: true });
  private sets!: Informer;
  private pods!: Informer;
  private revisions!: Informer;
  private claims!: Informer;
  private client!: Client;
  private events!: EventSink;

  init(ctx: ControllerContext): void {
    this.client = ctx.clientFor(SERVICE_ACCOUNT);
    this.events = ctx.recorderFor(SERVICE_ACCOUNT, SERVICE_ACCOUNT);
    this.sets = ctx.informers.informerFor({ group: 'apps', version: 'v1', resource: 'statefulsets' });
    this.pods = indexDependents(ctx.informers.informerFor(PODS));
    this.revisions = indexDependents(ctx.informers.informerFor(REVISIONS));
    this.claims = ctx.informers.informerFor({ version: 'v1', resource: 'persistentvolumeclaims' });

    const enqueue = (set: KObject) => this.queue.add(objectKey(set));
    this.sets.onAdd(enqueue).onUpdate((_, set) => enqueue(set));
    const ownerChanged = (obj: KObject) => {
      const ref = controllerOf(obj);
      if (ref?.kind === 'StatefulSet') this.queue.add(`${obj.metadata.namespace}/${ref.name}`);
    };
    const podChanged = (pod: KObject) => {
      if (controllerOf(pod)) return ownerChanged(pod);
      // An orphan named as a set's member and matching its selector may be adopted by it.
      for (const set of this.sets.list()) {
        if (set.metadata.namespace === pod.metadata.namespace && ordinalOf(set, pod) !== undefined && labelSelectorMatches(set.spec?.selector, pod.metadata.labels)) enqueue(set);
      }
    };
    this.pods.onAdd(podChanged).onUpdate((_, pod) => podChanged(pod)).onDelete(ownerChanged);
    this.revisions.onAdd(ownerChanged).onDelete(ownerChanged);
  }

  run(): void {
    this.queue.resume();
  }

  stop(): void {
    this.queue.stop();
  }

  async reconcile(key: string): Promise<boolean | number> {
    const cached = this.sets.get(key);
    if (!cached || cached.metadata.deletionTimestamp) return true;
    // List items may come without their kind; owner references and events need it.
    const set: KObject = { ...cached, apiVersion: 'apps/v1', kind: 'StatefulSet' };
    const owned = await claimDependents(this.client, this.revisions, REVISIONS, set, 'statefulsets');
    const { revision: updateRevision, collisionCount } = await currentRevision(this.client, set, owned, set.status?.collisionCount ?? 0);
    const current = owned.find((r) => r.metadata.name === set.status?.currentRevision) ?? updateRevision;
    const claimed = await claimDependents(this.client, this.pods, PODS, set, 'statefulsets', (pod) => ordinalOf(set, pod) !== undefined);
    const pods = claimed.map((p) => ({ ...p, apiVersion: 'v1', kind: 'Pod' }));
    const view: SetView = { set, pods, currentRevision: current, updateRevision, now: Date.now(), claimExists: (k) => this.claims.get(k) !== undefined };

    const plan = planStatefulSet(view);
    for (const action of plan.actions) await this.perform(set, action);

    await this.writeStatus(set, setStatus(view, collisionCount));
    const live = new Set([current.metadata.name, updateRevision.metadata.name, ...pods.map(podRevision)]);
    await truncateHistory(this.client, owned, (r) => live.has(r.metadata.name), set.spec?.revisionHistoryLimit ?? 10);
    return plan.recheckMs ?? true;
  }

  private async perform(set: KObject, action: Action): Promise<void> {
    const namespace = set.metadata.namespace!;
    const setName = set.metadata.name;
    const podName = action.pod.metadata.name;
    if (action.kind !== 'delete') {
      // Claims first: the pod must find its volumes' claims when it starts.
      for (const claim of action.claims) {
        const made = await this.client.create(corePath('persistentvolumeclaims', namespace), claim).catch((err: unknown) => {
          if (isClientError(err) && err.code === 409) return undefined;
          this.events.event(set, 'Warning', 'FailedCreate', `create Claim ${claim.metadata.name} for Pod ${podName} in StatefulSet ${setName} failed error: ${(err as Error).message}`);
          throw err;
        });
        if (made) this.events.event(set, 'Normal', 'SuccessfulCreate', `create Claim ${claim.metadata.name} Pod ${podName} in StatefulSet ${setName} success`);
      }
      if (action.kind === 'claims') return;
      const made = await this.client.create(corePath('pods', namespace), action.pod).catch((err: unknown) => {
        if (isClientError(err) && err.code === 409) return undefined;
        this.events.event(set, 'Warning', 'FailedCreate', `create Pod ${podName} in StatefulSet ${setName} failed error: ${(err as Error).message}`);
        throw err;
      });
      if (made) this.events.event(set, 'Normal', 'SuccessfulCreate', `create Pod ${podName} in StatefulSet ${setName} successful`);
      return;
    }
    if (action.claimsToPod) await this.giveClaimsToPod(set, action.pod);
    const gone = await this.client
      .delete(corePath('pods', namespace, podName), { preconditions: { uid: action.pod.metadata.uid } })
      .then(() => true)
      .catch(ignoring(404, 409));
    if (gone) this.events.event(set, 'Normal', 'SuccessfulDelete', `delete Pod ${podName} in StatefulSet ${setName} successful`);
  }

  /**
   * whenScaled: Delete — the claims of a pod removed by scale-down pass from the set (if it owned
   * them) to the pod, so the garbage collector deletes them with the pod (it deletes a
   * dependent only once every owner is gone).
   */
  private async giveClaimsToPod(set: KObject, pod: KObject): Promise<void> {
    for (const wanted of claimsFor(set, ordinalOf(set, pod)!)) {
      const path = corePath('persistentvolumeclaims', set.metadata.namespace!, wanted.metadata.name);
      const claim = await this.client.get(path).catch(ignoring(404));
      if (!claim) continue;
      const others = (claim.metadata.ownerReferences ?? []).filter((o) => o.uid !== set.metadata.uid && o.uid !== pod.metadata.uid);
      const owners = [...others, plainOwnerReference(pod)];
      if (JSON.stringify(owners) === JSON.stringify(claim.metadata.ownerReferences)) continue;
      claim.metadata.ownerReferences = owners;
      await this.client.update(path, claim);
    }
  }

  private async writeStatus(set: KObject, status: Record<string, unknown>): Promise<void> {
    const old = set.status ?? {};
    if (Object.entries(status).every(([k, v]) => (old[k] ?? 0) === (v ?? 0))) return;
    const path = resourcePath({ group: 'apps', version: 'v1', resource: 'statefulsets', namespace: set.metadata.namespace, name: set.metadata.name, subresource: 'status' });
    await this.client.update(path, { ...set, status: { ...old, ...status } });
  }
}

export const statefulSetController = (): Controller => new StatefulSetController();
