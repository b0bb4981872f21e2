/**
 * The persistent volume binder (kube-controller-manager's persistentvolume-binder-controller),
 * the parts a cluster with static and externally provisioned volumes needs:
 *
 *   claims   a Pending claim gets the smallest Available volume that satisfies it (class,
 *            volume mode, access modes, capacity, selector), or the one it names in
 *            spec.volumeName, or the one pre-bound to it (claimRef); with none, a claim of a
 *            WaitForFirstConsumer class waits for the scheduler's selected-node annotation,
 *            and then (or at once for Immediate classes) is handed to the class's provisioner
 *            through the storage-provisioner annotations. Bound claims that lost their volume
 *            become Lost.
 *   volumes  Available without a claim, Bound with one, Released once their claim is gone;
 *            then the reclaim policy: Retain keeps it Released, Delete of a provisioned volume
 *            waits for its provisioner (tsk's local-path: the node's kubelet), Delete or
 *            Recycle of anything else fails (no in-tree deleters here).
 *
 * Binding writes the volume first (claimRef, then status), then the claim (volumeName and the
 * bind-completed annotation, then status), so a crash in between is finished by the next sync,
 * as Kubernetes' bind() does. Writes as kube-system/persistent-volume-binder.
 */
import type { KObject } from '../../api/types.ts';
import { byNamespace, NAMESPACE_INDEX } from '../../client/factory.ts';
import { isClientError, type Client } from '../../client/client.ts';
import type { EventSink } from '../../client/events.ts';
import { objectKey, type Informer } from '../../client/informer.ts';
import { resourcePath } from '../../client/paths.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { Controller, ControllerContext, ControllerFactory } from '../manager.ts';
import {
  ANN_BETA_STORAGE_PROVISIONER, ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER, ANN_PROVISIONED_BY, ANN_SELECTED_NODE, ANN_STORAGE_PROVISIONER,
  claimClass, claimIsBound, claimKey, findBestMatch, podClaimNames, volumeBoundToClaim, volumeMismatch, WAIT_FOR_FIRST_CONSUMER, type ClaimRef,
} from './helpers.ts';

const SERVICE_ACCOUNT = 'persistent-volume-binder';

const pvPath = (name?: string, subresource?: string) => resourcePath({ version: 'v1', resource: 'persistentvolumes', name, subresource });
const pvcPath = (namespace: string, name?: string, subresource?: string) => resourcePath({ version: 'v1', resource: 'persistentvolumeclaims', namespace, name, subresource });

/** The reads the binder makes; tests give plain maps. */
export interface BinderCache {
  claim(key: string): KObject | undefined;
  volume(name: string): KObject | undefined;
  volumes(): Iterable<KObject>;
  storageClass(name: string): KObject | undefined;
  /** Pods of the namespace (for "waiting for pod X to be scheduled"). */
  pods(namespace: string): KObject[];
}

/** The writes; each answers the stored object. */
export interface BinderWriter {
  updateVolume(pv: KObject): Promise<KObject>;
  updateVolumeStatus(pv: KObject): Promise<KObject>;
  updateClaim(claim: KObject): Promise<KObject>;
  updateClaimStatus(claim: KObject): Promise<KObject>;
  /** The claim as the API has it now (the cache may not have it yet); undefined when gone. */
  getClaim(namespace: string, name: string): Promise<KObject | undefined>;
}

export class VolumeBinder {
  constructor(private readonly cache: BinderCache, private readonly writer: BinderWriter, private readonly events: EventSink) {}

  async syncClaim(claim: KObject): Promise<void> {
    if (claimIsBound(claim)) return this.syncBoundClaim(claim);
    const volumeName: string | undefined = claim.spec?.volumeName;
    if (!volumeName) {
      const className = claimClass(claim);
      const cls = className ? this.cache.storageClass(className) : undefined;
      const delayBinding = cls?.volumeBindingMode === WAIT_FOR_FIRST_CONSUMER;
      const pv = findBestMatch(claim, this.cache.volumes(), { delayBinding });
      if (pv) return this.bind(pv, claim);
      if (delayBinding && !claim.metadata.annotations?.[ANN_SELECTED_NODE]) {
        this.waitingEvent(claim);
      } else if (className) {
        return this.provision(claim, className, cls);
      } else {
        this.events.event(claim, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
      }
      return this.claimPhase(claim, 'Pending');
    }
    const pv = this.cache.volume(volumeName);
    if (!pv) return this.claimPhase(claim, 'Pending');
    if (!pv.spec?.claimRef) {
      const why = volumeMismatch(pv, claim);
      if (!why) return this.bind(pv, claim);
      this.events.event(claim, 'Warning', 'VolumeMismatch', `Cannot bind to requested volume "${pv.metadata.name}": ${why}`);
      return this.claimPhase(claim, 'Pending');
    }
    if (volumeBoundToClaim(pv, claim)) return this.bind(pv, claim);
    this.events.event(claim, 'Warning', 'FailedBinding', `volume "${pv.metadata.name}" already bound to a different claim.`);
    return this.claimPhase(claim, 'Pending');
  }

  async syncVolume(pv: KObject): Promise<void> {
    const ref: ClaimRef | undefined = pv.spec?.claimRef;
    if (!ref || !ref.uid) {
      await this.volumePhase(pv, 'Available');
      return;
    }
    const ns = ref.namespace ?? '';
    const name = ref.name ?? '';
    let claim = this.cache.claim(claimKey(ns, name));
    // A claim the cache has not seen yet (the provisioner or scheduler was faster) is no reason to release.
    if (!claim && pv.status?.phase !== 'Released' && pv.status?.phase !== 'Failed') claim = await this.writer.getClaim(ns, name);
    if (!claim || claim.metadata.uid !== ref.uid) {
      if (pv.status?.phase !== 'Released' && pv.status?.phase !== 'Failed') pv = await this.volumePhase(pv, 'Released');
      return this.reclaim(pv);
    }
    // Claim not bound yet (pre-bound volume): the claim's sync finishes it.
    if (!claim.spec?.volumeName) return;
    if (claim.spec.volumeName === pv.metadata.name) {
      await this.volumePhase(pv, 'Bound');
      return;
    }
    // The claim went to another volume: free this one (or only its uid, when the user pre-bound it).
    const unbound = structuredClone(pv);
    if (pv.metadata.annotations?.[ANN_BOUND_BY_CONTROLLER]) {
      delete unbound.spec.claimRef;
      delete unbound.metadata.annotations![ANN_BOUND_BY_CONTROLLER];
    } else {
      unbound.spec.claimRef = { ...ref, uid: undefined, resourceVersion: undefined };
    }
    await this.volumePhase(await this.writer.updateVolume(unbound), 'Available');
  }

  private async syncBoundClaim(claim: KObject): Promise<void> {
    const volumeName: string | undefined = claim.spec?.volumeName;
    const pv = volumeName ? this.cache.volume(volumeName) : undefined;
    if (!volumeName) return this.lost(claim, 'ClaimLost', 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!');
    if (!pv) return this.lost(claim, 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!');
    if (!pv.spec?.claimRef || pv.spec.claimRef.uid === claim.metadata.uid) return this.bind(pv, claim);
    return this.lost(claim, 'ClaimMisbound', 'Two claims are bound to the same volume, this one is bound incorrectly');
  }

  /** Both sides, each write only when something is missing (so a synced pair costs nothing). */
  private async bind(pv: KObject, claim: KObject): Promise<void> {
    const ref: ClaimRef | undefined = pv.spec?.claimRef;
    if (!ref || ref.uid !== claim.metadata.uid) {
      const next = structuredClone(pv);
      next.spec.claimRef = { kind: 'PersistentVolumeClaim', namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid, apiVersion: 'v1', resourceVersion: claim.metadata.resourceVersion };
      if (!ref) (next.metadata.annotations ??= {})[ANN_BOUND_BY_CONTROLLER] = 'yes';
      pv = await this.writer.updateVolume(next);
    }
    pv = await this.volumePhase(pv, 'Bound');
    const annotations = claim.metadata.annotations ?? {};
    if (claim.spec?.volumeName !== pv.metadata.name || annotations[ANN_BIND_COMPLETED] === undefined) {
      const next = structuredClone(claim);
      const ann = (next.metadata.annotations ??= {});
      if (next.spec.volumeName !== pv.metadata.name) {
        next.spec.volumeName = pv.metadata.name;
        ann[ANN_BOUND_BY_CONTROLLER] = 'yes';
      }
      ann[ANN_BIND_COMPLETED] = 'yes';
      claim = await this.writer.updateClaim(next);
    }
    const status = claim.status ?? {};
    const capacity = pv.spec?.capacity;
    if (status.phase !== 'Bound' || JSON.stringify(status.accessModes) !== JSON.stringify(pv.spec?.accessModes) || JSON.stringify(status.capacity) !== JSON.stringify(capacity)) {
      const next = structuredClone(claim);
      next.status = { ...status, phase: 'Bound', accessModes: pv.spec?.accessModes, capacity };
      await this.writer.updateClaimStatus(next);
    }
  }

  /** An external provisioner (every one here) is asked through the claim's annotations and left to it. */
  private async provision(claim: KObject, className: string, cls: KObject | undefined): Promise<void> {
    if (!cls) {
      this.events.event(claim, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`);
      return this.claimPhase(claim, 'Pending');
    }
    const provisioner: string = cls.provisioner;
    const ann = claim.metadata.annotations ?? {};
    if (ann[ANN_STORAGE_PROVISIONER] !== provisioner || ann[ANN_BETA_STORAGE_PROVISIONER] !== provisioner) {
      const next = structuredClone(claim);
      Object.assign((next.metadata.annotations ??= {}), { [ANN_STORAGE_PROVISIONER]: provisioner, [ANN_BETA_STORAGE_PROVISIONER]: provisioner });
      await this.writer.updateClaim(next);
    }
    this.events.event(claim, 'Normal', 'ExternalProvisioning', `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`);
  }

  private waitingEvent(claim: KObject): void {
    const ns = claim.metadata.namespace ?? '';
    const waiting = this.cache.pods(ns)
      .filter((p) => !p.spec?.nodeName && podClaimNames(p).includes(claim.metadata.name!))
      .map((p) => p.metadata.name!)
      .sort();
    if (waiting.length === 0) this.events.event(claim, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
    else this.events.event(claim, 'Normal', 'WaitForPodScheduled', `waiting for pod${waiting.length > 1 ? 's' : ''} ${waiting.join(',')} to be scheduled`);
  }

  private async reclaim(pv: KObject): Promise<void> {
    const policy = pv.spec?.persistentVolumeReclaimPolicy ?? 'Retain';
    if (policy === 'Retain' || pv.status?.phase === 'Failed') return;
    if (policy === 'Delete' && pv.metadata.annotations?.[ANN_PROVISIONED_BY]) return; // its provisioner deletes it
    const message = policy === 'Delete'
      ? `error getting deleter volume plugin for volume "${pv.metadata.name}": no deletable volume plugin matched`
      : `No recycler plugin found for the volume!`;
    this.events.event(pv, 'Warning', policy === 'Delete' ? 'VolumeFailedDelete' : 'VolumeFailedRecycle', message);
    await this.volumePhase(pv, 'Failed', message);
  }

  private async lost(claim: KObject, reason: string, message: string): Promise<void> {
    if (claim.status?.phase === 'Lost') return;
    this.events.event(claim, 'Warning', reason, message);
    await this.claimPhase(claim, 'Lost');
  }

  private async claimPhase(claim: KObject, phase: string): Promise<void> {
    if (claim.status?.phase === phase) return;
    const next = structuredClone(claim);
    next.status = { ...(next.status ?? {}), phase };
    await this.writer.updateClaimStatus(next);
  }

  private async volumePhase(pv: KObject, phase: string, message?: string): Promise<KObject> {
    if (pv.status?.phase === phase && (message === undefined || pv.status?.message === message)) return pv;
    const next = structuredClone(pv);
    next.status = { phase, ...(message ? { message } : {}), lastPhaseTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') };
    return this.writer.updateVolumeStatus(next);
  }
}

export class PersistentVolumeBinderController implements Controller {
  readonly name = 'persistentvolume-binder';
  private readonly queue = new WorkQueue((key) => this.reconcile(key), { name: SERVICE_ACCOUNT, workers: 2, paused: true, retryMs: 200 });
  private claims!: Informer;
  private volumes!: Informer;
  private binder!: VolumeBinder;

  init(ctx: ControllerContext): void {
    const client = ctx.clientFor(SERVICE_ACCOUNT);
    this.claims = ctx.informers.informerFor({ version: 'v1', resource: 'persistentvolumeclaims' });
    this.volumes = ctx.informers.informerFor({ version: 'v1', resource: 'persistentvolumes' });
    const classes = ctx.informers.informerFor({ group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses' });
    const pods = ctx.informers.informerFor({ version: 'v1', resource: 'pods' });
    pods.addIndex(NAMESPACE_INDEX, byNamespace);
    const cache: BinderCache = {
      claim: (key) => this.claims.get(key),
      volume: (name) => this.volumes.get(name),
      volumes: () => this.volumes.list(),
      storageClass: (name) => classes.get(name),
      pods: (ns) => pods.byIndex(NAMESPACE_INDEX, ns),
    };
    this.binder = new VolumeBinder(cache, clientWriter(client), ctx.recorderFor(SERVICE_ACCOUNT, 'persistentvolume-controller'));
    const claim = (c: KObject) => this.queue.add(`claim:${objectKey(c)}`);
    const volume = (pv: KObject) => {
      this.queue.add(`volume:${pv.metadata.name}`);
      const ref: ClaimRef | undefined = pv.spec?.claimRef;
      if (ref?.name) this.queue.add(`claim:${claimKey(ref.namespace ?? '', ref.name)}`);
      // An unclaimed volume may serve a claim that waits.
      else this.requeueUnbound();
    };
    this.claims.onAdd(claim).onUpdate((_, c) => claim(c)).onDelete((c) => {
      if (c.spec?.volumeName) this.queue.add(`volume:${c.spec.volumeName}`);
    });
    this.volumes.onAdd(volume).onUpdate((_, pv) => volume(pv)).onDelete((pv) => {
      const ref: ClaimRef | undefined = pv.spec?.claimRef;
      if (ref?.name) this.queue.add(`claim:${claimKey(ref.namespace ?? '', ref.name)}`);
    });
    classes.onAdd(() => this.requeueUnbound()).onUpdate(() => this.requeueUnbound());
  }

  run(): void {
    this.queue.resume();
  }

  stop(): void {
    this.queue.stop();
  }

  private requeueUnbound(): void {
    for (const c of this.claims.list()) if (!claimIsBound(c)) this.queue.add(`claim:${objectKey(c)}`);
  }

  async reconcile(key: string): Promise<boolean> {
    const [kind, rest] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
    try {
      if (kind === 'claim') {
        const claim = this.claims.get(rest);
        if (claim) await this.binder.syncClaim(claim);
      } else {
        const pv = this.volumes.get(rest);
        if (pv) await this.binder.syncVolume(pv);
      }
    } catch (err) {
      // The cache was behind one of our own writes, or the object went away: look again later.
      if (isClientError(err, 'NotFound')) return true;
      throw err;
    }
    return true;
  }
}

export function clientWriter(client: Client): BinderWriter {
  const ns = (o: KObject) => o.metadata.namespace!;
  return {
    updateVolume: (pv) => client.update(pvPath(pv.metadata.name), pv),
    updateVolumeStatus: (pv) => client.update(pvPath(pv.metadata.name, 'status'), pv),
    updateClaim: (c) => client.update(pvcPath(ns(c), c.metadata.name), c),
    updateClaimStatus: (c) => client.update(pvcPath(ns(c), c.metadata.name, 'status'), c),
    getClaim: async (namespace, name) => {
      try {
        return await client.get(pvcPath(namespace, name));
      } catch (err) {
        if (isClientError(err, 'NotFound')) return undefined;
        throw err;
      }
    },
  };
}

export const persistentVolumeBinderController: ControllerFactory = () => new PersistentVolumeBinderController();
