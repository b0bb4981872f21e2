/**
 * The garbage collector (kube-controller-manager's generic-garbage-collector): keeps the
 * ownership graph of every watched resource and acts on one object uid at a time:
 *  - an object whose owners are all gone (verified with a live GET, never on the cache alone)
 *    is deleted — background propagation;
 *  - an owner being deleted with the foregroundDeletion finalizer has its dependents deleted,
 *    and the finalizer removed once no dependent with blockOwnerDeletion remains;
 *  - an owner being deleted with the orphan finalizer has its ownerReference removed from its
 *    dependents, then the finalizer.
 * The API server adds those finalizers for DeleteOptions.propagationPolicy Foreground/Orphan.
 */
import type { KObject } from '../../api/types.ts';
import type { Client } from '../../client/client.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import { logger } from '../../log/log.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { OwnerLookupCache, UnresolvableOwner, deleteObject, removeFinalizer, removeOwnerReferences, unblockOwnerReferences, type OwnerClasses, type OwnerLookup } from './actions.ts';
import { decide } from './decide.ts';
import { FOREGROUND, ORPHAN, OwnershipGraph, hasFinalizer, isDeletingDependents, ownersOf, uidOf, type GraphNode } from './graph.ts';
import { CRDS, Monitors } from './monitors.ts';

const SERVICE_ACCOUNT = 'generic-garbage-collector';
/** kube-controller-manager's --concurrent-gc-syncs: deletes are latency-bound, not CPU-bound. */
const CONCURRENT_GC_SYNCS = 20;
/** An owner of a kind not served: look again this much later (discovery runs every 30 s). */
const UNRESOLVABLE_RECHECK_MS = 30_000;
const log = logger('garbage-collector');

export class GarbageCollector implements Controller {
  readonly name = 'garbage-collector-controller';
  private readonly graph = new OwnershipGraph();
  private readonly queue = new WorkQueue((uid) => this.reconcile(uid), { name: 'garbage-collector', workers: CONCURRENT_GC_SYNCS, paused: true });
  private client!: Client;
  private monitors!: Monitors;
  private lookup!: OwnerLookup;

  async init(ctx: ControllerContext): Promise<void> {
    this.client = ctx.clientFor(SERVICE_ACCOUNT);
    this.monitors = new Monitors(this.client, ctx.informers, {
      upsert: (resource, obj) => this.changed(this.graph.upsert(resource, obj)?.obj, obj),
      remove: (_, obj) => this.removed(obj),
      forget: (resource) => {
        for (const uid of this.graph.nodesOf(resource)) this.graph.remove(uid);
      },
    });
    this.monitors.watchCrds(ctx.informers.informerFor(CRDS));
    const events = ctx.recorderFor(SERVICE_ACCOUNT, 'garbage-collector-controller');
    // Kubernetes' words: the owner is named as if it lived in the dependent's namespace.
    this.lookup = new OwnerLookupCache(this.client, this.graph, () => this.monitors.current, (obj, ref) => {
      const ns = obj.metadata.namespace ?? '';
      events.event(obj, 'Warning', 'OwnerRefInvalidNamespace', `ownerRef [${ref.apiVersion}/${ref.kind}, namespace: ${ns}, name: ${ref.name}, uid: ${ref.uid}] does not exist in namespace "${ns}"`);
    });
    await this.monitors.sync();
  }

  run(): void {
    this.monitors.start();
    // Own informers (custom resources) list in the background: act once they hold their first list.
    void Promise.all(this.monitors.informers().map((i) => i.waitForSync())).then(() => this.queue.resume());
  }

  stop(): void {
    this.queue.stop();
    this.monitors.stop();
  }

  /** Graph changes that may call for action, as Kubernetes' graph builder decides them. */
  private changed(old: KObject | undefined, obj: KObject): void {
    const uid = uidOf(obj);
    if (obj.metadata.deletionTimestamp && (hasFinalizer(obj, ORPHAN) || hasFinalizer(obj, FOREGROUND))) {
      this.queue.add(uid);
      // Entering foreground deletion: every dependent is to be deleted, blocking or not.
      if (!old || !isDeletingDependents(old)) for (const d of this.graph.dependentsOf(uid)) this.queue.add(uidOf(d.obj));
    }
    for (const ref of ownersOf(obj)) {
      const owner = this.graph.get(ref.uid);
      // An owner we do not know may be gone: look it up; one in another namespace is not ours
      // (absent, or invalid for a cluster-scoped object). One deleting in the foreground waits on us.
      if (!owner || (owner.resource.namespaced && owner.obj.metadata.namespace !== obj.metadata.namespace)) this.queue.add(uid);
      else if (owner.obj.metadata.deletionTimestamp) {
        this.queue.add(uid);
        this.queue.add(ref.uid);
      }
    }
    // An owner this object no longer names may have been waiting for it.
    for (const ref of old ? ownersOf(old) : []) if (!ownersOf(obj).some((r) => r.uid === ref.uid)) this.queue.add(ref.uid);
  }

  private removed(obj: KObject): void {
    const uid = uidOf(obj);
    this.graph.remove(uid);
    for (const d of this.graph.dependentsOf(uid)) this.queue.add(uidOf(d.obj));
    for (const ref of ownersOf(obj)) if (this.graph.get(ref.uid)?.obj.metadata.deletionTimestamp) this.queue.add(ref.uid);
  }

  private async reconcile(uid: string): Promise<boolean | number> {
    const node = this.graph.get(uid);
    if (!node) return true;
    const { obj } = node;
    if (obj.metadata.deletionTimestamp) {
      if (hasFinalizer(obj, ORPHAN)) return this.orphanDependents(node);
      if (hasFinalizer(obj, FOREGROUND)) return this.deleteDependents(node);
      return true;
    }
    if (ownersOf(obj).length === 0) return true;
    let owners: OwnerClasses;
    try {
      owners = await this.lookup.classify(obj);
    } catch (err) {
      if (!(err instanceof UnresolvableOwner)) throw err;
      // Can stay so for long (Kubernetes logs it at a low level too): no warning per retry.
      log.debug(err.message);
      return UNRESOLVABLE_RECHECK_MS;
    }
    const decision = decide(obj, owners, this.graph.dependentsOf(uid).length > 0);
    if (decision.action === 'dropOwners') await removeOwnerReferences(this.client, node, decision.uids);
    if (decision.action === 'delete' && decision.propagationPolicy === 'Foreground' && this.graph.dependentsOf(uid).some((d) => isDeletingDependents(d.obj))) {
      // A dependent of ours waits on its own dependents while our owner waits on us: maybe a
      // cycle. As Kubernetes does, our owners stop waiting for us, so nothing waits forever.
      await unblockOwnerReferences(this.client, node);
    }
    if (decision.action === 'delete') await deleteObject(this.client, node, decision.propagationPolicy);
    return true;
  }

  private async orphanDependents(node: GraphNode): Promise<boolean> {
    const uid = uidOf(node.obj);
    for (const d of this.graph.dependentsOf(uid)) await removeOwnerReferences(this.client, d, [uid]);
    await removeFinalizer(this.client, node, ORPHAN);
    return true;
  }

  private async deleteDependents(node: GraphNode): Promise<boolean> {
    const uid = uidOf(node.obj);
    const blocking = this.graph.blockingDependentsOf(uid);
    if (blocking.length === 0) {
      await removeFinalizer(this.client, node, FOREGROUND);
      return true;
    }
    // Their deletion (or dropping the reference) brings us back here through removed()/changed().
    for (const d of blocking) if (!isDeletingDependents(d.obj)) this.queue.add(uidOf(d.obj));
    return true;
  }
}

export const garbageCollector = (): Controller => new GarbageCollector();
