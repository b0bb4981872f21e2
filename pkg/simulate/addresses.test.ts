import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fallbackPodCidr, formatIp4, parseCidr4, parseIp4, PodAddresses } from './addresses.ts';

describe('pod addresses', () => {
  test('CIDRs and addresses parse to numbers; IPv6 and nonsense do not', () => {
    assert.deepEqual(parseCidr4('10.42.3.0/24'), { base: parseIp4('10.42.3.0'), size: 256 });
    assert.deepEqual(parseCidr4('10.42.3.77/24'), { base: parseIp4('10.42.3.0'), size: 256 });
    assert.equal(formatIp4(parseIp4('255.1.2.3')!), '255.1.2.3');
    assert.equal(parseCidr4('fd00::/64'), undefined);
    assert.equal(parseCidr4('10.0.0.0/31'), undefined);
    assert.equal(parseIp4('10.0.0.256'), undefined);
  });

  test('the fallback range differs per node and per fleet', () => {
    assert.equal(fallbackPodCidr({ subnet: 200, index: 0 }), '172.16.0.0/24');
    assert.equal(fallbackPodCidr({ subnet: 200, index: 257 }), '172.17.1.0/24');
    assert.notEqual(fallbackPodCidr({ subnet: 200, index: 3 }), fallbackPodCidr({ subnet: 200, index: 4 }));
    assert.notEqual(fallbackPodCidr({ subnet: 200, index: 3 }), fallbackPodCidr({ subnet: 201, index: 3 }));
    assert.match(fallbackPodCidr({ subnet: 249, index: 4095 }), /^172\.(1[6-9]|2\d|3[01])\.\d+\.0\/24$/);
  });

  test('allocates from .2 on, the same address for the same pod, and reuses released ones', () => {
    const a = new PodAddresses();
    assert.equal(a.allocate('n', '10.42.1.0/24', 'ns/p1'), '10.42.1.2');
    assert.equal(a.allocate('n', '10.42.1.0/24', 'ns/p2'), '10.42.1.3');
    assert.equal(a.allocate('n', '10.42.1.0/24', 'ns/p1'), '10.42.1.2');
    assert.equal(a.allocate('m', '10.42.2.0/24', 'ns/p3'), '10.42.2.2');
    a.release('n', 'ns/p1');
    assert.equal(a.allocate('n', '10.42.1.0/24', 'ns/p4'), '10.42.1.4');
  });

  test('a full range answers undefined; released addresses come back around', () => {
    const a = new PodAddresses();
    // A /30 has one usable address after network, gateway and broadcast.
    assert.equal(a.allocate('n', '10.0.0.0/30', 'p1'), '10.0.0.2');
    assert.equal(a.allocate('n', '10.0.0.0/30', 'p2'), undefined);
    a.release('n', 'p1');
    assert.equal(a.allocate('n', '10.0.0.0/30', 'p2'), '10.0.0.2');
  });

  test('claimed addresses (pods running before a restart) are not handed out again', () => {
    const a = new PodAddresses();
    a.claim('n', '10.42.1.0/24', 'old', '10.42.1.2');
    a.claim('n', '10.42.1.0/24', 'outside', '10.9.9.9');
    assert.equal(a.allocate('n', '10.42.1.0/24', 'new'), '10.42.1.3');
  });
});
