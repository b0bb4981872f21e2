/**
 * Where a snapshot's records come from: the whole keyspace at one pinned revision, plus the
 * leases its keys are attached to. The sqlite backend provides its own (one read transaction
 * on a reader connection, the in-memory volatile keys read in the same tick, see
 * SqliteBackend.snapshotChunks); any other Backend (etcd) is paged with the revision pinned.
 */
import { isKvError } from '../kv/errors.ts';
import { RANGE_END_ALL } from '../kv/keys.ts';
import type { Backend, KeyValue } from '../kv/types.ts';
import type { LeaseRecord } from './format.ts';

export type SnapshotChunk =
  | { type: 'pinned'; revision: number; compactRevision: number; leases: LeaseRecord[] }
  | { type: 'kvs'; kvs: KeyValue[] };

/** The first chunk is always 'pinned'. */
export type SnapshotChunks = AsyncGenerator<SnapshotChunk>;

export interface SnapshotCapable {
  snapshotChunks(pageSize?: number): SnapshotChunks;
}

export function hasSnapshotChunks(backend: Backend): backend is Backend & SnapshotCapable {
  return typeof (backend as Partial<SnapshotCapable>).snapshotChunks === 'function';
}

/** The first key of the keyspace: etcd refuses an empty key, and "\0" sorts before any other. */
export const FIRST_KEY = '\0';

/** Leases with their granted TTLs; one revoked while being listed is left out. */
async function listLeases(backend: Backend): Promise<LeaseRecord[]> {
  const leases: LeaseRecord[] = [];
  for (const id of await backend.leaseList()) {
    const t = await backend.leaseTimeToLive(id);
    if (t.ttl >= 0) leases.push({ id, ttl: t.grantedTtl });
  }
  return leases;
}

/**
 * Any Backend, paged at the revision of the first page. Leases are listed before that page,
 * so every lease a key at that revision refers to was granted by then (a lease granted and
 * used between the two is the one gap: restore grants such a lease afresh, see restore.ts).
 */
export async function* pagedChunks(backend: Backend, pageSize = 500): SnapshotChunks {
  if (hasSnapshotChunks(backend)) {
    yield* backend.snapshotChunks(pageSize);
    return;
  }
  const leases = await listLeases(backend);
  const first = await backend.range(FIRST_KEY, { end: RANGE_END_ALL, limit: pageSize });
  const revision = first.revision;
  const status = await backend.status();
  yield { type: 'pinned', revision, compactRevision: status.compactRevision, leases };
  let page = first;
  for (;;) {
    if (page.kvs.length > 0) yield { type: 'kvs', kvs: page.kvs };
    if (!page.more || page.kvs.length === 0) return;
    const next = page.kvs[page.kvs.length - 1]!.key + '\0';
    page = await backend.range(next, { end: RANGE_END_ALL, limit: pageSize, revision });
  }
}

/** Whether a failed save is worth repeating: the pinned revision was compacted meanwhile. */
export function isCompactedDuringSave(err: unknown): boolean {
  return isKvError(err, 'compacted');
}
