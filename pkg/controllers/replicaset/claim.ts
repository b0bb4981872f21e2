/**
 * Kubernetes' ControllerRefManager: which of the candidate objects an owner controls. Objects
 * it controls stay while its selector matches them and are released (ownerReference removed)
 * when they stop matching; orphans that match are adopted (ownerReference added), unless the
 * owner or the orphan is being deleted. Adoption first re-reads the owner from the API
 * (canAdopt), so an owner deleted and recreated under the same name never adopts by mistake.
 */
import type { KObject, OwnerReference } from '../../api/types.ts';
import type { LabelSelector } from '../../api/validation/index.ts';
import { isClientError } from '../../client/errors.ts';
import { factsOf, selectorOf, selects } from './facts.ts';

export interface ClaimOptions {
  owner: KObject;
  selector: LabelSelector;
  /** The ownerReference adoption adds. */
  ref: OwnerReference;
  /** Patches `obj`'s metadata with the strategic merge patch given. */
  patch(obj: KObject, patch: unknown): Promise<unknown>;
  /** Throws when the owner may not adopt (gone, replaced, being deleted). */
  canAdopt(): Promise<void>;
}

/** Strategic merge patch adding `ref` (merge key uid) to the object's ownerReferences. */
export function adoptPatch(obj: KObject, ref: OwnerReference): unknown {
  return { metadata: { ownerReferences: [ref], uid: obj.metadata.uid } };
}

export function releasePatch(obj: KObject, ownerUid: string): unknown {
  return { metadata: { ownerReferences: [{ $patch: 'delete', uid: ownerUid }], uid: obj.metadata.uid } };
}

/** The objects the owner controls after adopting and releasing; throws the first real failure. Candidates come from informers (see facts.ts). */
export async function claim(candidates: KObject[], opts: ClaimOptions): Promise<KObject[]> {
  const { owner, selector } = opts;
  const uid = owner.metadata.uid;
  const ownerGoing = Boolean(owner.metadata.deletionTimestamp);
  const claimed: KObject[] = [];
  const errors: unknown[] = [];
  let adoptable: Promise<void> | undefined;
  const jobs: Promise<void>[] = [];
  const wanted = selectorOf(selector);
  for (const obj of candidates) {
    const ref = factsOf(obj).controller;
    const matches = selects(wanted, obj);
    if (ref) {
      if (ref.uid !== uid) continue;
      if (matches) {
        claimed.push(obj);
        continue;
      }
      if (ownerGoing) continue;
      jobs.push(
        opts.patch(obj, releasePatch(obj, uid!)).then(
          () => undefined,
          (err: unknown) => {
            // Gone, or already someone else's (the uid precondition failed): nothing to release.
            if (!isClientError(err, 'NotFound') && !isClientError(err, 'Invalid')) errors.push(err);
          },
        ),
      );
      continue;
    }
    if (ownerGoing || !matches || obj.metadata.deletionTimestamp || obj.metadata.namespace !== owner.metadata.namespace) continue;
    adoptable ??= opts.canAdopt();
    jobs.push(
      adoptable
        .then(() => opts.patch(obj, adoptPatch(obj, opts.ref)))
        .then(
          () => void claimed.push(obj),
          (err: unknown) => {
            if (!isClientError(err, 'NotFound')) errors.push(err);
          },
        ),
    );
  }
  await Promise.all(jobs);
  if (errors.length > 0) throw errors[0];
  return claimed;
}
