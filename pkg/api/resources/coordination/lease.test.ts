import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '../test-helpers.ts';
import { leases } from './lease.ts';

test('leases: created by PUT, durations positive, coordinated election fields dropped', () => {
  assert.equal(leases.strategy.allowCreateOnUpdate, true);
  const heartbeat = { metadata: { name: 'node-1', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40, renewTime: '2026-01-02T03:04:05.000000Z' } };
  assert.deepEqual(create(leases.strategy, heartbeat).errors, []);
  const { obj, errors } = create(leases.strategy, { metadata: { name: 'l' }, spec: { leaseDurationSeconds: 0, leaseTransitions: -1, strategy: 'OldestEmulationVersion' } });
  assert.equal(obj.spec.strategy, undefined);
  assert.deepEqual(errors, ['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0', 'spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0']);
});
