import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { timeLeft } from './controller.ts';

const job = (ttl: number | undefined, condition?: { type: string; status: string; lastTransitionTime: string }): KObject => ({
  metadata: { name: 'j', namespace: 'default' },
  spec: ttl === undefined ? {} : { ttlSecondsAfterFinished: ttl },
  status: condition ? { conditions: [condition] } : {},
});

describe('ttl after finished', () => {
  const done = { type: 'Complete', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' };
  const at = (iso: string) => Date.parse(iso);

  it('counts from the Complete or Failed transition', () => {
    assert.equal(timeLeft(job(10, done), at('2026-01-01T00:00:04Z')), 6000);
    assert.equal(timeLeft(job(10, { ...done, type: 'Failed' }), at('2026-01-01T00:00:04Z')), 6000);
    assert.equal(timeLeft(job(10, done), at('2026-01-01T00:00:30Z')), 0);
    assert.equal(timeLeft(job(0, done), at('2026-01-01T00:00:00Z')), 0);
  });

  it('never expires a running job, one without a TTL, or one already being deleted', () => {
    assert.equal(timeLeft(job(10), at('2026-01-02T00:00:00Z')), undefined);
    assert.equal(timeLeft(job(10, { ...done, type: 'SuccessCriteriaMet' }), at('2026-01-02T00:00:00Z')), undefined);
    assert.equal(timeLeft(job(10, { ...done, status: 'False' }), at('2026-01-02T00:00:00Z')), undefined);
    assert.equal(timeLeft(job(undefined, done), at('2026-01-02T00:00:00Z')), undefined);
    const deleting = job(10, done);
    deleting.metadata.deletionTimestamp = '2026-01-01T00:00:20Z';
    assert.equal(timeLeft(deleting, at('2026-01-02T00:00:00Z')), undefined);
  });
});
