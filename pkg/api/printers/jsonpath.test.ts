import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileJsonPath, JsonPathError, jsonPathValue } from './jsonpath.ts';

const obj = {
  metadata: { name: 'db', labels: { app: 'postgres', 'app.kubernetes.io/name': 'pg' } },
  spec: { replicas: 3, ports: [{ name: 'pg', port: 5432 }, { name: 'metrics', port: 9187 }, { name: 'admin', port: 8008 }] },
  status: {
    conditions: [
      { type: 'Initialized', status: 'True' },
      { type: 'Ready', status: 'False', reason: 'Recovering' },
    ],
  },
};

test('fields, map keys with dots, indices and slices', () => {
  assert.equal(jsonPathValue(obj, '.spec.replicas'), 3);
  assert.equal(jsonPathValue(obj, '.metadata.labels.app'), 'postgres');
  assert.equal(jsonPathValue(obj, ".metadata.labels['app.kubernetes.io/name']"), 'pg');
  assert.equal(jsonPathValue(obj, '.metadata.labels["app.kubernetes.io/name"]'), 'pg');
  assert.equal(jsonPathValue(obj, '.spec.ports[1].port'), 9187);
  assert.equal(jsonPathValue(obj, '.spec.ports[-1].name'), 'admin');
  assert.deepEqual(compileJsonPath('.spec.ports[0:2].port').find(obj), [5432, 9187]);
  assert.deepEqual(compileJsonPath('.spec.ports[*].name').find(obj), ['pg', 'metrics', 'admin']);
  assert.deepEqual(compileJsonPath('{.spec.ports[0,2].port}').find(obj), [5432, 8008]);
  assert.deepEqual(compileJsonPath('$.metadata.name').find(obj), ['db']);
});

test('filters on conditions, existence filters and comparisons', () => {
  assert.equal(jsonPathValue(obj, '.status.conditions[?(@.type=="Ready")].status'), 'False');
  assert.equal(jsonPathValue(obj, ".status.conditions[?(@.type == 'Ready')].reason"), 'Recovering');
  assert.deepEqual(compileJsonPath('.status.conditions[?(@.reason)].type').find(obj), ['Ready']);
  assert.deepEqual(compileJsonPath('.spec.ports[?(@.port > 8000)].name').find(obj), ['metrics', 'admin']);
  assert.deepEqual(compileJsonPath('.spec.ports[?(@.name != "pg")].port').find(obj), [9187, 8008]);
});

test('wildcards and recursive descent', () => {
  assert.deepEqual(compileJsonPath('..port').find(obj), [5432, 9187, 8008]);
  assert.deepEqual(compileJsonPath('.metadata.labels.*').find(obj), ['postgres', 'pg']);
});

test('missing keys select nothing', () => {
  assert.deepEqual(compileJsonPath('.status.readyReplicas').find(obj), []);
  assert.deepEqual(compileJsonPath('.spec.ports[7].port').find(obj), []);
  assert.deepEqual(compileJsonPath('.spec.replicas.value').find(obj), []);
  assert.equal(jsonPathValue(obj, '.status.conditions[?(@.type=="Available")].status'), undefined);
});

test('malformed paths are refused', () => {
  for (const bad of ['.spec[', '.spec.ports[?(@.port >)]', '.spec.ports[a]', '.a b']) {
    assert.throws(() => compileJsonPath(bad), JsonPathError, bad);
  }
});
