import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Deployer, SOURCE_ANNOTATION } from './deployer.ts';
import { cm, FakeCluster, quietLog } from './testing.ts';

test('objects are applied with the source annotation; namespaced ones default to "default", cluster-scoped lose a namespace', async () => {
  const cluster = new FakeCluster();
  const d = new Deployer(cluster, 'srv', quietLog(), '/m');
  await d.load();
  const content = `${cm('a')}---\n${cm('b', '  namespace: kube-system\n')}---\napiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: fast\n  namespace: nonsense\nprovisioner: x\n`;
  assert.equal(await d.applyFile('app.yaml', content, false), 'applied');
  assert.deepEqual(cluster.names(), ['ConfigMap default/a', 'ConfigMap kube-system/b', 'StorageClass /fast']);
  for (const o of cluster.objects.values()) assert.equal(o.metadata.annotations?.[SOURCE_ANNOTATION], 'app.yaml');
  const record = cluster.records.get('app.yaml')!;
  assert.equal(record.server, 'srv');
  assert.equal(record.objects.length, 3);
  assert.ok(cluster.events.includes('app.yaml Normal AppliedManifest'));
});

test('fields the server fills in (saved with kubectl get -o yaml) are not applied', async () => {
  const cluster = new FakeCluster();
  const d = new Deployer(cluster, 'srv', quietLog(), '/m');
  await d.load();
  assert.equal(await d.applyFile('saved.yaml', cm('a', '  resourceVersion: "42"\n  uid: 1f0e\n  creationTimestamp: "2026-01-01T00:00:00Z"\n  generation: 3\n  managedFields: []\n'), false), 'applied');
  const [obj] = [...cluster.objects.values()];
  assert.deepEqual(Object.keys(obj!.metadata).sort(), ['annotations', 'name', 'namespace']);
});

test('an unchanged file is not applied again unless forced; a changed one prunes what it no longer has', async () => {
  const cluster = new FakeCluster();
  const d = new Deployer(cluster, 'srv', quietLog(), '/m');
  await d.load();
  await d.applyFile('app.yaml', `${cm('a')}---\n${cm('b')}`, false);
  cluster.calls = [];
  assert.equal(await d.applyFile('app.yaml', `${cm('a')}---\n${cm('b')}`, false), 'unchanged');
  assert.deepEqual(cluster.calls, []);
  assert.equal(await d.applyFile('app.yaml', `${cm('a')}---\n${cm('b')}`, true), 'applied');
  cluster.calls = [];
  assert.equal(await d.applyFile('app.yaml', `${cm('a')}---\n${cm('c')}`, false), 'applied');
  assert.deepEqual(cluster.names(), ['ConfigMap default/a', 'ConfigMap default/c']);
  assert.deepEqual(cluster.calls, ['apply ConfigMap default/a', 'apply ConfigMap default/c', 'delete ConfigMap default/b']);
  assert.deepEqual(cluster.records.get('app.yaml')!.objects.map((r) => r.name), ['a', 'c']);
});

test('a file that does not parse touches nothing applied before, logs once per content and is not retried', async () => {
  const cluster = new FakeCluster();
  const lines: string[] = [];
  const d = new Deployer(cluster, 'srv', quietLog(lines), '/m');
  await d.load();
  await d.applyFile('app.yaml', `${cm('a')}---\n${cm('b')}`, false);
  cluster.calls = [];
  const bad = `${cm('a')}---\nkind: ConfigMap\nmetadata: [\n`;
  assert.equal(await d.applyFile('app.yaml', bad, false), 'failed');
  assert.equal(await d.applyFile('app.yaml', bad, false), 'failed');
  assert.deepEqual(cluster.calls, []);
  assert.deepEqual(cluster.names(), ['ConfigMap default/a', 'ConfigMap default/b']);
  const errors = lines.filter((l) => l.startsWith('error'));
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /could not parse \/m\/app\.yaml: document 2: /);
  assert.deepEqual(cluster.events.filter((e) => e.includes('Failed')), ['app.yaml Warning ParseManifestFailed']);
  // A new file that never parsed still gets a record, for the Event to name.
  assert.equal(await d.applyFile('new.yaml', 'apiVersion: v1\nkind: ConfigMap\n', false), 'failed');
  assert.equal(cluster.records.get('new.yaml')!.objects.length, 0);
});

test('an apply that fails half way prunes nothing, records what it may have created, and is retried', async () => {
  const cluster = new FakeCluster();
  const d = new Deployer(cluster, 'srv', quietLog(), '/m');
  await d.load();
  await d.applyFile('app.yaml', `${cm('a')}---\n${cm('b')}`, false);
  cluster.failApply.add('d');
  const next = `${cm('c')}---\n${cm('d')}`;
  assert.equal(await d.applyFile('app.yaml', next, false), 'failed');
  assert.deepEqual(cluster.names(), ['ConfigMap default/a', 'ConfigMap default/b', 'ConfigMap default/c']);
  assert.equal(cluster.records.get('app.yaml')!.checksum, '');
  assert.deepEqual(cluster.records.get('app.yaml')!.objects.map((r) => r.name).sort(), ['a', 'b', 'c', 'd']);
  cluster.failApply.clear();
  assert.equal(await d.applyFile('app.yaml', next, false), 'applied');
  assert.deepEqual(cluster.names(), ['ConfigMap default/c', 'ConfigMap default/d']);
});

test('going back to the old content after a failed change still prunes what the failed attempt created', async () => {
  const cluster = new FakeCluster();
  const d = new Deployer(cluster, 'srv', quietLog(), '/m');
  await d.load();
  const v1 = cm('a');
  await d.applyFile('app.yaml', v1, false);
  cluster.failApply.add('z');
  await d.applyFile('app.yaml', `${cm('a')}---\n${cm('y')}---\n${cm('z')}`, false);
  assert.ok(cluster.names().includes('ConfigMap default/y'));
  assert.equal(await d.applyFile('app.yaml', v1, false), 'applied');
  assert.deepEqual(cluster.names(), ['ConfigMap default/a']);
});

test('an object another file took over, or whose annotation is gone, is not pruned or deleted', async () => {
  const cluster = new FakeCluster();
  const lines: string[] = [];
  const d = new Deployer(cluster, 'srv', quietLog(lines), '/m');
  await d.load();
  await d.applyFile('one.yaml', `${cm('shared')}---\n${cm('mine')}`, false);
  await d.applyFile('two.yaml', cm('shared'), false);
  for (const o of cluster.objects.values()) if (o.metadata.name === 'mine') delete o.metadata.annotations![SOURCE_ANNOTATION];
  assert.equal(await d.removeFile('one.yaml'), true);
  assert.deepEqual(cluster.names(), ['ConfigMap default/mine', 'ConfigMap default/shared']);
  assert.equal(cluster.records.has('one.yaml'), false);
  assert.ok(lines.some((l) => /leaving ConfigMap default\/shared: it now comes from \/m\/two\.yaml/.test(l)));
  assert.equal(await d.removeFile('two.yaml'), true);
  assert.deepEqual(cluster.names(), ['ConfigMap default/mine']);
});

test('CRDs go first and are waited for before their custom resources; deletion goes the other way', async () => {
  const cluster = new FakeCluster();
  const d = new Deployer(cluster, 'srv', quietLog(), '/m');
  await d.load();
  const content = [
    'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\nspec: {}\n',
    'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n',
    'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n  versions: [{name: v1, served: true, storage: true}]\n',
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: shop\n',
  ].join('---\n');
  assert.equal(await d.applyFile('crd.yaml', content, false), 'applied');
  assert.deepEqual(cluster.calls, [
    'apply Namespace /shop',
    'apply CustomResourceDefinition /widgets.example.com',
    'established widgets.example.com',
    'apply Widget default/w1',
    'apply ConfigMap shop/c',
  ]);
  cluster.calls = [];
  assert.equal(await d.removeFile('crd.yaml'), true);
  assert.deepEqual(cluster.calls, ['delete ConfigMap shop/c', 'delete Widget default/w1', 'delete CustomResourceDefinition /widgets.example.com', 'delete Namespace /shop']);
  assert.deepEqual(cluster.names(), []);
});

test('a kind the server does not have fails the file without touching what it applied before', async () => {
  const cluster = new FakeCluster();
  const lines: string[] = [];
  const d = new Deployer(cluster, 'srv', quietLog(lines), '/m');
  await d.load();
  await d.applyFile('app.yaml', cm('a'), false);
  assert.equal(await d.applyFile('app.yaml', 'apiVersion: nothere.io/v1\nkind: Thing\nmetadata:\n  name: t\n', false), 'failed');
  assert.deepEqual(cluster.names(), ['ConfigMap default/a']);
  assert.ok(lines.some((l) => /could not apply \/m\/app\.yaml: the server has no kind Thing in nothere\.io\/v1/.test(l)));
});

test('records survive a restart: a new Deployer prunes from what the old one recorded', async () => {
  const cluster = new FakeCluster();
  const first = new Deployer(cluster, 'srv', quietLog(), '/m');
  await first.load();
  await first.applyFile('app.yaml', `${cm('a')}---\n${cm('b')}`, false);
  const second = new Deployer(cluster, 'srv', quietLog(), '/m');
  await second.load();
  assert.equal(await second.applyFile('app.yaml', `${cm('a')}---\n${cm('b')}`, false), 'unchanged');
  assert.equal(await second.applyFile('app.yaml', cm('b'), false), 'applied');
  assert.deepEqual(cluster.names(), ['ConfigMap default/b']);
});

test('removing a disabled file deletes the objects of its content even without a record', async () => {
  const cluster = new FakeCluster();
  const d = new Deployer(cluster, 'srv', quietLog(), '/m');
  await d.load();
  await cluster.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default', annotations: { [SOURCE_ANNOTATION]: 'traefik.yaml' } } });
  assert.equal(await d.removeFile('traefik.yaml', [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }]), true);
  assert.deepEqual(cluster.names(), []);
});

test('a server that stops leading in the middle of a file neither prunes nor records', async () => {
  const cluster = new FakeCluster();
  let stale = false;
  const d = new Deployer(cluster, 'srv', quietLog(), '/m', () => stale);
  await d.load();
  await d.applyFile('app.yaml', `${cm('a')}---\n${cm('b')}`, false);
  const before = structuredClone(cluster.records.get('app.yaml'));
  // The Lease is lost while `a` is being applied; `b` would be pruned next.
  cluster.onApply = (name) => {
    if (name === 'a') stale = true;
  };
  assert.equal(await d.applyFile('app.yaml', cm('a'), false), 'stale');
  assert.deepEqual(cluster.names(), ['ConfigMap default/a', 'ConfigMap default/b']);
  // Written ahead while still leading, the record lists the same objects and keeps the old checksum.
  assert.equal(cluster.records.get('app.yaml')!.checksum, before!.checksum);
  assert.deepEqual(cluster.records.get('app.yaml')!.objects.map((r) => r.name).sort(), ['a', 'b']);
  assert.equal(await d.removeFile('app.yaml'), false);
  assert.deepEqual(cluster.names(), ['ConfigMap default/a', 'ConfigMap default/b']);
  assert.ok(cluster.records.has('app.yaml'));
});
