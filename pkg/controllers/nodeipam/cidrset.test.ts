import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CidrSet, formatCidr, parseCidr } from './cidrset.ts';

test('a /16 gives 256 distinct /24s, in order, then runs out', () => {
  const set = new CidrSet('10.42.0.0/16');
  assert.equal(set.size, 256);
  const got = Array.from({ length: 256 }, () => set.allocateNext());
  assert.equal(got[0], '10.42.0.0/24');
  assert.equal(got[1], '10.42.1.0/24');
  assert.equal(got[255], '10.42.255.0/24');
  assert.equal(new Set(got).size, 256);
  assert.equal(set.allocateNext(), undefined);
  assert.equal(set.free, 0);
});

test('occupied ranges are skipped; a released range comes back only after the others', () => {
  const set = new CidrSet('10.42.0.0/22');
  set.occupy('10.42.0.0/24');
  set.occupy('10.42.2.0/24');
  assert.equal(set.allocateNext(), '10.42.1.0/24');
  assert.equal(set.allocateNext(), '10.42.3.0/24');
  assert.equal(set.allocateNext(), undefined);
  set.release('10.42.1.0/24');
  assert.equal(set.free, 1);
  assert.equal(set.allocateNext(), '10.42.1.0/24');
});

test('occupying a wider range takes every subnet inside it; outside ranges are refused', () => {
  const set = new CidrSet('10.0.0.0/16');
  set.occupy('10.0.4.0/22');
  assert.equal(set.free, 252);
  assert.throws(() => set.occupy('10.1.0.0/24'), /not inside the cluster CIDR/);
  assert.equal(set.overlaps('10.0.0.0/8'), true);
  assert.equal(set.overlaps('10.43.0.0/16'), false);
});

test('IPv6 ranges use /64 per node', () => {
  const set = new CidrSet('fd00:42::/56');
  assert.equal(set.size, 256);
  assert.equal(set.allocateNext(), 'fd00:42::/64');
  assert.equal(set.allocateNext(), 'fd00:42:0:1::/64');
});

test('CIDRs are parsed to their network and printed back', () => {
  assert.equal(formatCidr(parseCidr('10.42.7.9/16')), '10.42.0.0/16');
  assert.equal(formatCidr(parseCidr('2001:db8:0:0:1::/80')), '2001:db8:0:0:1::/80');
  assert.throws(() => parseCidr('10.42.0.0'), /no prefix/);
  assert.throws(() => parseCidr('10.42.0.300/16'), /invalid CIDR/);
  assert.throws(() => new CidrSet('10.42.0.0/25'), /does not fit/);
  assert.throws(() => new CidrSet('10.0.0.0/4'), /more than 2\^16/);
});
