import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Op } from '../types.ts';
import { MAX_TXN_OPS, validateTxn } from './validate.ts';

const put = (key: string): Op => ({ type: 'put', key, value: Buffer.from('v') });

describe('validateTxn', () => {
  it('rejects an empty key', () => {
    assert.throws(() => validateTxn({ success: [put('')] }), { code: 'empty-key' });
  });

  it('rejects two puts of one key in a branch, and a put inside a delete range', () => {
    assert.throws(() => validateTxn({ success: [put('a'), put('a')] }), { code: 'duplicate-key' });
    assert.throws(() => validateTxn({ success: [put('a/1'), { type: 'delete', key: 'a/', end: 'a0' }] }), { code: 'duplicate-key' });
    assert.throws(() => validateTxn({ success: [put('a'), { type: 'txn', txn: { success: [put('a')] } }] }), { code: 'duplicate-key' });
  });

  it('allows the same key in the two branches, and disjoint writes', () => {
    assert.doesNotThrow(() => validateTxn({ success: [put('a')], failure: [put('a')] }));
    assert.doesNotThrow(() => validateTxn({ success: [put('a'), put('b'), { type: 'delete', key: 'c', end: 'd' }] }));
  });

  it('limits operations per branch and request size', () => {
    const many = Array.from({ length: MAX_TXN_OPS + 1 }, (_, i) => put(`k${i}`));
    assert.throws(() => validateTxn({ success: many }), { code: 'too-many-ops' });
    assert.throws(() => validateTxn({ success: [{ type: 'put', key: 'big', value: Buffer.alloc(2 * 1024 * 1024) }] }), { code: 'request-too-large' });
  });
});
