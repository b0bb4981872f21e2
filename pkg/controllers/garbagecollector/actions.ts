/**
 * What the garbage collector reads live and writes: owner lookups (the cache may lag, so an
 * owner is declared gone only after a GET answers 404 or another uid) and the three writes —
 * delete a dependent, drop ownerReferences, drop a finalizer. Writes are JSON patches that
 * first test the uid and the entry they remove, so an unrelated change in between (a status
 * update) does not make them fail, while a changed entry does.
 */
import type { KObject, OwnerReference } from '../../api/types.ts';
import type { Client, DeleteOptions } from '../../client/client.ts';
import { isClientError } from '../../client/errors.ts';
import { resourcePath } from '../../client/paths.ts';
import { kindKey, type ApiResource, type Discovery } from './discovery.ts';
import { isDeletingDependents, ownersOf, uidOf, type GraphNode, type OwnershipGraph } from './graph.ts';

export interface OwnerClasses {
  /** Owners that exist and are not waiting for their dependents. */
  solid: OwnerReference[];
  /** Owners that are gone (404, or the name now has another uid). */
  dangling: OwnerReference[];
  /** Owners being deleted in the foreground: they wait for this object to go. */
  waiting: OwnerReference[];
}

export interface OwnerLookup {
  classify(obj: KObject): Promise<OwnerClasses>;
}

/**
 * An ownerReference whose apiVersion/kind the server does not serve (a CRD not there yet, or
 * gone): the owner can be verified neither present nor absent, so nothing is done until it can.
 */
export class UnresolvableOwner extends Error {}

/**
 * Owners known to be gone, by namespace and uid (uids are never reused, but one in another
 * namespace is absent only there); bounded, least recently used forgotten first.
 */
const ABSENT_REMEMBERED = 1000;

function pathOf(resource: ApiResource, namespace: string | undefined, name: string): string {
  return resourcePath({ group: resource.group, version: resource.version, resource: resource.resource, namespace: resource.namespaced ? namespace : undefined, name });
}

export const nodePath = (node: GraphNode): string => pathOf(node.resource, node.obj.metadata.namespace, node.obj.metadata.name!);

export class OwnerLookupCache implements OwnerLookup {
  private readonly absent = new Set<string>();

  constructor(
    private readonly client: Client,
    private readonly graph: OwnershipGraph,
    private readonly discovery: () => Discovery | undefined,
    /** Told of references that can never resolve: a namespaced owner outside the object's namespace. */
    private readonly invalidNamespace: (obj: KObject, ref: OwnerReference) => void = () => {},
  ) {}

  async classify(obj: KObject): Promise<OwnerClasses> {
    const out: OwnerClasses = { solid: [], dangling: [], waiting: [] };
    for (const ref of ownersOf(obj)) {
      const state = await this.ownerState(obj, ref);
      out[state].push(ref);
    }
    return out;
  }

  private async ownerState(obj: KObject, ref: OwnerReference): Promise<keyof OwnerClasses> {
    const resource = this.discovery()?.byKind.get(kindKey(ref.apiVersion, ref.kind));
    // Unknown kind: maybe a CRD not discovered yet. Never guess "gone" (that deletes): retry later.
    if (!resource) throw new UnresolvableOwner(`${obj.metadata.namespace ?? ''}/${obj.metadata.name}: owner kind ${ref.kind} of ${ref.apiVersion} is not served`);
    // A cluster-scoped object cannot be owned by a namespaced one: Kubernetes leaves such objects alone.
    if (resource.namespaced && !obj.metadata.namespace) {
      this.invalidNamespace(obj, ref);
      return 'solid';
    }
    const namespace = resource.namespaced ? obj.metadata.namespace : undefined;
    const cached = this.graph.get(ref.uid);
    const sameKind = cached && cached.resource.group === resource.group && cached.resource.resource === resource.resource;
    // The uid is an object of another namespace: to this object the owner is absent (the GET below says so).
    if (sameKind && resource.namespaced && cached.obj.metadata.namespace !== namespace) this.invalidNamespace(obj, ref);
    const samePlace = sameKind && cached.obj.metadata.namespace === namespace;
    // The cache may say "alive" (worst case we act later); "gone" or "waiting" is checked live.
    if (samePlace && !cached.obj.metadata.deletionTimestamp) return 'solid';
    const absentKey = `${namespace ?? ''}/${ref.uid}`;
    if (this.absent.has(absentKey)) {
      // Refresh its place: what is asked for often stays remembered.
      this.absent.delete(absentKey);
      this.absent.add(absentKey);
      return 'dangling';
    }
    let owner: KObject;
    try {
      owner = await this.client.get(pathOf(resource, namespace, ref.name));
    } catch (err) {
      if (!isClientError(err, 'NotFound')) throw err;
      this.rememberAbsent(absentKey);
      return 'dangling';
    }
    if (uidOf(owner) !== ref.uid) {
      this.rememberAbsent(absentKey);
      return 'dangling';
    }
    return isDeletingDependents(owner) ? 'waiting' : 'solid';
  }

  private rememberAbsent(key: string): void {
    this.absent.add(key);
    if (this.absent.size > ABSENT_REMEMBERED) this.absent.delete(this.absent.values().next().value!);
  }
}

/** Deletes the object the node describes (this uid only); gone already is fine. */
export async function deleteObject(client: Client, node: GraphNode, propagationPolicy: NonNullable<DeleteOptions['propagationPolicy']>): Promise<void> {
  try {
    await client.delete(nodePath(node), { propagationPolicy, preconditions: { uid: uidOf(node.obj) } });
  } catch (err) {
    // NotFound: gone. Conflict: the name now holds another object (uid precondition), not ours to delete.
    if (isClientError(err, 'NotFound') || isClientError(err, 'Conflict')) return;
    throw err;
  }
}

type JsonPatchOp = { op: 'test' | 'remove' | 'replace'; path: string; value?: unknown };

async function patchTested(client: Client, node: GraphNode, ops: JsonPatchOp[]): Promise<void> {
  if (ops.length === 0) return;
  try {
    await client.patch(nodePath(node), [{ op: 'test', path: '/metadata/uid', value: uidOf(node.obj) }, ...ops], 'json');
  } catch (err) {
    if (isClientError(err, 'NotFound')) return;
    throw err;
  }
}

/** Removes the references to `ownerUids` from the node's object. */
export function removeOwnerReferences(client: Client, node: GraphNode, ownerUids: string[]): Promise<void> {
  const ops: JsonPatchOp[] = [];
  const refs = ownersOf(node.obj);
  // From the end, so earlier indexes stay valid.
  for (let i = refs.length - 1; i >= 0; i--) {
    if (!ownerUids.includes(refs[i].uid)) continue;
    ops.push({ op: 'test', path: `/metadata/ownerReferences/${i}/uid`, value: refs[i].uid }, { op: 'remove', path: `/metadata/ownerReferences/${i}` });
  }
  return patchTested(client, node, ops);
}

/** Makes every ownerReference of the node's object non-blocking (its owners stop waiting for it). */
export function unblockOwnerReferences(client: Client, node: GraphNode): Promise<void> {
  const ops: JsonPatchOp[] = [];
  ownersOf(node.obj).forEach((r, i) => {
    if (r.blockOwnerDeletion) ops.push({ op: 'test', path: `/metadata/ownerReferences/${i}/uid`, value: r.uid }, { op: 'replace', path: `/metadata/ownerReferences/${i}/blockOwnerDeletion`, value: false });
  });
  return patchTested(client, node, ops);
}

export function removeFinalizer(client: Client, node: GraphNode, finalizer: string): Promise<void> {
  const i = (node.obj.metadata.finalizers ?? []).indexOf(finalizer);
  if (i < 0) return Promise.resolve();
  return patchTested(client, node, [{ op: 'test', path: `/metadata/finalizers/${i}`, value: finalizer }, { op: 'remove', path: `/metadata/finalizers/${i}` }]);
}
