import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create, update } from '../test-helpers.ts';
import { priorityclasses } from './priorityclass.ts';

const strategy = priorityclasses.strategy;

test('what `kubectl create priorityclass high --value=1000` sends gets the default preemption policy', () => {
  const { obj, errors } = create(strategy, { metadata: { name: 'high' }, value: 1000, globalDefault: false });
  assert.deepEqual(errors, []);
  assert.equal(obj.preemptionPolicy, 'PreemptLowerPriority');
});

test('system- names are reserved; user values stop at one billion', () => {
  assert.deepEqual(create(strategy, { metadata: { name: 'system-mine' }, value: 5 }).errors, [
    "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class",
  ]);
  assert.deepEqual(create(strategy, { metadata: { name: 'system-node-critical' }, value: 2000001000 }).errors, []);
  assert.deepEqual(create(strategy, { metadata: { name: 'huge' }, value: 1000000001, preemptionPolicy: 'Sometimes' }).errors, [
    'value: Forbidden: maximum allowed value of a user defined priority is 1000000000',
    'preemptionPolicy: Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"',
  ]);
});

test('value and preemption policy never change', () => {
  const old = create(strategy, { metadata: { name: 'p' }, value: 10 }).obj;
  assert.deepEqual(update(strategy, { ...structuredClone(old), value: 11, preemptionPolicy: 'Never' }, old).errors, [
    'value: Forbidden: may not be changed in an update.',
    'preemptionPolicy: Invalid value: "Never": field is immutable',
  ]);
});
