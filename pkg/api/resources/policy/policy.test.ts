import { test } from 'node:test';
import assert from 'node:assert/strict';
import { context, create, update } from '../test-helpers.ts';
import { poddisruptionbudgets } from './poddisruptionbudget.ts';

const strategy = poddisruptionbudgets.strategy;

test('what `kubectl create pdb my-pdb --selector=app=rails --min-available=1` sends is valid', () => {
  const { obj, errors } = create(strategy, { metadata: { name: 'my-pdb', namespace: 'default' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'rails' } } } });
  assert.deepEqual(errors, []);
  assert.deepEqual(obj.status, { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });
});

test('pdb budgets: one of minAvailable and maxUnavailable, at most 100%', () => {
  const spec = { minAvailable: '120%', maxUnavailable: 1, unhealthyPodEvictionPolicy: 'Sometimes' };
  assert.deepEqual(create(strategy, { metadata: { name: 'p' }, spec }).errors, [
    'spec: Invalid value: {"minAvailable":"120%","maxUnavailable":1,"unhealthyPodEvictionPolicy":"Sometimes"}: minAvailable and maxUnavailable cannot be both set',
    'spec.minAvailable: Invalid value: "120%": must not be greater than 100%',
    'spec.unhealthyPodEvictionPolicy: Unsupported value: "Sometimes": supported values: "AlwaysAllow", "IfHealthyBudget"',
  ]);
});

test('pdb status writes are checked and keep the spec', () => {
  const old = create(strategy, { metadata: { name: 'p' }, spec: { minAvailable: 1 } }).obj;
  const write = structuredClone(old);
  write.spec.minAvailable = 5;
  write.status = { disruptionsAllowed: -1, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
  const result = update(strategy, write, old, context('status'));
  assert.equal(result.obj.spec.minAvailable, 1);
  assert.deepEqual(result.errors, ['status.disruptionsAllowed: Invalid value: -1: must be greater than or equal to 0']);
});
