import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../api/types.ts';
import { applyMergePatch } from './merge-patch.ts';

// RFC 7386 appendix A, every example.
const vectors: [Json, Json, Json][] = [
  [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
  [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  [{ a: 'b' }, { a: null }, {}],
  [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
  [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  [['a', 'b'], ['c', 'd'], ['c', 'd']],
  [{ a: 'b' }, ['c'], ['c']],
  [{ a: 'foo' }, null, null],
  [{ a: 'foo' }, 'bar', 'bar'],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: 'b', c: null }, { a: 'b' }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

test('RFC 7386 appendix A vectors', () => {
  for (const [target, patch, expected] of vectors) {
    assert.deepEqual(applyMergePatch(target, patch), expected, `${JSON.stringify(target)} + ${JSON.stringify(patch)}`);
  }
});

test('the target is not mutated', () => {
  const target = { metadata: { labels: { a: '1' } } };
  applyMergePatch(target, { metadata: { labels: { a: null, b: '2' } } });
  assert.deepEqual(target, { metadata: { labels: { a: '1' } } });
});
