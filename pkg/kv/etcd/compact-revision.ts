/**
 * etcd 3.4's Status does not report the compact revision, and HashKV (which does) hashes the
 * whole keyspace. A range at revision r fails with "compacted" exactly when r is below the
 * compact revision, so the compact revision is the lowest revision a range still succeeds
 * at: a binary search over single-key ranges, each an index lookup.
 */
import { isKvError } from '../errors.ts';

/**
 * @param readableAt whether a range at `revision` succeeds (false: compacted).
 * @param known a revision the compact revision is known to be at or above.
 * @param current the store's current revision.
 */
export async function findCompactRevision(
  readableAt: (revision: number) => Promise<boolean>,
  known: number,
  current: number,
): Promise<number> {
  const floor = Math.max(known, 1);
  // The compact revision is at least `known`, so being readable there pins it down.
  if (current <= floor || (await readableAt(floor))) return known;
  // Unreadable at floor: the answer is in (floor, current], where reads at current succeed.
  let lo = floor + 1;
  let hi = current;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (await readableAt(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Adapts a range call: true when it succeeds, false on 'compacted', other errors thrown. */
export function probeWith(range: (revision: number) => Promise<unknown>): (revision: number) => Promise<boolean> {
  return async (revision) => {
    try {
      await range(revision);
      return true;
    } catch (err) {
      if (isKvError(err, 'compacted')) return false;
      throw err;
    }
  };
}
