import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cloneJson } from './json.ts';

test('cloneJson copies every level, so changing the copy leaves the original alone', () => {
  const original = { a: { b: [1, { c: 'x' }] }, n: null, u: undefined };
  const copy = cloneJson(original);
  assert.deepEqual(copy, original);
  (copy.a.b[1] as { c: string }).c = 'y';
  (copy.a.b as unknown[]).push(2);
  assert.deepEqual(original.a.b, [1, { c: 'x' }]);
});

test('cloneJson keeps a "__proto__" key as a key, as JSON.parse made it', () => {
  const original = JSON.parse('{"__proto__": {"polluted": true}, "k": 1}') as Record<string, unknown>;
  const copy = cloneJson(original);
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  assert.equal(JSON.stringify(copy), JSON.stringify(original));
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('cloneJson copies values that are not plain data as structuredClone does', () => {
  const when = new Date(0);
  const copy = cloneJson({ when });
  assert.notEqual(copy.when, when);
  assert.ok(copy.when instanceof Date);
  assert.equal(copy.when.getTime(), 0);
});
