import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  componentStatusPrinter,
  configMapPrinter,
  namespacePrinter,
  resourceQuotaPrinter,
  secretPrinter,
  serviceAccountPrinter,
} from './config.ts';
import { ago, now } from './testing.ts';

const metadata = { name: 'x', creationTimestamp: ago(3 * 86400 + 4 * 3600) };

test('Namespace STATUS is its phase', () => {
  assert.deepEqual(namespacePrinter.row({ metadata: { ...metadata, name: 'kube-system' }, status: { phase: 'Active' } }, now), [
    'kube-system',
    'Active',
    '3d4h',
  ]);
  assert.equal(namespacePrinter.row({ metadata, status: { phase: 'Terminating' } }, now)[1], 'Terminating');
});

test('ConfigMap DATA counts data and binaryData keys', () => {
  assert.deepEqual(configMapPrinter.row({ metadata: { ...metadata, name: 'kube-root-ca.crt' }, data: { 'ca.crt': '...' } }, now), [
    'kube-root-ca.crt',
    1,
    '3d4h',
  ]);
  assert.equal(configMapPrinter.row({ metadata }, now)[1], 0);
});

test('Secret TYPE and DATA', () => {
  const secret = { metadata: { ...metadata, name: 'web-tls' }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'Y3J0', 'tls.key': 'a2V5' } };
  assert.deepEqual(secretPrinter.row(secret, now), ['web-tls', 'kubernetes.io/tls', 2, '3d4h']);
  assert.deepEqual(
    secretPrinter.columns.map((c) => c.name),
    ['Name', 'Type', 'Data', 'Age'],
  );
});

test('ServiceAccount SECRETS counts referenced secrets', () => {
  assert.deepEqual(serviceAccountPrinter.row({ metadata: { ...metadata, name: 'default' } }, now), ['default', 0, '3d4h']);
  assert.equal(serviceAccountPrinter.row({ metadata, secrets: [{ name: 'a' }, { name: 'b' }] }, now)[1], 2);
});

test('ResourceQuota REQUEST and LIMIT list used/hard by resource name', () => {
  const quota = {
    metadata: { ...metadata, name: 'compute' },
    status: {
      hard: { 'requests.cpu': '1', 'requests.memory': '1Gi', 'limits.cpu': '2', 'limits.memory': '2Gi', pods: '10' },
      used: { 'requests.cpu': '500m', 'requests.memory': '536870912', 'limits.cpu': '1', pods: '3' },
    },
  };
  assert.deepEqual(resourceQuotaPrinter.row(quota, now), [
    'compute',
    'pods: 3/10, requests.cpu: 500m/1, requests.memory: 536870912/1Gi',
    'limits.cpu: 1/2, limits.memory: 0/2Gi',
    '3d4h',
  ]);
  assert.deepEqual(resourceQuotaPrinter.row({ metadata }, now).slice(1, 3), ['', '']);
});

test('ComponentStatus from the Healthy condition', () => {
  const healthy = { metadata: { name: 'etcd-0' }, conditions: [{ type: 'Healthy', status: 'True', message: 'ok' }] };
  assert.deepEqual(componentStatusPrinter.row(healthy, now), ['etcd-0', 'Healthy', 'ok', '']);
  assert.deepEqual(componentStatusPrinter.row({ metadata: { name: 'scheduler' } }, now), ['scheduler', 'Unknown', '', '']);
});
