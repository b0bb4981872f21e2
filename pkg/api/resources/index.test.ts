import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinResources } from './index.ts';

const table = builtinResources({ serviceCidr: '10.43.0.0/16', nodePortRange: [30000, 32767] });
const key = (d: { group: string; version: string; plural: string }): string => `${d.group}/${d.version}/${d.plural}`;

test('group/version/plural is unique', () => {
  const seen = new Set<string>();
  for (const d of table) {
    assert.ok(!seen.has(key(d)), `duplicate ${key(d)}`);
    seen.add(key(d));
  }
});

test('a short name always means one resource (versions and the two Event APIs share theirs, as in Kubernetes)', () => {
  const owner = new Map<string, string>();
  for (const d of table) {
    for (const s of d.shortNames ?? []) {
      const previous = owner.get(s);
      assert.ok(previous === undefined || previous === d.plural, `short name ${s} used by ${previous} and ${d.plural}`);
      owner.set(s, d.plural);
    }
  }
  const perGroupVersion = new Set<string>();
  for (const d of table) {
    for (const s of d.shortNames ?? []) {
      const k = `${d.group}/${d.version}/${s}`;
      assert.ok(!perGroupVersion.has(k), `short name ${k} twice`);
      perGroupVersion.add(k);
    }
  }
});

test('names of kinds, lists, schemas and storage are well formed', () => {
  for (const d of table) {
    assert.match(d.schema, /^io\.k8s\./, key(d));
    assert.ok(d.schema.endsWith(`.${d.version}.${d.kind}`), `${key(d)}: ${d.schema}`);
    assert.ok(d.storagePath.length > 0 && !d.storagePath.startsWith('/'), `${key(d)} storagePath`);
    assert.equal(d.listKind, `${d.kind}List`, key(d));
    assert.equal(d.singular, d.kind.toLowerCase(), key(d));
    assert.ok(d.verbs.length > 0, key(d));
    if (d.scale) assert.ok(d.subresources?.includes('scale'), `${key(d)} has scale paths but no scale subresource`);
    if (d.virtual) assert.ok(!d.verbs.includes('get'), `${key(d)} is virtual yet readable`);
  }
});

test('versions sharing storage: exactly one stored version, every other converts', () => {
  const byStorage = new Map<string, typeof table>();
  for (const d of table.filter((x) => !x.virtual)) byStorage.set(d.storagePath, [...(byStorage.get(d.storagePath) ?? []), d]);
  for (const [path, defs] of byStorage) {
    const stored = defs.filter((d) => !d.conversion);
    assert.equal(stored.length, 1, `${path}: ${defs.map(key).join(', ')}`);
    assert.ok(new Set(defs.map((d) => d.kind)).size === 1, `${path} mixes kinds`);
  }
  assert.deepEqual(byStorage.get('events')?.map(key), ['/v1/events', 'events.k8s.io/v1/events']);
  assert.deepEqual(byStorage.get('horizontalpodautoscalers')?.map(key), ['autoscaling/v2/horizontalpodautoscalers', 'autoscaling/v1/horizontalpodautoscalers']);
});

test('`kubectl get all` covers what it covers in Kubernetes', () => {
  const all = table.filter((d) => d.categories?.includes('all')).map((d) => `${d.group}/${d.plural}`);
  assert.deepEqual(new Set(all), new Set([
    '/pods', '/replicationcontrollers', '/services',
    'apps/daemonsets', 'apps/deployments', 'apps/replicasets', 'apps/statefulsets',
    'autoscaling/horizontalpodautoscalers', 'batch/cronjobs', 'batch/jobs',
  ]));
});

test('the non-core groups of Kubernetes 1.33 that tsk serves are all there', () => {
  const groups = [...new Set(table.map((d) => `${d.group}/${d.version}`))];
  for (const gv of [
    'apps/v1', 'events.k8s.io/v1', 'authentication.k8s.io/v1', 'authorization.k8s.io/v1', 'autoscaling/v2', 'autoscaling/v1', 'batch/v1',
    'certificates.k8s.io/v1', 'networking.k8s.io/v1', 'policy/v1', 'rbac.authorization.k8s.io/v1', 'storage.k8s.io/v1',
    'admissionregistration.k8s.io/v1', 'apiextensions.k8s.io/v1', 'scheduling.k8s.io/v1', 'coordination.k8s.io/v1', 'node.k8s.io/v1', 'discovery.k8s.io/v1',
  ]) {
    assert.ok(groups.includes(gv), gv);
  }
  assert.equal(table.find((d) => d.plural === 'horizontalpodautoscalers' && d.version === 'v2')?.preferred, true);
});
