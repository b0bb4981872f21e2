/**
 * Auto-deployed manifests through the real binary and kubectl: files in
 * DATA_DIR/server/manifests are applied when they appear or change (what a change drops is
 * pruned), their objects deleted with them; .skip holds a file back; a bad file leaves the
 * others (and its own earlier objects) alone; a restart neither duplicates nor deletes; the
 * packaged add-ons are ordinary objects that --disable removes at the next start. About 40 s.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startCluster, type TestCluster } from './lib/cluster.ts';
import { until } from './lib/until.ts';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-manifests-'));
const manifests = path.join(dataDir, 'server', 'manifests');
let cluster: TestCluster | undefined;

const c = (): TestCluster => {
  if (!cluster) throw new Error('no cluster');
  return cluster;
};

async function ok(args: string[], input?: string): Promise<string> {
  const r = await c().kubectl(args, { input });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

/** The object as JSON, or undefined when kubectl says it is not there. */
async function get(kind: string, name: string, namespace?: string): Promise<any> {
  const r = await c().kubectl(['get', kind, name, ...(namespace ? ['-n', namespace] : []), '-o', 'json']);
  if (r.code === 0) return JSON.parse(r.stdout);
  assert.match(r.stderr, /NotFound|not found/, r.stderr);
  return undefined;
}

const present = (kind: string, name: string, namespace?: string) => until(`${kind} ${name}`, () => get(kind, name, namespace));
const absent = (kind: string, name: string, namespace?: string) => until(`${kind} ${name} gone`, async () => ((await get(kind, name, namespace)) ? undefined : true));

/** Writes atomically, as editors and config tools do, so a pass never reads half a file. */
function write(rel: string, content: string): void {
  const file = path.join(manifests, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, content);
  fs.renameSync(`${file}.tmp`, file);
}

const configMap = (name: string, value: string, namespace?: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${namespace ? `  namespace: ${namespace}\n` : ''}data:\n  value: "${value}"\n`;

/** A file whose one ConfigMap appearing proves that a pass ran after everything written before it. */
let markers = 0;
async function passed(): Promise<void> {
  const name = `marker-${++markers}`;
  write(`${name}.yaml`, configMap(name, 'x'));
  await present('configmap', name);
}

describe('packaged add-ons', () => {
  // Inside the first suite: a top-level before() runs too late on Node 20 (see cluster-network-controllers).
  before(async () => {
    cluster = await startCluster([], { dataDir });
  });
  it('the kube-dns Service and the default local-path StorageClass are applied from files tsk wrote', async () => {
    // The API serves before the add-ons are written.
    await until('packaged files', async () => (fs.existsSync(path.join(manifests, 'coredns.yaml')) && fs.existsSync(path.join(manifests, 'local-storage.yaml')) ? true : undefined));
    const svc = await present('service', 'kube-dns', 'kube-system');
    assert.equal(svc.spec.clusterIP, '10.43.0.10');
    const sc = await until('applied StorageClass', async () => {
      const s = await get('storageclass', 'local-path');
      return s?.metadata.annotations?.['deploy.tsk.io/source'] === 'local-storage.yaml' ? s : undefined;
    });
    assert.equal(sc.provisioner, 'tsk.io/local-path');
    assert.match(await ok(['get', 'storageclass']), /local-path \(default\)\s+tsk\.io\/local-path/);
    const svcApplied = await until('kube-dns applied', async () => {
      const s = await get('service', 'kube-dns', 'kube-system');
      return s?.metadata.annotations?.['deploy.tsk.io/source'] === 'coredns.yaml' ? s : undefined;
    });
    assert.equal(svcApplied.spec.clusterIP, '10.43.0.10');
    const fields = JSON.parse(await ok(['get', 'service', 'kube-dns', '-n', 'kube-system', '-o', 'json', '--show-managed-fields'])).metadata.managedFields;
    assert.ok(fields.some((f: any) => f.manager === 'tsk-deploy' && f.operation === 'Apply'), JSON.stringify(fields));
    const records = JSON.parse(await ok(['get', 'configmaps', '-n', 'kube-system', '-l', 'deploy.tsk.io/record=true', '-o', 'json'])).items;
    assert.deepEqual(records.map((r: any) => r.data.source).sort(), ['coredns.yaml', 'local-storage.yaml']);
  });
});

describe('files dropped in while running', () => {
  it('a new file is applied: objects without a namespace go to default, a Namespace and a CRD before what needs them', async () => {
    write('shop/app.yaml', [
      'apiVersion: shop.example.com/v1\nkind: Widget\nmetadata:\n  name: blue\n  namespace: shop\nspec:\n  size: 3\n',
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n',
      'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.shop.example.com\nspec:\n  group: shop.example.com\n  names: {kind: Widget, plural: widgets, singular: widget}\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        x-kubernetes-preserve-unknown-fields: true\n',
      configMap('settings', 'one', 'shop'),
      configMap('greeting', 'hello'),
    ].join('---\n'));
    const widget = await present('widget', 'blue', 'shop');
    assert.equal(widget.spec.size, 3);
    assert.equal(widget.metadata.annotations['deploy.tsk.io/source'], 'shop/app.yaml');
    assert.equal((await present('configmap', 'settings', 'shop')).data.value, 'one');
    assert.equal((await present('configmap', 'greeting', 'default')).data.value, 'hello');
  });

  it('a List in a JSON file is applied item by item', async () => {
    write('list.json', JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [JSON.parse(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'from-json' }, data: { value: 'j' } }))] }));
    assert.equal((await present('configmap', 'from-json')).data.value, 'j');
  });

  it('a change is applied and an object the file no longer has is pruned', async () => {
    const before = await present('configmap', 'settings', 'shop');
    write('shop/app.yaml', [
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n',
      configMap('settings', 'two', 'shop'),
    ].join('---\n'));
    await until('settings updated', async () => ((await get('configmap', 'settings', 'shop'))?.data.value === 'two' ? true : undefined));
    await absent('configmap', 'greeting');
    await absent('widget', 'blue', 'shop');
    // Updated in place, not replaced.
    assert.equal((await get('configmap', 'settings', 'shop')).metadata.uid, before.metadata.uid);
  });

  it('a deleted file takes its objects with it', async () => {
    write('doomed.yaml', `${configMap('doomed-a', 'a')}---\n${configMap('doomed-b', 'b')}`);
    await present('configmap', 'doomed-b');
    fs.rmSync(path.join(manifests, 'doomed.yaml'));
    await absent('configmap', 'doomed-a');
    await absent('configmap', 'doomed-b');
    const records = JSON.parse(await ok(['get', 'configmaps', '-n', 'kube-system', '-l', 'deploy.tsk.io/record=true', '-o', 'json'])).items;
    assert.ok(!records.some((r: any) => r.data.source === 'doomed.yaml'));
  });

  it('FILE.skip keeps FILE from being applied', async () => {
    write('held.yaml.skip', '');
    write('held.yaml', configMap('held', 'h'));
    await passed();
    assert.equal(await get('configmap', 'held'), undefined);
    fs.rmSync(path.join(manifests, 'held.yaml.skip'));
    await present('configmap', 'held');
  });

  it('a bad file gets one log line and an Event, keeps what it applied before, and does not hold back the others', async () => {
    write('flaky.yaml', configMap('flaky', 'good'));
    await present('configmap', 'flaky');
    write('flaky.yaml', `${configMap('flaky', 'changed')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: [\n`);
    write('fine.yaml', configMap('fine', 'f'));
    await present('configmap', 'fine');
    await passed();
    await passed();
    const flaky = await get('configmap', 'flaky');
    assert.equal(flaky.data.value, 'good');
    const lines = c().server.stderr().split('\n').filter((l) => /could not parse .*flaky\.yaml/.test(l));
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, /ERROR .*could not parse .*\/server\/manifests\/flaky\.yaml: document 2: /);
    const events = JSON.parse(await ok(['get', 'events', '-n', 'kube-system', '-o', 'json'])).items;
    assert.ok(events.some((e: any) => e.reason === 'ParseManifestFailed' && e.type === 'Warning' && e.message.includes('flaky.yaml')), JSON.stringify(events.map((e: any) => e.reason)));
    write('flaky.yaml', configMap('flaky', 'fixed'));
    await until('flaky fixed', async () => ((await get('configmap', 'flaky'))?.data.value === 'fixed' ? true : undefined));
  });
});

describe('restarts', () => {
  it('a restart applies again without duplicating or deleting; a file deleted while down goes with its objects', async () => {
    const settings = await present('configmap', 'settings', 'shop');
    const dns = await present('service', 'kube-dns', 'kube-system');
    write('offline.yaml', configMap('offline', 'o'));
    await present('configmap', 'offline');
    await c().stop();
    fs.rmSync(path.join(manifests, 'offline.yaml'));
    cluster = await startCluster([], { dataDir });
    await c().server.waitForLog(/deploy .*applied .*coredns\.yaml/);
    await absent('configmap', 'offline');
    const again = await present('configmap', 'settings', 'shop');
    assert.equal(again.metadata.uid, settings.metadata.uid);
    assert.equal((await present('service', 'kube-dns', 'kube-system')).metadata.uid, dns.metadata.uid);
    assert.equal(JSON.parse(await ok(['get', 'configmaps', '-n', 'shop', '-o', 'json'])).items.filter((i: any) => i.metadata.name === 'settings').length, 1);
  });

  it('--disable local-storage removes its file and its StorageClass at the next start; an edited packaged file is put back', async () => {
    await present('storageclass', 'local-path');
    const coredns = path.join(manifests, 'coredns.yaml');
    const original = fs.readFileSync(coredns, 'utf8');
    await c().stop();
    fs.writeFileSync(coredns, original.replace('10.43.0.10', '10.43.0.99'));
    cluster = await startCluster(['--disable', 'local-storage'], { dataDir });
    await absent('storageclass', 'local-path');
    assert.equal(fs.existsSync(path.join(manifests, 'local-storage.yaml')), false);
    assert.equal(fs.readFileSync(coredns, 'utf8'), original);
    assert.equal((await present('service', 'kube-dns', 'kube-system')).spec.clusterIP, '10.43.0.10');
  });

  it('--disable coredns removes the kube-dns Service, also one the DNS controller put back after a delete', async () => {
    const before = await present('service', 'kube-dns', 'kube-system');
    await ok(['delete', 'service', 'kube-dns', '-n', 'kube-system']);
    await until('kube-dns put back', async () => {
      const svc = await get('service', 'kube-dns', 'kube-system');
      return svc && svc.metadata.uid !== before.metadata.uid ? true : undefined;
    });
    await c().stop();
    cluster = await startCluster(['--disable', 'local-storage', '--disable', 'coredns'], { dataDir });
    await absent('service', 'kube-dns', 'kube-system');
    assert.equal(fs.existsSync(path.join(manifests, 'coredns.yaml')), false);
  });
});

after(async () => {
  await cluster?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});
