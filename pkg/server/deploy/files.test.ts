import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DeployError } from './errors.ts';
import { classify, listFiles } from './files.ts';
import { parseManifest } from './manifest.ts';
import { recordConfigMap, recordFromConfigMap, recordName } from './records.ts';
import { renderManifest, packagedManifests, stagePackagedManifests } from './packaged.ts';

test('manifests are .yaml/.yml/.json in any case; .skip holds one back; disabled names and folders are removed', () => {
  const files = classify([
    'a.yaml', 'b.YML', 'c.json', 'notes.txt', 'd.yaml', 'd.yaml.skip', 'traefik.yaml', 'traefik.yaml.skip',
    'metrics-server/service.yaml', 'sub/e.yml', 'coredns.yaml.tmp',
  ], ['traefik', 'metrics-server']);
  assert.deepEqual(files.apply, ['a.yaml', 'b.YML', 'c.json', 'sub/e.yml']);
  assert.deepEqual(files.skipped, ['d.yaml']);
  assert.deepEqual(files.disabled, ['metrics-server/service.yaml', 'traefik.yaml']);
});

test('the folder is walked into subfolders, past dotfiles and hidden folders', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-manifests-'));
  try {
    fs.mkdirSync(path.join(dir, 'sub', 'deeper'), { recursive: true });
    fs.mkdirSync(path.join(dir, '.git'));
    for (const f of ['a.yaml', '.a.yaml.swp', 'sub/b.yaml', 'sub/deeper/c.json', '.git/x.yaml']) fs.writeFileSync(path.join(dir, f), '');
    assert.deepEqual(listFiles(dir), ['a.yaml', 'sub/b.yaml', 'sub/deeper/c.json']);
    // Not an empty folder: that would delete the objects of every file.
    assert.throws(() => listFiles(path.join(dir, 'missing')), (err: Error) => err instanceof DeployError && err.code === 'read' && /cannot list .*missing/.test(err.message));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('multi-document YAML, JSON and List kinds become objects; blank and comment-only documents are nothing', () => {
  const yaml = '# header\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\n# only a comment\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: s}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n';
  assert.deepEqual(parseManifest(yaml).map((o) => `${o.kind}/${o.metadata.name}`), ['ConfigMap/a', 'Secret/s', 'ConfigMap/b']);
  const json = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMapList', items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'j' } }] });
  assert.deepEqual(parseManifest(json).map((o) => o.metadata.name), ['j']);
  assert.deepEqual(parseManifest(''), []);
});

test('a bad document names itself; objects without a name or twice in one file are refused', () => {
  assert.throws(() => parseManifest('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: [\n'), /document 2: .*line/);
  assert.throws(() => parseManifest('apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: a-}\n'), /no metadata.name/);
  assert.throws(() => parseManifest('kind: ConfigMap\nmetadata: {name: a}\n'), /apiVersion is missing/);
  assert.throws(() => parseManifest('- a\n- b\n'), /not an object/);
  assert.throws(() => parseManifest('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n'), /ConfigMap a is in the file twice/);
});

test('records round-trip through their ConfigMap, whose name is a valid object name for any path', () => {
  const record = { source: 'Sub Dir/app.yaml', checksum: 'abc', server: 'pi', objects: [{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'a' }, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', name: 'x' }] };
  assert.deepEqual(recordFromConfigMap(recordConfigMap(record)), record);
  assert.equal(recordName('coredns.yaml'), 'tsk-addon-coredns.yaml');
  assert.match(recordName('Sub Dir/app.yaml'), /^tsk-addon-sub-dir-app\.yaml-[0-9a-f]{10}$/);
  assert.notEqual(recordName('a/b.yaml'), recordName('a-b.yaml'));
  assert.ok(recordName('x'.repeat(400) + '.yaml').length <= 253);
  assert.equal(recordFromConfigMap({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other' } }), undefined);
});

test('packaged manifests are written unless disabled or skipped, and an edited one is put back', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-packaged-'));
  try {
    assert.deepEqual(stagePackagedManifests(dir, { clusterDns: '10.43.0.10' }, ['local-storage']), ['coredns.yaml']);
    assert.equal(fs.existsSync(path.join(dir, 'local-storage.yaml')), false);
    const coredns = parseManifest(fs.readFileSync(path.join(dir, 'coredns.yaml'), 'utf8'));
    assert.equal((coredns[0] as any).spec.clusterIP, '10.43.0.10');
    fs.writeFileSync(path.join(dir, 'coredns.yaml'), '# mine\n');
    fs.writeFileSync(path.join(dir, 'local-storage.yaml'), '# mine\n');
    fs.writeFileSync(path.join(dir, 'local-storage.yaml.skip'), '');
    assert.deepEqual(stagePackagedManifests(dir, { clusterDns: '10.43.0.10' }, []), ['coredns.yaml']);
    assert.notEqual(fs.readFileSync(path.join(dir, 'coredns.yaml'), 'utf8'), '# mine\n');
    assert.equal(fs.readFileSync(path.join(dir, 'local-storage.yaml'), 'utf8'), '# mine\n');
    assert.equal(fs.statSync(path.join(dir, 'coredns.yaml')).mode & 0o777, 0o600);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const storage = packagedManifests({ clusterDns: '10.43.0.10' }).find((m) => m.component === 'local-storage')!;
  const [sc] = parseManifest(renderManifest(storage)) as any[];
  assert.equal(sc.provisioner, 'tsk.io/local-path');
  assert.equal(sc.metadata.annotations['storageclass.kubernetes.io/is-default-class'], 'true');
});
