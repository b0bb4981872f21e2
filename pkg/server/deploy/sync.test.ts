import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Deployer } from './deployer.ts';
import { DeployError } from './errors.ts';
import { dropped, FolderSync, SETTLE_MS } from './sync.ts';
import { cm, FakeCluster, quietLog } from './testing.ts';

/** A manifests folder, a fake cluster and a pass runner on a clock the test moves. */
async function harness(t: { after: (fn: () => void) => void }) {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-sync-'));
  t.after(() => fs.rmSync(folder, { recursive: true, force: true }));
  const cluster = new FakeCluster();
  const lines: string[] = [];
  const deployer = new Deployer(cluster, 'srv', quietLog(lines), folder);
  await deployer.load();
  let now = 1_000_000;
  const sync = new FolderSync(deployer, { folder, disables: [], server: 'srv', log: quietLog(lines), now: () => now });
  return {
    folder,
    cluster,
    lines,
    write: (rel: string, content: string) => fs.writeFileSync(path.join(folder, rel), content),
    rm: (rel: string) => fs.rmSync(path.join(folder, rel)),
    /** Moves the clock on by `ms`, then runs a pass; answers whether something waits. */
    pass: async (ms = 0) => {
      now += ms;
      return sync.run(false);
    },
  };
}

const both = `${cm('a')}---\n${cm('b')}`;
const ab = ['ConfigMap default/a', 'ConfigMap default/b'];

test('a file missing from one pass keeps its objects; missing from passes SETTLE_MS apart, they are deleted', async (t) => {
  const h = await harness(t);
  h.write('app.yaml', both);
  assert.equal(await h.pass(), false);
  assert.deepEqual(h.cluster.names(), ab);
  h.rm('app.yaml');
  assert.equal(await h.pass(250), true);
  assert.equal(await h.pass(SETTLE_MS - 1), true);
  assert.deepEqual(h.cluster.names(), ab);
  assert.ok(h.cluster.records.has('app.yaml'));
  assert.equal(await h.pass(1), false);
  assert.deepEqual(h.cluster.names(), []);
  assert.equal(h.cluster.records.has('app.yaml'), false);
});

test('an editor that renames the file away and writes it again deletes nothing, and a later delete starts the wait over', async (t) => {
  const h = await harness(t);
  h.write('app.yaml', both);
  await h.pass();
  fs.renameSync(path.join(h.folder, 'app.yaml'), path.join(h.folder, 'app.yaml~'));
  assert.equal(await h.pass(250), true);
  h.write('app.yaml', both);
  assert.equal(await h.pass(SETTLE_MS), false);
  assert.deepEqual(h.cluster.names(), ab);
  h.rm('app.yaml');
  assert.equal(await h.pass(SETTLE_MS), true);
  assert.deepEqual(h.cluster.names(), ab);
  await h.pass(SETTLE_MS);
  assert.deepEqual(h.cluster.names(), []);
});

test('an empty file (truncated before the data arrives) prunes nothing; the data arriving is applied at once', async (t) => {
  const h = await harness(t);
  h.write('app.yaml', both);
  await h.pass();
  h.write('app.yaml', '');
  assert.equal(await h.pass(250), true);
  assert.deepEqual(h.cluster.names(), ab);
  assert.ok(h.lines.some((l) => /app\.yaml would delete ConfigMap default\/a, ConfigMap default\/b: applying once it has not changed/.test(l)), h.lines.join('\n'));
  h.write('app.yaml', `${cm('a')}---\n${cm('b')}---\n${cm('c')}`);
  assert.equal(await h.pass(250), false);
  assert.deepEqual(h.cluster.names(), [...ab, 'ConfigMap default/c']);
});

test('a file emptied for good is pruned once the same content has held for SETTLE_MS', async (t) => {
  const h = await harness(t);
  h.write('app.yaml', both);
  await h.pass();
  h.write('app.yaml', '# nothing here\n');
  assert.equal(await h.pass(250), true);
  assert.equal(await h.pass(SETTLE_MS - 1), true);
  assert.deepEqual(h.cluster.names(), ab);
  assert.equal(await h.pass(1), false);
  assert.deepEqual(h.cluster.names(), []);
  assert.deepEqual(h.cluster.records.get('app.yaml')!.objects, []);
});

test('a file cut off at a document boundary is not applied until it holds; changing content starts the wait over', async (t) => {
  const h = await harness(t);
  h.write('app.yaml', both);
  await h.pass();
  h.write('app.yaml', `${cm('a', '  labels: {x: y}\n')}---\n`);
  assert.equal(await h.pass(250), true);
  assert.deepEqual(h.cluster.names(), ab);
  assert.equal(h.cluster.objects.get('/ConfigMap/default/a')!.metadata.labels, undefined);
  // Another partial state, seen SETTLE_MS after the first: not the same content, so it waits again.
  h.write('app.yaml', `${cm('a', '  labels: {x: z}\n')}---\n`);
  assert.equal(await h.pass(SETTLE_MS), true);
  assert.deepEqual(h.cluster.names(), ab);
  await h.pass(SETTLE_MS);
  assert.deepEqual(h.cluster.names(), ['ConfigMap default/a']);
});

test('a change that deletes nothing is applied on the first pass', async (t) => {
  const h = await harness(t);
  h.write('app.yaml', cm('a'));
  await h.pass();
  h.write('app.yaml', both);
  assert.equal(await h.pass(250), false);
  assert.deepEqual(h.cluster.names(), ab);
});

test('a missing or unreadable manifests folder is an error, never an empty folder', async (t) => {
  const h = await harness(t);
  h.write('app.yaml', both);
  await h.pass();
  const moved = `${h.folder}.away`;
  fs.renameSync(h.folder, moved);
  t.after(() => fs.rmSync(moved, { recursive: true, force: true }));
  const isRead = (err: unknown) => err instanceof DeployError && err.code === 'read';
  await assert.rejects(h.pass(250), isRead);
  await assert.rejects(h.pass(SETTLE_MS * 10), isRead);
  assert.deepEqual(h.cluster.names(), ab);
  fs.renameSync(moved, h.folder);
  assert.equal(await h.pass(SETTLE_MS * 10), false);
  assert.deepEqual(h.cluster.names(), ab);
});

test('what a change drops is compared without the server: a missing namespace is default, a cluster-scoped object matches any', () => {
  const recorded = [
    { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'a' },
    { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'b' },
    { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', name: 'fast' },
  ];
  const sc = 'apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: fast\n  namespace: nonsense\nprovisioner: x\n';
  assert.deepEqual(dropped(recorded, `${cm('a')}---\n${cm('b', '  namespace: shop\n')}---\n${sc}`), []);
  assert.deepEqual(dropped(recorded, `${cm('a')}---\n${cm('b')}---\n${sc}`).map((r) => r.name), ['b']);
  assert.deepEqual(dropped(recorded, '').map((r) => r.name), ['a', 'b', 'fast']);
  // A file that does not parse applies nothing, so it drops nothing.
  assert.deepEqual(dropped(recorded, 'kind: [\n'), []);
});
