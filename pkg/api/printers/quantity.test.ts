import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quantityString } from './quantity.ts';

test('canonical forms of decimal quantities', () => {
  const cases: [string, string][] = [
    ['100m', '100m'],
    ['0.5', '500m'],
    ['1.5', '1500m'],
    ['2', '2'],
    ['2000', '2k'],
    ['1500', '1500'],
    ['1000m', '1'],
    ['0.1', '100m'],
    ['1G', '1G'],
    ['1000M', '1G'],
    ['12e6', '12e6'],
    ['1e3', '1e3'],
    ['1.5e3', '1500'],
    ['0', '0'],
    ['0Gi', '0'],
    ['-500m', '-500m'],
    ['0.0000000001', '1n'],
  ];
  for (const [input, want] of cases) assert.equal(quantityString(input), want, input);
});

test('canonical forms of binary quantities', () => {
  const cases: [string, string][] = [
    ['1Gi', '1Gi'],
    ['1024Mi', '1Gi'],
    ['0.5Gi', '512Mi'],
    ['1.5Gi', '1536Mi'],
    ['1536Ki', '1536Ki'],
    ['1Ki', '1Ki'],
    ['0.5Ki', '512'],
    ['100Mi', '100Mi'],
  ];
  for (const [input, want] of cases) assert.equal(quantityString(input), want, input);
});

test('absent quantities are 0, unparsable ones stay as written', () => {
  assert.equal(quantityString(undefined), '0');
  assert.equal(quantityString('lots'), 'lots');
  assert.equal(quantityString(3), '3');
});
