/**
 * Storage object in-use protection, as kube-controller-manager's pvc-protection and
 * pv-protection controllers: every claim carries kubernetes.io/pvc-protection and every
 * volume kubernetes.io/pv-protection (added here; Kubernetes' admission plugin adds them at
 * creation too, tsk leaves that to these controllers), so deleting one only marks it. The
 * finalizer comes off a claim once no scheduled, unfinished pod uses it (the kubelet refuses
 * to start a pod whose claim is being deleted, so unscheduled pods do not hold it), and off a
 * volume once it is no longer Bound.
 */
import type { KObject } from '../../api/types.ts';
import { byNamespace, NAMESPACE_INDEX } from '../../client/factory.ts';
import { isClientError, type Client } from '../../client/client.ts';
import { objectKey, type Informer } from '../../client/informer.ts';
import { resourcePath } from '../../client/paths.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { Controller, ControllerContext, ControllerFactory } from '../manager.ts';
import { isTerminalPod, podClaimNames, PV_PROTECTION_FINALIZER, PVC_PROTECTION_FINALIZER } from './helpers.ts';

/** What to do with an object's protection finalizer. */
export type FinalizerAction = 'add' | 'remove' | 'none';

export function claimFinalizerAction(claim: KObject, podsOfNamespace: KObject[]): FinalizerAction {
  const has = (claim.metadata.finalizers ?? []).includes(PVC_PROTECTION_FINALIZER);
  if (!claim.metadata.deletionTimestamp) return has ? 'none' : 'add';
  if (!has) return 'none';
  const name = claim.metadata.name!;
  const inUse = podsOfNamespace.some((p) => p.spec?.nodeName && !isTerminalPod(p) && podClaimNames(p).includes(name));
  return inUse ? 'none' : 'remove';
}

export function volumeFinalizerAction(pv: KObject): FinalizerAction {
  const has = (pv.metadata.finalizers ?? []).includes(PV_PROTECTION_FINALIZER);
  if (!pv.metadata.deletionTimestamp) return has ? 'none' : 'add';
  if (!has) return 'none';
  return pv.status?.phase === 'Bound' ? 'none' : 'remove';
}

function withFinalizer(obj: KObject, finalizer: string, action: FinalizerAction): KObject {
  const next = structuredClone(obj);
  const list = (next.metadata.finalizers ?? []).filter((f: string) => f !== finalizer);
  next.metadata.finalizers = action === 'add' ? [...list, finalizer] : list;
  return next;
}

abstract class ProtectionController implements Controller {
  abstract readonly name: string;
  protected abstract readonly serviceAccount: string;
  protected readonly queue = new WorkQueue((key) => this.reconcile(key), { name: 'storage-protection', workers: 1, paused: true, retryMs: 200 });
  protected client!: Client;
  protected objects!: Informer;

  abstract init(ctx: ControllerContext): void;
  protected abstract action(obj: KObject): FinalizerAction;
  protected abstract path(obj: KObject): string;
  protected abstract readonly finalizer: string;

  run(): void {
    this.queue.resume();
  }

  stop(): void {
    this.queue.stop();
  }

  async reconcile(key: string): Promise<boolean> {
    const obj = this.objects.get(key);
    if (!obj) return true;
    const action = this.action(obj);
    if (action === 'none') return true;
    try {
      await this.client.update(this.path(obj), withFinalizer(obj, this.finalizer, action));
    } catch (err) {
      if (isClientError(err, 'NotFound')) return true;
      throw err; // a conflict: the cache catches up, the retry decides again
    }
    return true;
  }
}

export class PvcProtectionController extends ProtectionController {
  readonly name = 'pvc-protection';
  protected readonly serviceAccount = 'pvc-protection-controller';
  protected readonly finalizer = PVC_PROTECTION_FINALIZER;
  private pods!: Informer;

  init(ctx: ControllerContext): void {
    this.client = ctx.clientFor(this.serviceAccount);
    this.objects = ctx.informers.informerFor({ version: 'v1', resource: 'persistentvolumeclaims' });
    this.pods = ctx.informers.informerFor({ version: 'v1', resource: 'pods' });
    this.pods.addIndex(NAMESPACE_INDEX, byNamespace);
    const claim = (c: KObject) => this.queue.add(objectKey(c));
    this.objects.onAdd(claim).onUpdate((_, c) => claim(c));
    // A pod that ends or goes away may free the claims it used.
    const pod = (p: KObject) => {
      for (const name of podClaimNames(p)) this.queue.add(`${p.metadata.namespace}/${name}`);
    };
    this.pods.onUpdate((_, p) => {
      if (isTerminalPod(p)) pod(p);
    }).onDelete(pod);
  }

  protected action(claim: KObject): FinalizerAction {
    return claimFinalizerAction(claim, this.pods.byIndex(NAMESPACE_INDEX, claim.metadata.namespace ?? ''));
  }

  protected path(claim: KObject): string {
    return resourcePath({ version: 'v1', resource: 'persistentvolumeclaims', namespace: claim.metadata.namespace, name: claim.metadata.name });
  }
}

export class PvProtectionController extends ProtectionController {
  readonly name = 'pv-protection';
  protected readonly serviceAccount = 'pv-protection-controller';
  protected readonly finalizer = PV_PROTECTION_FINALIZER;

  init(ctx: ControllerContext): void {
    this.client = ctx.clientFor(this.serviceAccount);
    this.objects = ctx.informers.informerFor({ version: 'v1', resource: 'persistentvolumes' });
    const volume = (pv: KObject) => this.queue.add(objectKey(pv));
    this.objects.onAdd(volume).onUpdate((_, pv) => volume(pv));
  }

  protected action(pv: KObject): FinalizerAction {
    return volumeFinalizerAction(pv);
  }

  protected path(pv: KObject): string {
    return resourcePath({ version: 'v1', resource: 'persistentvolumes', name: pv.metadata.name });
  }
}

export const pvcProtectionController: ControllerFactory = () => new PvcProtectionController();
export const pvProtectionController: ControllerFactory = () => new PvProtectionController();
