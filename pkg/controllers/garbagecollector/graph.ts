/**
 * The ownership graph of the garbage collector: every object of every watched resource by uid,
 * and for each uid the objects whose ownerReferences name it. Objects are the informers' own
 * (no copies), so the graph adds only its maps to what the informers hold.
 */
import type { KObject, OwnerReference } from '../../api/types.ts';
import type { ApiResource } from './discovery.ts';

export const FOREGROUND = 'foregroundDeletion';
export const ORPHAN = 'orphan';

export interface GraphNode {
  resource: ApiResource;
  obj: KObject;
}

export function uidOf(obj: KObject): string {
  return obj.metadata.uid ?? '';
}

export function ownersOf(obj: KObject): OwnerReference[] {
  return obj.metadata.ownerReferences ?? [];
}

export function hasFinalizer(obj: KObject, finalizer: string): boolean {
  return (obj.metadata.finalizers ?? []).includes(finalizer);
}

/** Being deleted in the foreground: it waits until its blocking dependents are gone. */
export function isDeletingDependents(obj: KObject): boolean {
  return !!obj.metadata.deletionTimestamp && hasFinalizer(obj, FOREGROUND);
}

export class OwnershipGraph {
  private readonly nodes = new Map<string, GraphNode>();
  private readonly dependents = new Map<string, Set<string>>();

  get size(): number {
    return this.nodes.size;
  }

  get(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }

  /** Records the object's current state; returns the state it replaces. */
  upsert(resource: ApiResource, obj: KObject): GraphNode | undefined {
    const uid = uidOf(obj);
    const old = this.nodes.get(uid);
    if (old) this.unlink(uid, old.obj);
    this.nodes.set(uid, { resource, obj });
    for (const ref of ownersOf(obj)) {
      let set = this.dependents.get(ref.uid);
      if (!set) this.dependents.set(ref.uid, (set = new Set()));
      set.add(uid);
    }
    return old;
  }

  remove(uid: string): GraphNode | undefined {
    const old = this.nodes.get(uid);
    if (!old) return undefined;
    this.nodes.delete(uid);
    this.unlink(uid, old.obj);
    return old;
  }

  /** Objects naming `uid` in their ownerReferences (present in the graph). */
  dependentsOf(uid: string): GraphNode[] {
    const out: GraphNode[] = [];
    for (const d of this.dependents.get(uid) ?? []) {
      const node = this.nodes.get(d);
      if (node) out.push(node);
    }
    return out;
  }

  /** Dependents whose reference to `uid` has blockOwnerDeletion: a foreground delete waits for them. */
  blockingDependentsOf(uid: string): GraphNode[] {
    return this.dependentsOf(uid).filter((d) => ownersOf(d.obj).some((r) => r.uid === uid && r.blockOwnerDeletion));
  }

  /** Every node of one resource (to drop them when the resource is no longer served). */
  nodesOf(resource: ApiResource): string[] {
    const out: string[] = [];
    for (const [uid, node] of this.nodes) if (node.resource.group === resource.group && node.resource.resource === resource.resource) out.push(uid);
    return out;
  }

  private unlink(uid: string, obj: KObject): void {
    for (const ref of ownersOf(obj)) {
      const set = this.dependents.get(ref.uid);
      if (!set) continue;
      set.delete(uid);
      if (set.size === 0) this.dependents.delete(ref.uid);
    }
  }
}
