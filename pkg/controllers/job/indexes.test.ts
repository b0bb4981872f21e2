import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_POD_FAILURE_BACKOFF_MS, remainingBackoff } from './backoff.ts';
import { firstPendingIndexes, formatIndexes, parseIndexes, totalIndexes, withIndexes } from './indexes.ts';
import { COMPLETION_INDEX } from './pods.ts';

describe('completed indexes', () => {
  it('parse and format as status.completedIndexes, merging neighbours and dropping what is out of range', () => {
    assert.equal(formatIndexes(parseIndexes('0,1,2,5,7-9', 10)), '0-2,5,7-9');
    assert.equal(formatIndexes(parseIndexes('3-12,x,4', 10)), '3-9');
    assert.equal(formatIndexes(withIndexes(parseIndexes('1,3', 5), [2, 0])), '0-3');
    assert.equal(totalIndexes(parseIndexes('0-2,5', 10)), 4);
    assert.equal(formatIndexes(parseIndexes('', 3)), '');
  });

  it('the first pending indexes skip succeeded ones and those with an active pod', () => {
    const active = [{ metadata: { name: 'a', annotations: { [COMPLETION_INDEX]: '1' } } }];
    assert.deepEqual(firstPendingIndexes(parseIndexes('0,3', 6), active, 2, 6), [2, 4]);
    assert.deepEqual(firstPendingIndexes(parseIndexes('0,3', 6), active, 9, 6), [2, 4, 5]);
  });
});

describe('pod failure backoff', () => {
  it('10 s doubling per failure, capped, counted from the last failure', () => {
    const now = new Date('2026-01-01T00:01:00Z');
    const last = now.getTime() - 5000;
    assert.equal(remainingBackoff({ failuresAfterLastSuccess: 0 }, now), 0);
    assert.equal(remainingBackoff({ failuresAfterLastSuccess: 1, lastFailureTime: last }, now), 5000);
    assert.equal(remainingBackoff({ failuresAfterLastSuccess: 3, lastFailureTime: last }, now), 35_000);
    assert.equal(remainingBackoff({ failuresAfterLastSuccess: 20, lastFailureTime: last }, now), MAX_POD_FAILURE_BACKOFF_MS - 5000);
  });
});
