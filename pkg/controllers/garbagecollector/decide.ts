/**
 * What to do with an object that has owners, once each owner is classified (Kubernetes'
 * attemptToDeleteItem): kept while one owner is solid (dropping references to the others),
 * deleted in the foreground when an owner waits for it and it has dependents of its own (so
 * the chain empties from the bottom), otherwise deleted with the policy its own finalizers ask.
 */
import type { KObject } from '../../api/types.ts';
import type { DeleteOptions } from '../../client/client.ts';
import type { OwnerClasses } from './actions.ts';
import { FOREGROUND, ORPHAN, hasFinalizer } from './graph.ts';

export type Decision =
  | { action: 'keep' }
  | { action: 'dropOwners'; uids: string[] }
  | { action: 'delete'; propagationPolicy: NonNullable<DeleteOptions['propagationPolicy']> };

export function decide(obj: KObject, owners: OwnerClasses, hasDependents: boolean): Decision {
  if (owners.solid.length > 0) {
    const uids = [...owners.dangling, ...owners.waiting].map((r) => r.uid);
    return uids.length > 0 ? { action: 'dropOwners', uids } : { action: 'keep' };
  }
  if (owners.waiting.length > 0 && hasDependents) return { action: 'delete', propagationPolicy: 'Foreground' };
  const propagationPolicy = hasFinalizer(obj, ORPHAN) ? 'Orphan' : hasFinalizer(obj, FOREGROUND) ? 'Foreground' : 'Background';
  return { action: 'delete', propagationPolicy };
}
