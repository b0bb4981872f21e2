/**
 * Ownership for the DaemonSet and StatefulSet controllers, as their Kubernetes counterparts
 * claim pods and ControllerRevisions: owned objects that still match the selector, plus
 * matching orphans adopted (after re-reading the owner, so one deleted and recreated under
 * the same name never adopts by mistake); owned objects that stopped matching are released.
 * A set deleted with --cascade=orphan and created again thus finds its pods and revisions.
 */
import type { KObject, OwnerReference } from '../../api/types.ts';
import type { Client } from '../../client/client.ts';
import type { Informer } from '../../client/informer.ts';
import { resourcePath, type ResourceRef } from '../../client/paths.ts';
import { claim } from '../replicaset/claim.ts';
import { CONTROLLER_INDEX, ORPHAN_INDEX, orphansByNamespace } from '../replicaset/controller.ts';
import { controllerRef } from '../replicaset/pods.ts';
import { byControllerUid } from '../../client/factory.ts';

export { CONTROLLER_INDEX };

/** The indexes claimDependents reads; call in init() on the shared informer of the dependents. */
export function indexDependents(informer: Informer): Informer {
  return informer.addIndex(CONTROLLER_INDEX, byControllerUid).addIndex(ORPHAN_INDEX, orphansByNamespace);
}

export const PODS: Omit<ResourceRef, 'namespace' | 'name'> = { version: 'v1', resource: 'pods' };
export const REVISIONS: Omit<ResourceRef, 'namespace' | 'name'> = { group: 'apps', version: 'v1', resource: 'controllerrevisions' };

/**
 * The `dependents` (pods or revisions, from `informer`) that `owner` (an apps/v1 object of the
 * plural `ownerResource`) controls after claiming. `member` narrows which orphans may be
 * adopted (a StatefulSet adopts only pods named as its own).
 */
export function claimDependents(
  client: Client,
  informer: Informer,
  dependents: Omit<ResourceRef, 'namespace' | 'name'>,
  owner: KObject,
  ownerResource: string,
  member: (obj: KObject) => boolean = () => true,
): Promise<KObject[]> {
  const namespace = owner.metadata.namespace!;
  const candidates = [...informer.byIndex(CONTROLLER_INDEX, owner.metadata.uid!), ...informer.byIndex(ORPHAN_INDEX, namespace).filter(member)];
  const ownerPath = resourcePath({ group: 'apps', version: 'v1', resource: ownerResource, namespace, name: owner.metadata.name });
  return claim(candidates, {
    owner,
    selector: owner.spec?.selector,
    ref: controllerRef(owner, 'apps/v1', owner.kind!),
    patch: (obj, body) => {
      const path = resourcePath({ ...dependents, namespace, name: obj.metadata.name });
      return dependents === REVISIONS ? client.patch(path, asMergePatch(obj, body), 'merge') : client.patch(path, body, 'strategic');
    },
    canAdopt: async () => {
      const fresh = await client.get(ownerPath);
      if (fresh.metadata.uid !== owner.metadata.uid) throw new Error(`original ${owner.kind} ${namespace}/${owner.metadata.name} is gone: got uid ${fresh.metadata.uid}, wanted ${owner.metadata.uid}`);
      if (fresh.metadata.deletionTimestamp) throw new Error(`${owner.kind} ${namespace}/${owner.metadata.name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
    },
  });
}

/**
 * The API server's strategic merge drops `$patch` keys anywhere in the merged object, also in
 * a ControllerRevision's opaque `data` (whose template patch carries `$patch: replace`), and
 * then refuses the result as a change to immutable data. Revisions therefore get the same
 * ownerReferences change as a JSON merge patch of the whole list, guarded by resourceVersion.
 */
function asMergePatch(obj: KObject, strategic: unknown): unknown {
  const changes = (strategic as { metadata: { ownerReferences: (OwnerReference & { $patch?: string })[] } }).metadata.ownerReferences;
  let owners = obj.metadata.ownerReferences ?? [];
  for (const change of changes) {
    owners = owners.filter((o) => o.uid !== change.uid);
    if (change.$patch !== 'delete') owners.push(change);
  }
  return { metadata: { ownerReferences: owners, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion } };
}
