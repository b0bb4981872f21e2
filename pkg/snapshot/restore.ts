/**
 * `tsk etcd-snapshot restore FILE`: a snapshot of either datastore into either datastore.
 *
 * Into sqlite: a new store file is built beside the old one and swapped in (the old one is
 * kept as state.db-old-<time>); keys keep their revisions, and the store continues at
 * max(snapshot revision, old store's revision) + BUMP_REVISION with everything below marked
 * compacted — etcdutl's --bump-revision/--mark-compacted advice for Kubernetes — so no
 * client ever sees a resourceVersion go backwards: a watch or list from before gets 410 Gone
 * and relists.
 * Into etcd: the keyspace must be empty (no keys, no leases); leases are granted with their ids
 * and TTLs, keys are put in batched txns, and etcd gives them new revisions (etcd's revision
 * cannot be set from its API). A restore that fails partway removes what it wrote, so it can be
 * run again (or, when that fails too, says how to empty the keyspace). Clients holding resourceVersions from the old store relist when they learn theirs
 * is too new or compacted.
 * Either way the data dir must not be in use: a running server would keep serving (and
 * writing) the old state.
 */
import { DataDirError } from '../datadir/errors.ts';
import { lockDataDir } from '../datadir/lock.ts';
import { parseDatastoreEndpoint } from '../kv/open.ts';
import { RANGE_END_ALL } from '../kv/keys.ts';
import type { Backend, KeyValue, PutOp } from '../kv/types.ts';
import { createRestoreTarget, storeRevision } from '../kv/sqlite/restore.ts';
import { readHeader, readRecords, type SnapshotHeader } from './format.ts';
import { SnapshotError } from './errors.ts';
import { FIRST_KEY } from './source.ts';

/** How far a restored sqlite store's revision jumps past anything it may have handed out. */
export const BUMP_REVISION = 1_000_000_000;
/** The TTL given to a lease a key refers to that the snapshot does not list (granted while it was taken). */
const ORPHAN_LEASE_TTL = 3600;
const TXN_OPS = 100;
const IN_FLIGHT = 8;

export interface RestoreOptions {
  file: string;
  dataDir: string;
  datastoreEndpoint: string | undefined;
  volatilePrefixes: string[];
  /** Opens the etcd target (injected so that the CLI loads gRPC only when needed). */
  openEtcd?: (endpoint: string) => Promise<Backend>;
}

export interface RestoreResult {
  target: string;
  header: SnapshotHeader;
  keys: number;
  leases: number;
  /** The target's revision after the restore. */
  revision: number;
}

async function lockOrRefuse(dataDir: string): Promise<{ release(): Promise<void> }> {
  try {
    return await lockDataDir(dataDir);
  } catch (err) {
    if (err instanceof DataDirError && err.code === 'in-use') {
      throw new SnapshotError('in-use', `cannot restore while a server runs: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

export async function restoreSnapshot(options: RestoreOptions): Promise<RestoreResult> {
  const { header } = readHeader(options.file);
  const target = parseDatastoreEndpoint(options.datastoreEndpoint, options.dataDir);
  const { prepareDataDir } = await import('../datadir/layout.ts');
  prepareDataDir(options.dataDir, { server: true, agent: false });
  const lock = await lockOrRefuse(options.dataDir);
  try {
    if (target.kind === 'sqlite') return await intoSqlite(options, header, target.file);
    if (!options.openEtcd) throw new Error('restore into etcd needs an etcd client');
    const backend = await options.openEtcd(options.datastoreEndpoint!);
    try {
      return await intoEtcd(options.file, header, backend, target.endpoints, target.tls);
    } finally {
      await backend.close();
    }
  } finally {
    await lock.release();
  }
}

async function intoSqlite(options: RestoreOptions, header: SnapshotHeader, file: string): Promise<RestoreResult> {
  const revision = Math.max(header.revision, storeRevision(file)) + BUMP_REVISION;
  const out = createRestoreTarget(file, options.volatilePrefixes);
  const leases = new Set<number>();
  let keys = 0;
  try {
    for await (const record of readRecords(options.file)) {
      if (record.type === 'lease') {
        leases.add(record.lease.id);
        out.lease(record.lease.id, record.lease.ttl);
        continue;
      }
      const lease = record.kv.lease;
      if (lease !== 0 && !leases.has(lease)) {
        leases.add(lease);
        out.lease(lease, ORPHAN_LEASE_TTL);
      }
      out.kv(record.kv);
      keys++;
    }
    out.finish(revision);
  } catch (err) {
    out.abort();
    throw err;
  }
  return { target: `sqlite ${file}`, header, keys, leases: leases.size, revision };
}

/** The etcdctl lines that empty an etcd keyspace: its keys, then the leases left without keys. */
function emptyEtcdAdvice(endpoints: string[], tls: boolean): string {
  const ctl = `etcdctl --endpoints=${endpoints.join(',')}${tls ? ' (and your --cacert/--cert/--key)' : ''}`;
  return `${ctl} del "" --from-key; ${ctl} lease list | tail -n +2 | xargs -r -n1 ${ctl} lease revoke`;
}

/**
 * After a failed restore: the keyspace was empty when it started and the data dir lock keeps
 * other restores out, so every key and every lease granted there now is the restore's own.
 */
async function removeWritten(backend: Backend, granted: Set<number>): Promise<void> {
  await backend.txn({ success: [{ type: 'delete', key: FIRST_KEY, end: RANGE_END_ALL }] });
  for (const id of await backend.leaseList()) if (granted.has(id)) await backend.leaseRevoke(id);
  const left = await backend.range(FIRST_KEY, { end: RANGE_END_ALL, countOnly: true });
  if (left.count > 0) throw new Error(`${left.count} keys are still there`);
}

async function intoEtcd(file: string, header: SnapshotHeader, backend: Backend, endpoints: string[], tls: boolean): Promise<RestoreResult> {
  const present = await backend.range(FIRST_KEY, { end: RANGE_END_ALL, countOnly: true });
  const presentLeases = (await backend.leaseList()).length;
  if (present.count > 0 || presentLeases > 0) {
    throw new SnapshotError(
      'not-empty',
      `${backend.name} already holds ${present.count} keys and ${presentLeases} leases; restore needs an empty keyspace. If nothing else uses this etcd, empty it with: ${emptyEtcdAdvice(endpoints, tls)}`,
    );
  }
  // Keys go into etcd as they are read, so the file is checked whole before the first one.
  for await (const _ of readRecords(file)) {
    // reading to the end verifies the checksum
  }
  const leases = new Set<number>();
  const inFlight = new Set<Promise<unknown>>();
  let keys = 0;
  try {
    keys = await writeRecords(file, backend, leases, inFlight);
  } catch (err) {
    // Nothing may land after the cleanup: wait for every txn already sent.
    await Promise.allSettled([...inFlight]);
    const reason = (err as Error).message;
    try {
      await removeWritten(backend, leases);
    } catch (cleanupErr) {
      throw new SnapshotError(
        'partial',
        `restore into ${backend.name} failed partway: ${reason}; part of the snapshot is left there and removing it failed too (${(cleanupErr as Error).message}): empty the keyspace with: ${emptyEtcdAdvice(endpoints, tls)}; then run the restore again`,
        { cause: err },
      );
    }
    throw new SnapshotError('partial', `restore into ${backend.name} failed partway: ${reason}; tsk removed the keys and leases it had written, so the restore can be run again`, { cause: err });
  }
  const status = await backend.status();
  return { target: backend.name, header, keys, leases: leases.size, revision: status.revision };
}

/** Leases granted with their ids, keys put in batched txns (IN_FLIGHT at a time); returns the key count. */
async function writeRecords(file: string, backend: Backend, leases: Set<number>, inFlight: Set<Promise<unknown>>): Promise<number> {
  const grant = async (id: number, ttl: number) => {
    leases.add(id);
    await backend.leaseGrant(ttl, id);
  };
  let batch: PutOp[] = [];
  let failed: unknown;
  const flush = async () => {
    const ops = batch;
    batch = [];
    const p = backend.txn({ success: ops }).catch((err: unknown) => {
      failed ??= err;
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
    if (failed) throw failed;
  };
  let keys = 0;
  for await (const record of readRecords(file)) {
    if (record.type === 'lease') {
      await grant(record.lease.id, record.lease.ttl);
      continue;
    }
    const kv: KeyValue = record.kv;
    if (kv.lease !== 0 && !leases.has(kv.lease)) await grant(kv.lease, ORPHAN_LEASE_TTL);
    batch.push({ type: 'put', key: kv.key, value: kv.value, ...(kv.lease !== 0 ? { lease: kv.lease } : {}) });
    keys++;
    if (batch.length >= TXN_OPS) await flush();
  }
  if (batch.length > 0) await flush();
  await Promise.all(inFlight);
  if (failed) throw failed;
  return keys;
}
