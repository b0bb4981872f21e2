import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inRange, keyFromBytes, keyToBytes, prefixEnd, RANGE_END_ALL } from './keys.ts';

describe('keys', () => {
  it('computes etcd prefix range ends', () => {
    assert.equal(prefixEnd('/registry/pods/'), '/registry/pods0');
    assert.equal(prefixEnd('a\xff'), 'b');
    assert.equal(prefixEnd('\xff\xff'), RANGE_END_ALL);
    assert.equal(prefixEnd(''), RANGE_END_ALL);
  });

  it('round-trips arbitrary bytes', () => {
    const bytes = Buffer.from([0, 1, 0x7f, 0x80, 0xfe, 0xff]);
    assert.deepEqual(keyToBytes(keyFromBytes(bytes)), bytes);
  });

  it('orders keys as bytes, like etcd', () => {
    const keys = [Buffer.from([0x80]), Buffer.from('z'), Buffer.from([0xff, 0x00]), Buffer.from('a')];
    const byString = keys.map(keyFromBytes).sort();
    const byBytes = [...keys].sort(Buffer.compare).map(keyFromBytes);
    assert.deepEqual(byString, byBytes);
  });

  it('tests range membership for single keys, bounded and open ranges', () => {
    assert.equal(inRange('a', 'a', undefined), true);
    assert.equal(inRange('ab', 'a', ''), false);
    assert.equal(inRange('ab', 'a', 'b'), true);
    assert.equal(inRange('b', 'a', 'b'), false);
    assert.equal(inRange('zzz', 'a', RANGE_END_ALL), true);
  });
});
