import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  QUANTITY_FORMAT_ERROR,
  QuantityParseError,
  canonicalQuantity,
  compareQuantities,
  parseQuantity,
  quantityMilliValue,
  quantityValue,
  tryParseQuantity,
} from './quantity.ts';

test('canonical forms match what Kubernetes writes back', () => {
  const cases: [string | number, string][] = [
    ['100m', '100m'],
    ['1000m', '1'],
    ['1500m', '1500m'],
    ['0.5', '500m'],
    ['1.5', '1500m'],
    ['1e3', '1e3'],
    ['1E3', '1e3'],
    ['1000', '1k'],
    ['1Gi', '1Gi'],
    ['1024Mi', '1Gi'],
    ['1.5Gi', '1536Mi'],
    ['0.5Ki', '512'],
    ['1024', '1024'],
    ['128974848', '128974848'],
    ['129e6', '129e6'],
    ['129M', '129M'],
    ['123Mi', '123Mi'],
    ['0', '0'],
    ['0Gi', '0'],
    ['-1', '-1'],
    ['1n', '1n'],
    ['0.1n', '1n'],
    [1, '1'],
    [0.25, '250m'],
    ['2k', '2k'],
    ['+3', '3'],
  ];
  for (const [input, want] of cases) assert.equal(canonicalQuantity(input), want, `canonical(${JSON.stringify(input)})`);
});

test('values for the scheduler: millicores and bytes, rounded up', () => {
  assert.equal(quantityMilliValue(parseQuantity('250m')), 250);
  assert.equal(quantityMilliValue(parseQuantity('2')), 2000);
  assert.equal(quantityMilliValue(parseQuantity('1n')), 1);
  assert.equal(quantityValue(parseQuantity('1Gi')), 1073741824);
  assert.equal(quantityValue(parseQuantity('100m')), 1);
  assert.equal(quantityValue(parseQuantity('1e3')), 1000);
  assert.equal(compareQuantities(parseQuantity('1Gi'), parseQuantity('1000Mi')), 1);
  assert.equal(compareQuantities(parseQuantity('1'), parseQuantity('1000m')), 0);
});

test('malformed quantities are refused with the regular expression message', () => {
  for (const bad of ['', 'abc', '1.2.3', '.', '1Qi', '1 Gi', 'Gi', '1Mb']) {
    assert.throws(() => parseQuantity(bad), QuantityParseError, bad);
  }
  assert.throws(() => parseQuantity('abc'), { message: QUANTITY_FORMAT_ERROR });
  assert.equal(tryParseQuantity({}), undefined);
  assert.equal(tryParseQuantity('x'), undefined);
});
