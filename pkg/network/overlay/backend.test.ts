import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NetworkError } from '../errors.ts';
import { parseFlannelBackend, podMtu, vtepMac } from './backend.ts';
import { batchFailures } from '../iproute2.ts';
import { pickInterface, vxlanMismatch } from './link.ts';

describe('--flannel-backend', () => {
  it('takes k3s names tsk has', () => {
    for (const name of ['vxlan', 'host-gw', 'none'] as const) assert.equal(parseFlannelBackend(name), name);
  });

  it('refuses others in one line naming the flag, and says which k3s backends tsk lacks', () => {
    const refusal = (raw: string) => {
      try {
        parseFlannelBackend(raw);
      } catch (err) {
        assert.ok(err instanceof NetworkError && err.code === 'bad-flannel-backend');
        return err.message;
      }
      assert.fail(`${raw} was accepted`);
    };
    assert.equal(refusal('wireguard-native'), '--flannel-backend "wireguard-native" is a k3s backend tsk does not have (use vxlan, host-gw, none)');
    assert.equal(refusal('VXLAN'), '--flannel-backend "VXLAN" is not a backend (use vxlan, host-gw, none)');
    assert.doesNotMatch(refusal(''), /\n/);
  });

  it('gives pods the interface MTU, less the 50 bytes of VXLAN headers', () => {
    assert.equal(podMtu('vxlan', 1500), 1450);
    assert.equal(podMtu('host-gw', 1500), 1500);
    assert.equal(podMtu('none', 1500), undefined);
  });

  it('derives a stable, locally administered unicast MAC from the node name', () => {
    const mac = vtepMac('node-a');
    assert.match(mac, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    assert.equal(vtepMac('node-a'), mac);
    assert.notEqual(vtepMac('node-b'), mac);
    assert.equal(parseInt(mac.slice(0, 2), 16) & 0x03, 0x02);
  });
});

const links = [
  { ifname: 'lo', mtu: 65536, addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
  { ifname: 'eth0', mtu: 1500, addr_info: [{ family: 'inet', local: '192.168.1.5', prefixlen: 24 }, { family: 'inet', local: '10.9.0.7', prefixlen: 16 }] },
  { ifname: 'wg0', mtu: 1420, addr_info: [{ family: 'inet', local: '172.16.0.2', prefixlen: 32 }] },
  { ifname: 'bare', mtu: 1500, addr_info: [] },
];

describe('the interface other nodes reach this one through', () => {
  it('is the one holding the node IP, with its networks', () => {
    assert.deepEqual(pickInterface(links, '10.9.0.7'), { name: 'eth0', mtu: 1500, ip: '10.9.0.7', networks: ['192.168.1.0/24', '10.9.0.0/16'] });
  });

  it('is --flannel-iface when given, with the node IP if it holds it, else its first address', () => {
    assert.equal(pickInterface(links, '192.168.1.5', 'eth0').ip, '192.168.1.5');
    assert.deepEqual(pickInterface(links, '192.168.1.5', 'wg0'), { name: 'wg0', mtu: 1420, ip: '172.16.0.2', networks: ['172.16.0.2/32'] });
  });

  it('is a no-interface error naming what is missing', () => {
    const refused = (fn: () => unknown, pattern: RegExp) => assert.throws(fn, (err: unknown) => err instanceof NetworkError && err.code === 'no-interface' && pattern.test(err.message));
    refused(() => pickInterface(links, '10.0.0.1'), /no interface holds the node IP 10\.0\.0\.1/);
    refused(() => pickInterface(links, '10.9.0.7', 'eth9'), /--flannel-iface eth9: no such interface/);
    refused(() => pickInterface(links, '10.9.0.7', 'bare'), /--flannel-iface bare has no IPv4 address/);
  });
});

describe('the VXLAN device found in place', () => {
  const want = { iface: { name: 'eth0', mtu: 1500, ip: '192.168.1.5', networks: [] }, mac: '02:00:00:00:00:01', mtu: 1450, address: '10.42.1.0/32' };
  const link = (data: Record<string, unknown>, kind = 'vxlan') => ({ linkinfo: { info_kind: kind, info_data: { id: 1, port: 8472, local: '192.168.1.5', link: 'eth0', learning: false, ...data } } });

  it('is kept when it matches (MAC, MTU and address are fixed in place)', () => {
    assert.equal(vxlanMismatch(link({}), want), undefined);
  });

  it('is re-created when what only creation sets differs', () => {
    assert.equal(vxlanMismatch(link({ id: 2 }), want), 'VNI 2 instead of 1');
    assert.equal(vxlanMismatch(link({ port: 4789 }), want), 'port 4789 instead of 8472');
    assert.equal(vxlanMismatch(link({ local: '192.168.1.9' }), want), 'local address 192.168.1.9 instead of 192.168.1.5');
    assert.equal(vxlanMismatch(link({ link: 'eth1' }), want), 'on eth1 instead of eth0');
    assert.equal(vxlanMismatch(link({ learning: true }), want), 'address learning is on');
    assert.equal(vxlanMismatch(link({}, 'bridge'), want), 'it is a bridge device, not vxlan');
  });
});

describe('ip -batch failures', () => {
  it('pairs each kernel answer with its line', () => {
    const lines = ['route replace 10.42.4.0/24 via 10.9.9.9 dev eth0 proto 116', 'route replace 10.42.5.0/24 via 192.168.5.4 dev eth0 proto 116', 'route del 10.42.9.0/24 proto 116'];
    const stderr = 'Error: Nexthop has invalid gateway.\nCommand failed -:1\nRTNETLINK answers: No such process\nCommand failed -:3\n';
    assert.deepEqual(batchFailures(lines, stderr), [
      'route replace 10.42.4.0/24 via 10.9.9.9 dev eth0 proto 116: Nexthop has invalid gateway.',
      'route del 10.42.9.0/24 proto 116: RTNETLINK answers: No such process',
    ]);
  });

  it('still reports a failure it cannot pair', () => {
    assert.deepEqual(batchFailures(['x'], 'Object "x" is unknown, try "ip help".\n', 255), ['batch of 1: Object "x" is unknown, try "ip help".']);
  });
});
