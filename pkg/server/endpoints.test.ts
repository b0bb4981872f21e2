import assert from 'node:assert/strict';
import { test } from 'node:test';
import { leaseNameOf, subsetsOf } from './endpoints.ts';

test('subsetsOf groups the live servers by port, addresses sorted and unique', () => {
  assert.deepEqual(subsetsOf([{ address: '10.0.0.2', port: 6443 }, { address: '10.0.0.1', port: 6443 }, { address: '10.0.0.1', port: 6443 }, { address: '10.0.0.3', port: 5443 }]), [
    { addresses: [{ ip: '10.0.0.3' }], ports: [{ name: 'https', port: 5443, protocol: 'TCP' }] },
    { addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] },
  ]);
  assert.deepEqual(subsetsOf([]), []);
});

test('a server keeps its Lease name across restarts; two servers on one host get two', () => {
  assert.equal(leaseNameOf('10.0.0.1', 6443, 'h'), leaseNameOf('10.0.0.1', 6443, 'h'));
  assert.notEqual(leaseNameOf('10.0.0.1', 6443, 'h'), leaseNameOf('10.0.0.1', 7443, 'h'));
  assert.match(leaseNameOf('10.0.0.1', 6443, 'h'), /^apiserver-[0-9a-f]{24}$/);
});
