import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cidrContains, cidrsOverlap } from '../network/cidr.ts';
import {
  checkNodeLabel, checkNodeTaint, checkSan, parseBool, parseCidr, parseDuration, parseFileMode, parsePort, parseUrl, splitList, ValueError,
} from './values.ts';

describe('flag value parsers', () => {
  it('reads booleans as Go and Kubernetes do', () => {
    for (const t of ['1', 't', 'true', 'True', 'TRUE']) assert.equal(parseBool(t), true);
    for (const f of ['0', 'f', 'false', 'False', 'FALSE']) assert.equal(parseBool(f), false);
    assert.throws(() => parseBool('yes'), ValueError);
  });

  it('takes ports 1 to 65535 only', () => {
    assert.equal(parsePort('1'), 1);
    assert.equal(parsePort('65535'), 65535);
    for (const bad of ['0', '65536', '-1', '80.5', 'http', '']) assert.throws(() => parsePort(bad), ValueError, bad);
  });

  it('takes Go durations, in milliseconds', () => {
    assert.equal(parseDuration('40s'), 40_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('0'), 0);
    for (const bad of ['40', 's', '5 m', '5d', '-5s', '']) assert.throws(() => parseDuration(bad), ValueError, bad);
  });

  it('takes octal file modes', () => {
    assert.equal(parseFileMode('0644'), 0o644);
    assert.equal(parseFileMode('600'), 0o600);
    assert.equal(parseFileMode('0o640'), 0o640);
    for (const bad of ['0888', '64', 'rw-r--r--', '']) assert.throws(() => parseFileMode(bad), ValueError, bad);
  });

  it('takes CIDRs of either family', () => {
    assert.equal(parseCidr('10.42.0.0/16'), '10.42.0.0/16');
    assert.equal(parseCidr('fd00:42::/56'), 'fd00:42::/56');
    for (const bad of ['10.42.0.0', '10.42.0.0/33', 'fd00::/129', 'x/8']) assert.throws(() => parseCidr(bad), ValueError, bad);
  });

  it('takes http and https URLs with a host', () => {
    assert.equal(parseUrl('https://10.0.0.1:6443'), 'https://10.0.0.1:6443');
    for (const bad of ['10.0.0.1:6443', 'ftp://x', 'https://', 'not a url']) assert.throws(() => parseUrl(bad), ValueError, bad);
  });

  it('checks labels, taints and certificate names', () => {
    checkNodeLabel('topology.kubernetes.io/zone=a');
    checkNodeLabel('empty=');
    assert.throws(() => checkNodeLabel('novalue'), ValueError);
    assert.throws(() => checkNodeLabel('a=b c'), ValueError);
    checkNodeTaint('dedicated=gpu:NoSchedule');
    checkNodeTaint('maintenance:NoExecute');
    assert.throws(() => checkNodeTaint('dedicated=gpu'), ValueError);
    assert.throws(() => checkNodeTaint('dedicated=gpu:Sometimes'), ValueError);
    checkSan('10.0.0.1');
    checkSan('*.example.com');
    checkSan('My-Host.example.com');
    assert.throws(() => checkSan('bad_name!'), ValueError);
  });

  it('splits comma lists and drops empty items', () => {
    assert.deepEqual(splitList(['a,b', ' c ', '', 'd,,']), ['a', 'b', 'c', 'd']);
  });

  it('does CIDR arithmetic for the combination checks', () => {
    assert.ok(cidrContains('10.43.0.0/16', '10.43.0.10'));
    assert.ok(!cidrContains('10.43.0.0/16', '10.44.0.10'));
    assert.ok(!cidrContains('10.43.0.0/16', 'fd00::1'));
    assert.ok(cidrContains('fd00:43::/112', 'fd00:43::a'));
    assert.ok(cidrContains('::ffff:0:0/96', '::ffff:10.0.0.1'));
    assert.ok(cidrsOverlap('10.0.0.0/8', '10.43.0.0/16'));
    assert.ok(!cidrsOverlap('10.42.0.0/16', '10.43.0.0/16'));
  });
});
