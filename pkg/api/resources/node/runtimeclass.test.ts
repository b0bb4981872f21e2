import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create, update } from '../test-helpers.ts';
import { runtimeclasses } from './runtimeclass.ts';

test('runtime class handler: a DNS label that never changes', () => {
  const old = create(runtimeclasses.strategy, { metadata: { name: 'gvisor' }, handler: 'runsc', overhead: { podFixed: { memory: '120Mi' } } });
  assert.deepEqual(old.errors, []);
  assert.deepEqual(create(runtimeclasses.strategy, { metadata: { name: 'x' }, handler: 'Run_SC' }).errors.length, 1);
  assert.deepEqual(update(runtimeclasses.strategy, { ...structuredClone(old.obj), handler: 'runc' }, old.obj).errors, ['handler: Invalid value: "runc": field is immutable']);
});

test('runtime class overhead and scheduling reuse the pod checks', () => {
  const rc = { metadata: { name: 'x' }, handler: 'runc', overhead: { podFixed: { memory: '-1Mi' } }, scheduling: { nodeSelector: { 'bad key!': 'v' } } };
  const errors = create(runtimeclasses.strategy, rc).errors;
  assert.equal(errors.length, 2, errors.join('\n'));
  assert.match(errors[0]!, /^overhead\.podFixed\[memory\]: Invalid value: .*must be greater than or equal to 0/);
  assert.match(errors[1]!, /^scheduling\.nodeSelector: Invalid value: "bad key!"/);
});
