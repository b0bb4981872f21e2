/**
 * The Deployment controller (kube-controller-manager's deployment-controller): owns
 * ReplicaSets named `<deployment>-<pod-template-hash>` and rolls pods from old templates to
 * the new one (RollingUpdate or Recreate), keeping revisions for `kubectl rollout history` /
 * `undo`, honouring spec.paused and progressDeadlineSeconds, and writing the status `kubectl
 * rollout status` reads. It writes ReplicaSets only; the ReplicaSet controller makes the pods.
 */
import type { KObject, OwnerReference } from '../../api/types.ts';
import { labelSelectorMatches } from '../../api/validation/index.ts';
import type { Client } from '../../client/client.ts';
import type { EventSink } from '../../client/events.ts';
import { byControllerUid, byNamespace } from '../../client/factory.ts';
import type { Informer } from '../../client/informer.ts';
import { resourcePath } from '../../client/paths.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { claim } from '../replicaset/claim.ts';
import { CONTROLLER_INDEX, NAMESPACE_INDEX } from '../replicaset/controller.ts';
import { EventBudget } from '../replicaset/eventbudget.ts';
import { controllerOf, controllerRef, keyOf } from '../replicaset/pods.ts';
import { rolloutRecreate, rolloutRolling } from './rollout.ts';
import { DeploymentSync } from './sync.ts';

const SERVICE_ACCOUNT = 'deployment-controller';
/** kube-controller-manager's --concurrent-deployment-syncs. */
const WORKERS = 5;

function selectsNothingOrAll(selector: KObject['spec']): boolean {
  return !selector || (!Object.keys(selector.matchLabels ?? {}).length && !(selector.matchExpressions ?? []).length);
}

export class DeploymentController implements Controller {
  readonly name = 'deployment';
  private queue!: WorkQueue;
  private deployments!: Informer;
  private replicaSets!: Informer;
  private pods!: Informer;
  private client!: Client;
  private events!: EventSink;

  init(ctx: ControllerContext): void {
    this.client = ctx.clientFor(SERVICE_ACCOUNT);
    this.events = new EventBudget(ctx.recorderFor(SERVICE_ACCOUNT, SERVICE_ACCOUNT));
    this.queue = new WorkQueue((key) => this.reconcile(key), { name: 'deployment', workers: WORKERS, paused: true });
    this.deployments = ctx.informers.informerFor({ group: 'apps', version: 'v1', resource: 'deployments' });
    this.deployments.addIndex(NAMESPACE_INDEX, byNamespace);
    this.replicaSets = ctx.informers.informerFor({ group: 'apps', version: 'v1', resource: 'replicasets' });
    this.replicaSets.addIndex(NAMESPACE_INDEX, byNamespace).addIndex(CONTROLLER_INDEX, byControllerUid);
    this.pods = ctx.informers.informerFor({ version: 'v1', resource: 'pods' });
    this.pods.addIndex(CONTROLLER_INDEX, byControllerUid);
    this.deployments
      .onAdd((d) => this.queue.add(keyOf(d)))
      .onUpdate((_old, d) => this.queue.add(keyOf(d)))
      .onDelete((d) => this.queue.add(keyOf(d)));
    this.replicaSets
      .onAdd((rs) => this.replicaSetChanged(rs))
      .onUpdate((old, rs) => this.replicaSetChanged(rs, old))
      .onDelete((rs) => this.enqueueOwner(rs));
    // Recreate waits for old pods to be gone: their deletion may be what it waits on.
    this.pods.onDelete((pod) => {
      const ref = controllerOf(pod);
      const rs = ref?.kind === 'ReplicaSet' ? this.replicaSets.get(`${pod.metadata.namespace}/${ref.name}`) : undefined;
      const d = rs && this.owner(rs);
      if (d?.spec?.strategy?.type === 'Recreate') this.queue.add(keyOf(d));
    });
  }

  run(): void {
    this.queue.resume();
  }

  stop(): void {
    this.queue?.stop();
  }

  private owner(rs: KObject, ref: OwnerReference | undefined = controllerOf(rs)): KObject | undefined {
    if (!ref || ref.kind !== 'Deployment') return undefined;
    const d = this.deployments.get(`${rs.metadata.namespace}/${ref.name}`);
    return d?.metadata.uid === ref.uid ? d : undefined;
  }

  private enqueueOwner(rs: KObject): void {
    const d = this.owner(rs);
    if (d) this.queue.add(keyOf(d));
  }

  private replicaSetChanged(rs: KObject, old?: KObject): void {
    if (old && controllerOf(old)?.uid !== controllerOf(rs)?.uid) this.enqueueOwner(old);
    if (controllerOf(rs)) return this.enqueueOwner(rs);
    // An orphan: any Deployment selecting it may adopt it.
    for (const d of this.deployments.byIndex(NAMESPACE_INDEX, rs.metadata.namespace ?? '')) {
      if (!selectsNothingOrAll(d.spec?.selector) && labelSelectorMatches(d.spec.selector, rs.metadata.labels)) this.queue.add(keyOf(d));
    }
  }

  /** A conflict (a write from a cache older than our last one) throws: the work queue retries it quietly. */
  async reconcile(key: string): Promise<boolean | number> {
    const cached = this.deployments.get(key);
    if (!cached) return true;
    const d = structuredClone(cached);
    const sync = new DeploymentSync(d, [], this.client, this.events);
    if (selectsNothingOrAll(d.spec?.selector)) {
      this.events.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) await sync.updateStatus({ ...d.status, observedGeneration: d.metadata.generation });
      return true;
    }
    sync.replicaSets.push(...(await this.claimReplicaSets(d)));
    if (d.metadata.deletionTimestamp) {
      const { newRS, oldRSs } = await sync.newAndOld(false);
      await sync.syncStatus([...oldRSs, ...(newRS ? [newRS] : [])], newRS);
      return true;
    }
    await sync.checkPausedConditions();
    if (sync.d.spec.paused || (await sync.isScalingEvent())) {
      await sync.sync();
      return true;
    }
    const again = sync.d.spec.strategy?.type === 'Recreate' ? await rolloutRecreate(sync, this.podsBySet(sync.replicaSets)) : await rolloutRolling(sync);
    return again ?? true;
  }

  /** The ReplicaSets this Deployment controls, adopting matching orphans and releasing strays. */
  private claimReplicaSets(d: KObject): Promise<KObject[]> {
    const namespace = d.metadata.namespace!;
    const candidates = this.replicaSets.byIndex(NAMESPACE_INDEX, namespace);
    const path = (name?: string) => resourcePath({ group: 'apps', version: 'v1', resource: 'replicasets', namespace, name });
    return claim(candidates, {
      owner: d,
      selector: d.spec.selector,
      ref: controllerRef(d, 'apps/v1', 'Deployment'),
      patch: (rs, body) => this.client.patch(path(rs.metadata.name), body, 'strategic'),
      canAdopt: async () => {
        const fresh = await this.client.get(resourcePath({ group: 'apps', version: 'v1', resource: 'deployments', namespace, name: d.metadata.name }));
        if (fresh.metadata.uid !== d.metadata.uid) throw new Error(`original Deployment ${keyOf(d)} is gone: got uid ${fresh.metadata.uid}, wanted ${d.metadata.uid}`);
        if (fresh.metadata.deletionTimestamp) throw new Error(`Deployment ${keyOf(d)} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
      },
    });
  }

  private podsBySet(sets: KObject[]): Map<string, KObject[]> {
    return new Map(sets.map((rs) => [rs.metadata.uid!, this.pods.byIndex(CONTROLLER_INDEX, rs.metadata.uid!)]));
  }
}

export const deploymentController = (): Controller => new DeploymentController();
