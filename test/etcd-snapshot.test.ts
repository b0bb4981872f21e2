/**
 * `tsk etcd-snapshot` with the real binary: a snapshot of a running server taken while
 * kubectl writes, listed and pruned; restored onto a fresh data dir, where a new server shows
 * the same objects (and onto the stopped server's own data dir); refused while a server holds
 * the data dir; and the migration path both ways through real etcd (sqlite → etcd → sqlite),
 * where a restore into a non-empty keyspace is refused with etcdctl lines that empty it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { startCluster, type TestCluster } from './lib/cluster.ts';
import { startEtcd, type EtcdProcess } from './lib/etcd.ts';
import { runTsk } from './lib/tsk.ts';

const dirs: string[] = [];
const clusters: TestCluster[] = [];
const etcds: EtcdProcess[] = [];
after(async () => {
  for (const c of clusters) await c.stop();
  for (const e of etcds) await e.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-snap-e2e-'));
  dirs.push(d);
  return d;
}

async function cluster(args: string[], dataDir: string): Promise<TestCluster> {
  const c = await startCluster(args, { dataDir });
  clusters.push(c);
  return c;
}

async function ok(c: TestCluster, args: string[], input?: string): Promise<string> {
  const r = await c.kubectl(args, input === undefined ? {} : { input });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function tsk(args: string[]): Promise<string> {
  const r = await runTsk(args);
  assert.equal(r.code, 0, `tsk ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Configmaps in namespace snap: name → data.i. */
async function configMaps(c: TestCluster): Promise<Map<string, { i: string; rv: number }>> {
  const list = JSON.parse(await ok(c, ['get', 'configmaps', '-n', 'snap', '-o', 'json'])) as { items: Array<{ metadata: { name: string; resourceVersion: string }; data: { i: string } }> };
  return new Map(list.items.map((o) => [o.metadata.name, { i: o.data.i, rv: Number(o.metadata.resourceVersion) }]));
}

const names = (m: Map<string, unknown>) => [...m.keys()].sort();

function configMapList(from: number, count: number): string {
  const items = Array.from({ length: count }, (_, k) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm${from + k}`, namespace: 'snap' }, data: { i: String(from + k) } }));
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

function savedRevision(out: string): { file: string; revision: number } {
  const m = /^saved (\S+): \d+ keys, \d+ leases at revision (\d+)/.exec(out);
  assert.ok(m, `save printed: ${out}`);
  return { file: m[1]!, revision: Number(m[2]) };
}

let sqliteSnapshot = '';
let sqliteObjects = new Map<string, { i: string; rv: number }>();

test('save from a running sqlite server while kubectl writes: the snapshot holds exactly the objects up to its revision', async () => {
  const dataDir = tempDir();
  const a = await cluster([], dataDir);
  await ok(a, ['create', 'namespace', 'snap']);
  await ok(a, ['create', '-f', '-'], configMapList(0, 300));
  // Writers keep creating objects while the snapshot is taken.
  let writing = true;
  const writer = async (w: number) => {
    for (let k = 0; writing; k++) await ok(a, ['create', 'configmap', `w${w}-${k}`, '-n', 'snap', `--from-literal=i=w${w}-${k}`]);
  };
  const writers = [writer(0), writer(1)];
  await new Promise((r) => setTimeout(r, 500));
  const saved = savedRevision(await tsk(['etcd-snapshot', 'save', '--data-dir', dataDir]));
  writing = false;
  await Promise.all(writers);
  assert.match(path.basename(saved.file), /^on-demand-[a-z0-9.-]+-\d+$/);
  assert.equal(path.dirname(saved.file), path.join(dataDir, 'server', 'db', 'snapshots'));

  const now = await configMaps(a);
  const expected = new Map([...now].filter(([, v]) => v.rv <= saved.revision));
  assert.ok(expected.size >= 300);
  sqliteSnapshot = saved.file;
  sqliteObjects = expected;

  const ls = await tsk(['etcd-snapshot', 'ls', '--data-dir', dataDir]);
  assert.match(ls, new RegExp(`${path.basename(saved.file)}\\s+file://${saved.file}\\s+\\d+\\s+\\S+\\s+${saved.revision}\\s+sqlite`));

  const refused = await runTsk(['etcd-snapshot', 'restore', saved.file, '--data-dir', dataDir]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^tsk: cannot restore while a server runs: data dir .* is in use by another tsk process \(pid \d+\)/);

  // Restored onto a fresh data dir, a new server shows exactly the snapshot's objects.
  const fresh = tempDir();
  const restored = await tsk(['etcd-snapshot', 'restore', saved.file, '--data-dir', fresh]);
  assert.match(restored, /^restored \d+ keys and \d+ leases from .* into sqlite .*state\.db, now at revision \d+/);
  const b = await cluster([], fresh);
  const got = await configMaps(b);
  assert.deepEqual(names(got), names(expected));
  for (const [name, v] of expected) assert.deepEqual(got.get(name), v, name);
  // A change after the restore gets a resourceVersion above every one the old server handed out.
  await ok(b, ['label', 'configmap', 'cm0', '-n', 'snap', 'after=restore']);
  const cm0 = JSON.parse(await ok(b, ['get', 'configmap', 'cm0', '-n', 'snap', '-o', 'json'])) as { metadata: { resourceVersion: string } };
  assert.ok(Number(cm0.metadata.resourceVersion) > Math.max(...[...now.values()].map((v) => v.rv)));
  await b.stop();
  await a.stop();

  // Restored by name onto the stopped server's own data dir: the objects written after the
  // snapshot are gone, the old store is kept aside, and the cluster keeps its certificates.
  await tsk(['etcd-snapshot', 'restore', path.basename(saved.file), '--data-dir', dataDir]);
  assert.ok(fs.readdirSync(path.join(dataDir, 'server', 'db')).some((f) => /^state\.db-old-\d+$/.test(f)));
  const again = await cluster([], dataDir);
  assert.deepEqual(names(await configMaps(again)), names(expected));
  await again.stop();
});

test('scheduled-style snapshots are pruned to the retention, per name; delete removes by name', async () => {
  const dataDir = tempDir();
  const a = await cluster(['--etcd-disable-snapshots'], dataDir);
  await ok(a, ['create', 'configmap', 'x']);
  const saved: string[] = [];
  for (let k = 0; k < 4; k++) saved.push(path.basename(savedRevision(await tsk(['etcd-snapshot', 'save', '--data-dir', dataDir, '--name', 'nightly', '--snapshot-compress'])).file));
  const other = path.basename(savedRevision(await tsk(['etcd-snapshot', 'save', '--data-dir', dataDir])).file);
  const pruned = await tsk(['etcd-snapshot', 'prune', '--data-dir', dataDir, '--name', 'nightly', '--snapshot-retention', '2']);
  assert.deepEqual(pruned.trim().split('\n'), saved.slice(0, 2).map((n) => `pruned ${n}`));
  const listed = (await tsk(['etcd-snapshot', 'ls', '--data-dir', dataDir])).trim().split('\n').slice(1).map((l) => l.split(/\s+/)[0]);
  assert.deepEqual(listed, [...saved.slice(2), other]);
  assert.match(await tsk(['etcd-snapshot', 'ls', '--data-dir', dataDir]), /sqlite, gzip/);
  await tsk(['etcd-snapshot', 'delete', '--data-dir', dataDir, other]);
  const missing = await runTsk(['etcd-snapshot', 'delete', '--data-dir', dataDir, 'nope']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^tsk: no snapshot named nope/);
  await a.stop();
  // With the server stopped, save opens the store itself.
  const offline = savedRevision(await tsk(['etcd-snapshot', 'save', '--data-dir', dataDir]));
  assert.ok(offline.revision > 0);
  // k3s's way to restore: the server restores and exits.
  const reset = await tsk(['server', '--cluster-reset', '--cluster-reset-restore-path', offline.file, '--data-dir', dataDir, '--disable-agent']);
  assert.match(reset, /restored \d+ keys from .* start tsk server again without --cluster-reset/);
});

test('migration both ways through real etcd: a sqlite snapshot into etcd, then that etcd snapshot back into sqlite', async () => {
  assert.ok(sqliteSnapshot, 'the first test saved a snapshot');
  const etcd = await startEtcd();
  etcds.push(etcd);
  const endpoint = `etcd://${etcd.endpoint}`;
  const onEtcd = tempDir();
  await tsk(['etcd-snapshot', 'restore', sqliteSnapshot, '--data-dir', onEtcd, '--datastore-endpoint', endpoint]);
  // A second restore into the now non-empty keyspace is refused.
  const again = await runTsk(['etcd-snapshot', 'restore', sqliteSnapshot, '--data-dir', onEtcd, '--datastore-endpoint', endpoint]);
  assert.equal(again.code, 1);
  const advice = /already holds \d+ keys and \d+ leases; restore needs an empty keyspace\. If nothing else uses this etcd, empty it with: (etcdctl --endpoints=\S+ del "" --from-key; .*)$/m.exec(again.stderr);
  assert.ok(advice, again.stderr);

  const e = await cluster(['--datastore-endpoint', endpoint], onEtcd);
  const inEtcd = await configMaps(e);
  assert.deepEqual(names(inEtcd), names(sqliteObjects));
  for (const [name, v] of sqliteObjects) assert.equal(inEtcd.get(name)?.i, v.i, name);
  await ok(e, ['create', 'configmap', 'made-on-etcd', '-n', 'snap', '--from-literal=i=etcd']);
  const saved = savedRevision(await tsk(['etcd-snapshot', 'save', '--data-dir', onEtcd, '--datastore-endpoint', endpoint]));
  assert.match(await tsk(['etcd-snapshot', 'ls', '--data-dir', onEtcd]), /\s+etcd\n/);
  await e.stop();

  // The refusal's advice, followed as printed, empties the keyspace: the restore then runs.
  execFileSync('sh', ['-c', advice[1]!], { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 60_000 });
  await tsk(['etcd-snapshot', 'restore', sqliteSnapshot, '--data-dir', onEtcd, '--datastore-endpoint', endpoint]);

  const back = tempDir();
  await tsk(['etcd-snapshot', 'restore', saved.file, '--data-dir', back]);
  const s = await cluster([], back);
  const inSqlite = await configMaps(s);
  assert.deepEqual(names(inSqlite), [...names(sqliteObjects), 'made-on-etcd'].sort());
  assert.equal(inSqlite.get('made-on-etcd')?.i, 'etcd');
  await s.stop();
});
