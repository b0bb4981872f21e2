import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { lockDataDir } from '../datadir/lock.ts';
import { isKvError } from '../kv/errors.ts';
import { RANGE_END_ALL } from '../kv/keys.ts';
import { openSqliteBackend, type SqliteBackend } from '../kv/sqlite/backend.ts';
import type { Backend, KeyValue } from '../kv/types.ts';
import { deleteSnapshots, listSnapshots, pruneSnapshots, STALE_PART_MS } from './files.ts';
import { readHeader, readRecords } from './format.ts';
import { BUMP_REVISION, restoreSnapshot } from './restore.ts';
import { saveSnapshot } from './save.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-snapshot-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => {
  const d = path.join(root, `d${n++}`);
  fs.mkdirSync(d);
  return d;
};

const VOLATILE = ['/registry/leases/', '/registry/events/'];
const put = (key: string, value: string, lease = 0) => ({ type: 'put' as const, key, value: Buffer.from(value), ...(lease ? { lease } : {}) });

async function all(b: Backend, revision?: number): Promise<KeyValue[]> {
  return (await b.range('\0', { end: RANGE_END_ALL, ...(revision ? { revision } : {}) })).kvs;
}
const shape = (kvs: KeyValue[]) => kvs.map((kv) => `${kv.key}=${kv.value.toString()}@${kv.createRevision}/${kv.modRevision}/v${kv.version}/l${kv.lease}`);

async function seeded(dataDir: string): Promise<SqliteBackend> {
  const b = await openSqliteBackend({ file: path.join(dataDir, 'server', 'db', 'state.db'), volatilePrefixes: VOLATILE });
  const lease = await b.leaseGrant(3600, 4242);
  for (let i = 0; i < 1500; i++) await b.txn({ success: [put(`/registry/configmaps/default/cm${i}`, `v${i}`)] });
  await b.txn({ success: [put('/registry/configmaps/default/cm0', 'changed')] });
  await b.txn({ success: [put('/registry/leases/kube-node-lease/n1', 'hb1'), put('/registry/events/default/e1', 'ev', lease.id)] });
  await b.txn({ success: [put('/registry/leases/kube-node-lease/n1', 'hb2')] });
  return b;
}

describe('snapshots of the sqlite store', () => {
  it('save pins one revision while writes go on, volatile keys and leases included', async () => {
    const dataDir = freshDir();
    const b = await seeded(dataDir);
    const dir = path.join(dataDir, 'snaps');
    let writing = true;
    let i = 0;
    const writes = (async () => {
      while (writing) await b.txn({ success: [put(`/registry/configmaps/default/late${i++}`, 'x'), put('/registry/leases/kube-node-lease/n1', `hb${i}`)] });
    })();
    const saved = await saveSnapshot(b, { dir, name: 'on-demand', node: 'n1', compress: false });
    writing = false;
    await writes;
    assert.ok(i > 0, 'writes ran while the snapshot was taken');
    const records = [];
    for await (const r of readRecords(saved.file)) records.push(r);
    const kvs = records.flatMap((r) => (r.type === 'kv' ? [r.kv] : [])).sort((x, y) => (x.key < y.key ? -1 : 1));
    assert.deepEqual(shape(kvs), shape(await all(b, saved.revision)));
    assert.ok(kvs.some((kv) => kv.key === '/registry/events/default/e1' && kv.lease === 4242));
    assert.deepEqual(records.filter((r) => r.type === 'lease').map((r) => r.type === 'lease' && r.lease), [{ id: 4242, ttl: 3600 }]);
    assert.equal(saved.keys, kvs.length);
    assert.match(saved.name, /^on-demand-n1-\d+$/);
    await b.close();
  });

  it('restore onto a fresh data dir gives the same keys, and a revision that moved forward', async () => {
    const from = freshDir();
    const b = await seeded(from);
    const before = await all(b);
    const saved = await saveSnapshot(b, { dir: path.join(from, 'snaps'), name: 'on-demand', node: 'n1', compress: true });
    assert.equal(readHeader(saved.file).header.compressed, true);
    await b.close();

    const to = freshDir();
    const result = await restoreSnapshot({ file: saved.file, dataDir: to, datastoreEndpoint: undefined, volatilePrefixes: VOLATILE });
    assert.equal(result.revision, saved.revision + BUMP_REVISION);
    const r = await openSqliteBackend({ file: path.join(to, 'server', 'db', 'state.db'), volatilePrefixes: VOLATILE });
    assert.deepEqual(shape(await all(r)), shape(before));
    assert.equal(r.revision, saved.revision + BUMP_REVISION);
    // Resuming from before the restore is refused as compacted: clients relist.
    await assert.rejects(r.range('/registry/configmaps/default/cm1', { revision: saved.revision }), (err) => isKvError(err, 'compacted'));
    const next = await r.txn({ success: [put('/registry/configmaps/default/new', 'n')] });
    assert.equal(next.revision, saved.revision + BUMP_REVISION + 1);
    assert.deepEqual(await r.leaseList(), [4242]);
    await r.close();

    // A second restore over that store continues above its revision and keeps the old file.
    const again = await restoreSnapshot({ file: saved.file, dataDir: to, datastoreEndpoint: undefined, volatilePrefixes: VOLATILE });
    assert.equal(again.revision, next.revision + BUMP_REVISION);
    assert.ok(fs.readdirSync(path.join(to, 'server', 'db')).some((f) => /^state\.db-old-\d+$/.test(f)));
  });

  it('refuses to restore while the data dir is locked, and refuses a damaged file', async () => {
    const from = freshDir();
    const b = await seeded(from);
    const saved = await saveSnapshot(b, { dir: path.join(from, 'snaps'), name: 'on-demand', node: 'n1', compress: false });
    await b.close();
    const to = freshDir();
    const lock = await lockDataDir(to);
    await assert.rejects(restoreSnapshot({ file: saved.file, dataDir: to, datastoreEndpoint: undefined, volatilePrefixes: VOLATILE }), /cannot restore while a server runs/);
    await lock.release();
    const cut = path.join(from, 'cut');
    fs.writeFileSync(cut, fs.readFileSync(saved.file).subarray(0, fs.statSync(saved.file).size - 100));
    await assert.rejects(restoreSnapshot({ file: cut, dataDir: to, datastoreEndpoint: undefined, volatilePrefixes: VOLATILE }), /truncated|checksum/);
    assert.equal(fs.existsSync(path.join(to, 'server', 'db', 'state.db')), false, 'a failed restore leaves no store behind');
    const flipped = fs.readFileSync(saved.file);
    flipped[flipped.length - 200] ^= 0xff;
    fs.writeFileSync(cut, flipped);
    await assert.rejects(restoreSnapshot({ file: cut, dataDir: to, datastoreEndpoint: undefined, volatilePrefixes: VOLATILE }), /checksum|record|truncated/);
  });

  it('ls lists oldest first, delete removes by name, prune keeps the newest per name and node', async () => {
    const dataDir = freshDir();
    const b = await openSqliteBackend({ file: path.join(dataDir, 'state.db') });
    await b.txn({ success: [put('/k', 'v')] });
    const dir = path.join(dataDir, 'snaps');
    const names: string[] = [];
    for (let i = 0; i < 4; i++) names.push((await saveSnapshot(b, { dir, name: 'etcd-snapshot', node: 'n1', compress: false })).name);
    const other = (await saveSnapshot(b, { dir, name: 'on-demand', node: 'n1', compress: false })).name;
    await b.close();
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a snapshot');
    assert.deepEqual(listSnapshots(dir).map((s) => s.name), [...names, other]);
    assert.deepEqual(pruneSnapshots(dir, 'etcd-snapshot', 'n1', 2), names.slice(0, 2));
    assert.deepEqual(listSnapshots(dir).map((s) => s.name), [...names.slice(2), other]);
    assert.deepEqual(deleteSnapshots(dir, [other]), [other]);
    assert.throws(() => deleteSnapshots(dir, ['nope']), /no snapshot named nope/);
  });
});

/**
 * Restoring into "etcd" through the Backend interface, with the sqlite backend standing in for
 * etcd behind openEtcd; `failTxnFrom` makes its txns fail from that call on (the cleanup's
 * delete included, when `cleanupFails`).
 */
function etcdStandIn(file: string, failTxnFrom = Infinity, cleanupFails = false) {
  return async (): Promise<Backend> => {
    const b = await openSqliteBackend({ file });
    let calls = 0;
    const txn: Backend['txn'] = async (req) => {
      const cleanup = req.success?.[0]?.type === 'delete';
      if ((!cleanup && ++calls >= failTxnFrom) || (cleanup && cleanupFails)) throw new Error('etcdserver: request timed out');
      return b.txn(req);
    };
    return new Proxy(b, {
      get(target, prop) {
        if (prop === 'txn') return txn;
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  };
}

describe('restore into etcd', () => {
  const ENDPOINT = 'etcd://127.0.0.1:1';
  let snapshot = '';
  const restoreInto = (standIn: string, failTxnFrom?: number, cleanupFails?: boolean) =>
    restoreSnapshot({ file: snapshot, dataDir: freshDir(), datastoreEndpoint: ENDPOINT, volatilePrefixes: VOLATILE, openEtcd: etcdStandIn(standIn, failTxnFrom, cleanupFails) });
  const held = async (file: string) => {
    const b = await openSqliteBackend({ file });
    try {
      return { keys: (await all(b)).length, leases: (await b.leaseList()).length };
    } finally {
      await b.close();
    }
  };

  it('a restore that fails partway removes what it wrote, and runs again', async () => {
    const from = freshDir();
    const b = await seeded(from);
    snapshot = (await saveSnapshot(b, { dir: path.join(from, 'snaps'), name: 'on-demand', node: 'n1', compress: false })).file;
    const expected = (await all(b)).length;
    await b.close();
    const standIn = path.join(freshDir(), 'etcd.db');
    await assert.rejects(restoreInto(standIn, 3), (err: Error) => {
      assert.equal((err as { code?: string }).code, 'partial');
      assert.match(err.message, /^restore into sqlite\S* \S+ failed partway: etcdserver: request timed out; tsk removed the keys and leases it had written, so the restore can be run again$/);
      return true;
    });
    assert.deepEqual(await held(standIn), { keys: 0, leases: 0 });
    const r = await restoreInto(standIn);
    assert.equal(r.keys, expected);
    assert.deepEqual(await held(standIn), { keys: expected, leases: 1 });
  });

  it('when the cleanup fails too, the error says how to empty the keyspace, and so does the refusal to restore again', async () => {
    assert.ok(snapshot, 'the test before saved a snapshot');
    const standIn = path.join(freshDir(), 'etcd.db');
    const emptyIt = 'etcdctl --endpoints=127.0.0.1:1 del "" --from-key; etcdctl --endpoints=127.0.0.1:1 lease list | tail -n +2 | xargs -r -n1 etcdctl --endpoints=127.0.0.1:1 lease revoke';
    await assert.rejects(restoreInto(standIn, 3, true), (err: Error) => {
      assert.equal((err as { code?: string }).code, 'partial');
      assert.ok(err.message.includes(`part of the snapshot is left there and removing it failed too (etcdserver: request timed out): empty the keyspace with: ${emptyIt}; then run the restore again`), err.message);
      return true;
    });
    const left = await held(standIn);
    assert.ok(left.keys > 0 && left.leases === 1, JSON.stringify(left));
    await assert.rejects(restoreInto(standIn), (err: Error) => {
      assert.equal((err as { code?: string }).code, 'not-empty');
      assert.ok(err.message.endsWith(`already holds ${left.keys} keys and 1 leases; restore needs an empty keyspace. If nothing else uses this etcd, empty it with: ${emptyIt}`), err.message);
      return true;
    });
  });
});

describe('snapshot folders shared by nodes', () => {
  it('prune takes only PREFIX-NODE-<time> of that node: not node "a-b"\'s or "a-1"\'s, nor other files', async () => {
    const dataDir = freshDir();
    const b = await openSqliteBackend({ file: path.join(dataDir, 'state.db') });
    await b.txn({ success: [put('/k', 'v')] });
    const dir = path.join(dataDir, 'snaps');
    const save = async (node: string, name = 'etcd-snapshot') => (await saveSnapshot(b, { dir, name, node, compress: false })).name;
    const a = [await save('a'), await save('a'), await save('a')];
    const others = [await save('a-b'), await save('a-b'), await save('a-1'), await save('a-1'), await save('a', 'etcd-snapshot-x')];
    await b.close();
    // Named like node a's, but not a snapshot name the saver writes.
    fs.copyFileSync(path.join(dir, a[0]!), path.join(dir, 'etcd-snapshot-a-copy'));
    assert.deepEqual(pruneSnapshots(dir, 'etcd-snapshot', 'a', 1), a.slice(0, 2));
    assert.deepEqual(listSnapshots(dir).map((s) => s.name).sort(), [a[2]!, ...others, 'etcd-snapshot-a-copy'].sort());
  });

  it('a save removes the .NAME.part files of saves that died more than an hour ago, and no others', async () => {
    const dataDir = freshDir();
    const b = await openSqliteBackend({ file: path.join(dataDir, 'state.db') });
    const dir = path.join(dataDir, 'snaps');
    fs.mkdirSync(dir);
    const old = new Date(Date.now() - STALE_PART_MS - 60_000);
    for (const name of ['.etcd-snapshot-n1-1700000000.part', '.kept-elsewhere', 'x.part']) {
      fs.writeFileSync(path.join(dir, name), 'partial');
      fs.utimesSync(path.join(dir, name), old, old);
    }
    fs.writeFileSync(path.join(dir, '.on-demand-n2-1800000000.part'), 'being written by another server');
    const saved = await saveSnapshot(b, { dir, name: 'on-demand', node: 'n1', compress: false });
    await b.close();
    assert.deepEqual(fs.readdirSync(dir).sort(), ['.kept-elsewhere', '.on-demand-n2-1800000000.part', saved.name, 'x.part'].sort());
  });
});
