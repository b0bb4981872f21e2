import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../errors.ts';
import type { JsonObject } from '../json.ts';
import { fakeResolver } from '../testing/fake-schemas.ts';
import { applyStrategicMergePatch } from './merge.ts';

const pod = (spec: JsonObject, metadata: JsonObject = { name: 'web' }): JsonObject => ({ apiVersion: 'v1', kind: 'Pod', metadata, spec });
const smp = (target: JsonObject, patch: JsonObject, schema = 'Pod') => applyStrategicMergePatch(target, patch, schema, fakeResolver);

test('containers merge by name; a new container is added, an existing one merged', () => {
  const live = pod({ containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] });
  const out = smp(live, { spec: { containers: [{ name: 'b', image: 'b:2' }, { name: 'c', image: 'c:1' }] } });
  assert.deepEqual(out.spec, { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:2' }, { name: 'c', image: 'c:1' }] });
  assert.deepEqual((live.spec as JsonObject).containers, [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }], 'live untouched');
});

test('env merges by name inside a container, null deletes a field', () => {
  const live = pod({ containers: [{ name: 'a', image: 'x', imagePullPolicy: 'Always', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }] });
  const out = smp(live, { spec: { containers: [{ name: 'a', imagePullPolicy: null, env: [{ name: 'B', value: '3' }, { name: 'C', value: '4' }] }] } });
  assert.deepEqual(out.spec, { containers: [{ name: 'a', image: 'x', env: [{ name: 'A', value: '1' }, { name: 'B', value: '3' }, { name: 'C', value: '4' }] }] });
});

test('ports merge by containerPort', () => {
  const live = pod({ containers: [{ name: 'a', ports: [{ containerPort: 80, name: 'http' }] }] });
  const out = smp(live, { spec: { containers: [{ name: 'a', ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 443 }] }] } });
  assert.deepEqual((out.spec as JsonObject).containers, [{ name: 'a', ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }, { containerPort: 443 }] }]);
});

test('$patch: delete removes the item with that key, $patch: replace replaces the list', () => {
  const live = pod({ containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] });
  assert.deepEqual(smp(live, { spec: { containers: [{ name: 'b', $patch: 'delete' }] } }).spec, { containers: [{ name: 'a' }, { name: 'c' }] });
  assert.deepEqual(
    smp(live, { spec: { containers: [{ name: 'z', image: 'z' }, { $patch: 'replace' }] } }).spec,
    { containers: [{ name: 'z', image: 'z' }] },
  );
  assert.deepEqual(smp(live, { spec: { $patch: 'replace', restartPolicy: 'Never' } }).spec, { restartPolicy: 'Never' });
  assert.deepEqual(smp(live, { spec: { $patch: 'delete' } }).spec, {});
});

test('$retainKeys on a volume switches its source', () => {
  const live = pod({ volumes: [{ name: 'data', hostPath: { path: '/srv' } }, { name: 'keep', emptyDir: {} }] });
  const out = smp(live, { spec: { volumes: [{ name: 'data', emptyDir: {}, $retainKeys: ['emptyDir', 'name'] }] } });
  assert.deepEqual(out.spec, { volumes: [{ name: 'data', emptyDir: {} }, { name: 'keep', emptyDir: {} }] });
  assert.throws(
    () => smp(live, { spec: { volumes: [{ name: 'data', configMap: { name: 'x' }, $retainKeys: ['name'] }] } }),
    (e: unknown) => e instanceof ApiError && e.code === 400 && e.message === 'invalid patch format of retainKeys',
  );
});

test('finalizers merge as a set, new ones first, duplicates dropped', () => {
  const live = pod({}, { name: 'web', finalizers: ['a', 'b'] });
  assert.deepEqual(smp(live, { metadata: { finalizers: ['b', 'c'] } }).metadata, { name: 'web', finalizers: ['a', 'b', 'c'] });
  assert.deepEqual(smp(live, { metadata: { finalizers: ['c'] } }).metadata, { name: 'web', finalizers: ['c', 'a', 'b'] });
  assert.throws(
    () => smp(live, { metadata: { $deleteFromPrimitiveList: ['a'] } }),
    (e: unknown) => e instanceof ApiError && e.code === 400 && e.message === 'invalid patch format of primitive list',
  );
  assert.deepEqual(smp(live, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }).metadata, { name: 'web', finalizers: ['b'] });
});

test('lists without merge strategy are replaced; atomic maps are merged like any map by SMP', () => {
  const live = pod({ containers: [{ name: 'a', args: ['x', 'y'] }], nodeSelector: { a: '1' } });
  const out = smp(live, { spec: { containers: [{ name: 'a', args: ['z'] }], nodeSelector: { b: '2' } } });
  assert.deepEqual(out.spec, { containers: [{ name: 'a', args: ['z'] }], nodeSelector: { a: '1', b: '2' } });
});

test('order: patch order for named items, live order for the rest (apimachinery vectors)', () => {
  const live = pod({ containers: [{ name: '1' }, { name: '2', image: 'b' }, { name: '3' }] });
  assert.deepEqual(
    (smp(live, { spec: { containers: [{ name: '3', image: 'c' }, { name: '1', image: 'a' }] } }).spec as JsonObject).containers,
    [{ name: '2', image: 'b' }, { name: '3', image: 'c' }, { name: '1', image: 'a' }],
  );
  const ints = pod({}, { name: 'w', finalizers: ['1', '2', '3'] });
  assert.deepEqual((smp(ints, { metadata: { finalizers: ['3', '1'] } }).metadata as JsonObject).finalizers, ['2', '3', '1']);
});

test('$setElementOrder orders the merged list', () => {
  const live = pod({ containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] });
  const out = smp(live, { spec: { '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }, { name: 'b' }], containers: [{ name: 'a', image: 'x' }] } });
  assert.deepEqual((out.spec as JsonObject).containers, [{ name: 'c' }, { name: 'a', image: 'x' }, { name: 'b' }]);
  const mismatch = { spec: { '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }], containers: [{ name: 'b', image: '1' }, { name: 'a', image: '2' }] } };
  assert.throws(() => smp(live, mismatch), (e: unknown) => e instanceof ApiError && e.code === 500 && /doesn't match \$setElementOrder list/.test(e.message));
});

test('retainKeys strategy on a map field clears keys not listed', () => {
  const live = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } };
  const out = smp(live, { spec: { strategy: { type: 'Recreate', $retainKeys: ['type'] } } }, 'Deployment');
  assert.deepEqual(out.spec, { strategy: { type: 'Recreate' } });
});

test('errors carry Kubernetes wording and codes', () => {
  const live = pod({ containers: [{ name: 'a' }] });
  assert.throws(
    () => smp(live, { spec: { containers: [{ image: 'nginx' }] } }),
    (e: unknown) => e instanceof ApiError && e.code === 500 && e.message === 'map: map[image:nginx] does not contain declared merge key: name',
  );
  assert.throws(() => smp(live, { spec: { $patch: 'merge' } }), (e: unknown) => e instanceof ApiError && e.message === 'unknown patch type: merge in map: map[$patch:merge]');
  assert.throws(() => smp(live, { spec: { '$setElementOrder': [] } }), (e: unknown) => e instanceof ApiError && e.code === 400);
  assert.throws(() => smp(pod({}, { name: 'w', finalizers: [['x']] as unknown as string[] }), { metadata: { finalizers: [['y']] } }), (e: unknown) => e instanceof ApiError && e.code === 422);
});

test('nulls and directives that arrive with new values are dropped', () => {
  const out = smp(pod({}), { metadata: { labels: { a: '1', b: null } }, spec: { containers: [{ name: 'x', $patch: 'merge', image: null }] } });
  assert.deepEqual(out.metadata, { name: 'web', labels: { a: '1' } });
  assert.deepEqual(out.spec, { containers: [{ name: 'x' }] });
});
