import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../types.ts';
import { create, update } from '../test-helpers.ts';
import { endpointslices } from './endpointslice.ts';

const strategy = endpointslices.strategy;

function slice(): KObject {
  return {
    metadata: { name: 'web-abc', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.42.0.5'], conditions: { ready: true }, nodeName: 'node-1' }],
    ports: [{ port: 80 }],
  };
}

test('endpoint slice ports default to TCP and an empty name', () => {
  const { obj, errors } = create(strategy, slice());
  assert.deepEqual(errors, []);
  assert.deepEqual(obj.ports, [{ port: 80, name: '', protocol: 'TCP' }]);
});

test('endpoint addresses must match the address type and reach a pod', () => {
  const s = slice();
  s.endpoints.push({ addresses: ['127.0.0.1', 'fd00::1'] }, { addresses: [] });
  s.ports.push({ port: 81 });
  assert.deepEqual(create(strategy, s).errors, [
    'endpoints[1].addresses[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
    'endpoints[1].addresses[1]: Invalid value: "fd00::1": must be a valid IPv4 address',
    'endpoints[2].addresses: Required value: must contain at least 1 address',
    'ports[1].name: Duplicate value: ""',
  ]);
});

test('the address type never changes', () => {
  const old = create(strategy, slice()).obj;
  const changed = { ...structuredClone(old), addressType: 'FQDN', endpoints: [{ addresses: ['web.example.com'] }] };
  assert.deepEqual(update(strategy, changed, old).errors, ['addressType: Invalid value: "FQDN": field is immutable']);
});
