import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { budgetStatus, countHealthy, desiredCounts, pendingDisruptions, scaledValue } from './budget.ts';

const pdb = (spec: Record<string, unknown>, status: Record<string, unknown> = {}): KObject =>
  ({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'b', namespace: 'ns', generation: 3 }, spec: { selector: { matchLabels: { app: 'a' } }, ...spec }, status }) as KObject;
const pod = (name: string, ready = true, deleting = false): KObject =>
  ({ metadata: { name, namespace: 'ns', ...(deleting ? { deletionTimestamp: 'x' } : {}) }, status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } }) as KObject;

test('percentages round up; integers as given', () => {
  assert.equal(scaledValue('50%', 3), 2);
  assert.equal(scaledValue(2, 10), 2);
  assert.equal(scaledValue('10%', 0), 0);
});

test('minAvailable integer expects the selected pods; maxUnavailable and percentages expect the scale', () => {
  const pods = [pod('a'), pod('b'), pod('c')];
  assert.deepEqual(desiredCounts(pdb({ minAvailable: 2 }), pods, 0), { expectedPods: 3, desiredHealthy: 2 });
  assert.deepEqual(desiredCounts(pdb({ maxUnavailable: 1 }), pods, 4), { expectedPods: 4, desiredHealthy: 3 });
  assert.deepEqual(desiredCounts(pdb({ maxUnavailable: '50%' }), pods, 3), { expectedPods: 3, desiredHealthy: 1 });
  assert.deepEqual(desiredCounts(pdb({ minAvailable: '50%' }), pods, 3), { expectedPods: 3, desiredHealthy: 2 });
});

test('status: allowed disruptions, condition reasons, observedGeneration', () => {
  const b = pdb({ minAvailable: 2 });
  const ok = budgetStatus(b, { expectedPods: 3, desiredHealthy: 2, currentHealthy: 3, pending: {} }, 'T1');
  assert.equal(ok.disruptionsAllowed, 1);
  assert.equal(ok.observedGeneration, 3);
  assert.deepEqual(ok.conditions, [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', lastTransitionTime: 'T1', observedGeneration: 3 }]);
  const none = budgetStatus({ ...b, status: ok } as KObject, { expectedPods: 3, desiredHealthy: 2, currentHealthy: 2, pending: {} }, 'T2');
  assert.equal(none.disruptionsAllowed, 0);
  assert.equal(none.conditions![0]!.reason, 'InsufficientPods');
  assert.equal(none.conditions![0]!.lastTransitionTime, 'T2');
  const empty = budgetStatus(b, { expectedPods: 0, desiredHealthy: 0, currentHealthy: 0, pending: {} }, 'T3');
  assert.equal(empty.disruptionsAllowed, 0);
});

test('evicted pods do not count as healthy until their deletion is seen or the timeout passes', () => {
  const now = Date.parse('2026-01-01T00:10:00Z');
  const b = pdb({ minAvailable: 1 }, { disruptedPods: { a: '2026-01-01T00:09:30Z', b: '2026-01-01T00:00:00Z', gone: '2026-01-01T00:09:59Z', c: '2026-01-01T00:09:50Z' } });
  const pods = [pod('a'), pod('b'), pod('c', true, true)];
  const { pending, recheckAt } = pendingDisruptions(b, pods, now);
  assert.deepEqual(pending, { a: '2026-01-01T00:09:30Z' });
  assert.equal(recheckAt, Date.parse('2026-01-01T00:11:30Z'));
  assert.equal(countHealthy(pods, pending), 1);
});
