import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalCidr, cidrRange, formatAddress, gatewayOf, isCidr, networkAddress, parseCidr } from './cidr.ts';

test('the gateway is the first address of the range', () => {
  assert.equal(gatewayOf('10.42.3.0/24'), '10.42.3.1');
  assert.equal(gatewayOf('10.42.3.77/24'), '10.42.3.1', 'host bits are ignored');
  assert.equal(gatewayOf('10.42.0.0/16'), '10.42.0.1');
  assert.equal(gatewayOf('fd00:42:0:3::/64'), 'fd00:42:0:3::1');
  assert.equal(gatewayOf('fd00::/64'), 'fd00::1');
});

test('ranges without room for a gateway and a pod have none', () => {
  assert.equal(gatewayOf('10.42.3.0/31'), undefined);
  assert.equal(gatewayOf('10.42.3.0'), undefined);
  assert.equal(gatewayOf('nonsense/24'), undefined);
});

test('one parser: prefixes, families, host bits, and what is not a CIDR', () => {
  assert.deepEqual(parseCidr('10.42.3.77/24'), { family: 4, bits: 24, first: 0x0a2a0300n, last: 0x0a2a03ffn });
  assert.equal(parseCidr('fd00::/64')?.family, 6);
  for (const bad of ['10.42.3.0', '10.42.3.0/33', '10.42.3.0/24/1', 'fd00::/129', 'nonsense/24', '10.42.3.0/', '10.42.3.0/x']) {
    assert.equal(parseCidr(bad), undefined, bad);
    assert.equal(isCidr(bad), false, bad);
  }
  assert.throws(() => cidrRange('10.42.3.0'), /not a CIDR/);
});

test('network addresses are written as the kernel prints them', () => {
  assert.equal(networkAddress('10.42.2.77/23'), '10.42.2.0');
  assert.equal(canonicalCidr('10.42.2.77/23'), '10.42.2.0/23');
  assert.equal(canonicalCidr('fd00:42:0:3::9/64'), 'fd00:42:0:3::/64');
  assert.equal(formatAddress(1n, 6), '::1');
});
