import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatAge, formatSpan, humanDuration } from './duration.ts';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

test('humanDuration follows apimachinery HumanDuration', () => {
  const cases: [number, string][] = [
    [s, '1s'],
    [70 * s, '70s'],
    [119 * s, '119s'],
    [120 * s, '2m'],
    [190 * s, '3m10s'],
    [9 * m + 59 * s, '9m59s'],
    [10 * m + 30 * s, '10m'],
    [70 * m, '70m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [3 * h + 20 * m, '3h20m'],
    [8 * h + 59 * m, '8h'],
    [47 * h, '47h'],
    [49 * h, '2d1h'],
    [3 * d, '3d'],
    [8 * d + 2 * h, '8d'],
    [367 * d, '367d'],
    [(365 * 2 * 24 + 25) * h, '2y1d'],
    [365 * 3 * d, '3y'],
    [(365 * 8 * 24 + 2) * h, '8y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms} ms`);
});

test('humanDuration tolerates under two seconds of clock skew', () => {
  assert.equal(humanDuration(-1500), '0s');
  assert.equal(humanDuration(-2000), '<invalid>');
  assert.equal(humanDuration(999), '0s');
});

test('formatAge reads RFC 3339 and says <unknown> without a time', () => {
  const now = new Date('2024-05-01T12:00:00Z');
  assert.equal(formatAge('2024-05-01T11:55:00Z', now), '5m');
  assert.equal(formatAge('2024-04-29T09:00:00Z', now), '2d3h');
  assert.equal(formatAge(undefined, now), '<unknown>');
  assert.equal(formatAge('not a time', now), '<unknown>');
});

test('formatSpan measures to completion, or to now while running', () => {
  const now = new Date('2024-05-01T12:00:00Z');
  assert.equal(formatSpan('2024-05-01T11:00:00Z', '2024-05-01T11:00:42Z', now), '42s');
  assert.equal(formatSpan('2024-05-01T11:50:00Z', undefined, now), '10m');
});
