import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFdb, parseNeighbours, parseRoutes, planFdb, planNeighbours, planRoutes } from './diff.ts';
import { networkAddress } from '../cidr.ts';
import { desiredState, peerOf, type Self } from './peers.ts';
import { nodeObject as node } from './testkit.ts';

const vx = (mac: string, extra: Record<string, string> = {}) => ({ 'tsk.io/backend': 'vxlan', 'tsk.io/vxlan-mac': mac, ...extra });
const gw = { 'tsk.io/backend': 'host-gw' };

const hostGw: Self = { name: 'a', backend: 'host-gw', iface: 'eth0', ifaceNetworks: ['192.168.1.0/24'], ip: '192.168.1.1', podCidrs: ['10.42.1.0/24'] };
const vxlan: Self = { ...hostGw, backend: 'vxlan', ifaceNetworks: ['192.168.1.0/24'] };

describe('peers from Nodes', () => {
  it('reads IPv4 podCIDRs (dual-stack lists both), the published IP over the InternalIP, and the MAC', () => {
    const peer = peerOf(node('b', '192.168.1.2', ['10.42.2.0/24', 'fd00:42:2::/64'], vx('02:AA:BB:CC:DD:EE', { 'tsk.io/public-ip': '172.16.0.2' })));
    assert.deepEqual(peer, { name: 'b', podCidrs: ['10.42.2.0/24'], ip: '172.16.0.2', backend: 'vxlan', vtepMac: '02:aa:bb:cc:dd:ee' });
    assert.deepEqual(peerOf({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'old' }, spec: { podCIDR: '10.42.9.0/24' } }).podCidrs, ['10.42.9.0/24']);
    assert.equal(peerOf(node('c', '192.168.1.3', [], vx('nonsense'))).vtepMac, undefined);
  });

  it('uses the network address of a range as its tunnel endpoint', () => {
    assert.equal(networkAddress('10.42.2.0/24'), '10.42.2.0');
    assert.equal(networkAddress('10.42.2.77/23'), '10.42.2.0');
  });
});

describe('desired state', () => {
  it('host-gw: a route per other node podCIDR through its address on the interface', () => {
    const desired = desiredState(hostGw, [
      node('a', '192.168.1.1', ['10.42.1.0/24'], gw),
      node('b', '192.168.1.2', ['10.42.2.0/24'], gw),
      node('c', '192.168.1.3', ['10.42.3.0/24'], gw),
    ]);
    assert.deepEqual(desired.routes, [
      { dst: '10.42.2.0/24', gateway: '192.168.1.2', dev: 'eth0', onlink: false },
      { dst: '10.42.3.0/24', gateway: '192.168.1.3', dev: 'eth0', onlink: false },
    ]);
    assert.deepEqual([desired.neighbours, desired.fdb, [...desired.warnings]], [[], [], []]);
  });

  it('host-gw: a node off the interface networks gets a one-line warning instead of a broken route', () => {
    const desired = desiredState(hostGw, [node('far', '10.8.0.2', ['10.42.4.0/24'], gw)]);
    assert.deepEqual(desired.routes, []);
    const warning = desired.warnings.get('far')!;
    assert.match(warning, /^node far: 10\.8\.0\.2 is not on a network of eth0 \(192\.168\.1\.0\/24\): host-gw needs all nodes on one L2 segment; use --flannel-backend vxlan$/);
  });

  it('vxlan: route via the peer VTEP onlink, its permanent neighbour, and its forwarding entry to the node address', () => {
    const desired = desiredState(vxlan, [node('b', '10.8.0.2', ['10.42.2.0/24'], vx('02:00:00:00:00:0b'))]);
    assert.deepEqual(desired.routes, [{ dst: '10.42.2.0/24', gateway: '10.42.2.0', dev: 'tsk.1', onlink: true }]);
    assert.deepEqual(desired.neighbours, [{ ip: '10.42.2.0', mac: '02:00:00:00:00:0b' }]);
    assert.deepEqual(desired.fdb, [{ mac: '02:00:00:00:00:0b', dst: '10.8.0.2' }]);
  });

  it('skips quietly nodes that announce nothing (not set up yet, simulated), and warns about broken announcements', () => {
    const desired = desiredState(vxlan, [
      node('new', '192.168.1.4', ['10.42.4.0/24']),
      node('nocidr', '192.168.1.5', [], vx('02:00:00:00:00:05')),
      node('gw', '192.168.1.6', ['10.42.6.0/24'], gw),
      node('nomac', '192.168.1.7', ['10.42.7.0/24'], { 'tsk.io/backend': 'vxlan' }),
      node('noip', undefined, ['10.42.8.0/24'], vx('02:00:00:00:00:08')),
      node('twin', '192.168.1.1', ['10.42.9.0/24'], vx('02:00:00:00:00:09')),
      node('clash', '192.168.1.10', ['10.42.1.0/24'], vx('02:00:00:00:00:10')),
    ]);
    assert.deepEqual(desired.routes, []);
    assert.deepEqual([...desired.warnings.keys()], ['gw', 'nomac', 'noip', 'twin', 'clash']);
    assert.match(desired.warnings.get('gw')!, /runs --flannel-backend host-gw, this node vxlan/);
    assert.match(desired.warnings.get('clash')!, /has this node's podCIDR 10\.42\.1\.0\/24/);
  });
});

describe('differences against the kernel', () => {
  // As `ip -j -4 route show proto 116`, `ip -j neigh show dev tsk.1`, `bridge -j fdb show dev tsk.1` print them.
  const routesJson = [
    { dst: '10.42.2.0/24', gateway: '10.42.2.0', dev: 'tsk.1', flags: ['onlink'] },
    { dst: '10.42.3.0/24', gateway: '192.168.1.3', dev: 'eth0', flags: [] },
    { dst: '10.42.9.0/24', gateway: '192.168.1.9', dev: 'eth0', flags: [] },
  ];
  const neighJson = [
    { dst: '10.42.2.0', lladdr: '02:00:00:00:00:0B', state: ['PERMANENT'] },
    { dst: '10.42.7.0', lladdr: '02:00:00:00:00:07', state: ['PERMANENT'] },
    { dst: '10.42.8.0', state: ['FAILED'] },
  ];
  const fdbJson = [
    { mac: '02:00:00:00:00:0b', dst: '10.8.0.2', flags: ['self'], state: 'permanent' },
    { mac: '02:00:00:00:00:0b', dst: '10.8.0.99', flags: ['self'], state: 'permanent' },
    { mac: '02:00:00:00:00:07', dst: '10.8.0.7', flags: ['self'], state: 'permanent' },
    { mac: '33:33:00:00:00:01', flags: ['self'], state: 'permanent' },
  ];

  it('reads what ip and bridge print', () => {
    assert.deepEqual(parseRoutes(routesJson)[0], { dst: '10.42.2.0/24', gateway: '10.42.2.0', dev: 'tsk.1', onlink: true });
    assert.deepEqual(parseRoutes([{ dst: '10.42.5.7', gateway: '192.168.1.2', dev: 'eth0' }, { dst: 'default', dev: 'eth0' }]), [{ dst: '10.42.5.7/32', gateway: '192.168.1.2', dev: 'eth0', onlink: false }]);
    assert.deepEqual(parseNeighbours(neighJson), [{ ip: '10.42.2.0', mac: '02:00:00:00:00:0b' }, { ip: '10.42.7.0', mac: '02:00:00:00:00:07' }]);
    assert.equal(parseFdb(fdbJson).length, 3);
    assert.deepEqual(parseRoutes(''), []);
  });

  it('changes nothing when the kernel already holds the desired state (an agent restart)', () => {
    const desired = desiredState(vxlan, [node('b', '10.8.0.2', ['10.42.2.0/24'], vx('02:00:00:00:00:0b'))]);
    assert.deepEqual(planRoutes(parseRoutes(routesJson.slice(0, 1)), desired.routes), []);
    assert.deepEqual(planNeighbours(parseNeighbours(neighJson.slice(0, 1)), desired.neighbours), []);
    assert.deepEqual(planFdb(parseFdb(fdbJson.slice(0, 1)), desired.fdb), []);
  });

  it('removes the entries of nodes that left and fixes changed ones, deletions first', () => {
    const desired = desiredState(vxlan, [
      node('b', '10.8.0.2', ['10.42.2.0/24'], vx('02:00:00:00:00:0b')),
      node('c', '10.8.0.3', ['10.42.3.0/24'], vx('02:00:00:00:00:0c')),
    ]);
    assert.deepEqual(planRoutes(parseRoutes(routesJson), desired.routes), [
      'route del 10.42.9.0/24 via 192.168.1.9 dev eth0 proto 116',
      'route replace 10.42.3.0/24 via 10.42.3.0 dev tsk.1 onlink proto 116',
    ]);
    assert.deepEqual(planNeighbours(parseNeighbours(neighJson), desired.neighbours), [
      'neigh del 10.42.7.0 dev tsk.1',
      'neigh replace 10.42.3.0 lladdr 02:00:00:00:00:0c dev tsk.1 nud permanent',
    ]);
    assert.deepEqual(planFdb(parseFdb(fdbJson), desired.fdb), [
      'fdb del 02:00:00:00:00:0b dev tsk.1 dst 10.8.0.99 self',
      'fdb del 02:00:00:00:00:07 dev tsk.1 dst 10.8.0.7 self',
      'fdb replace 02:00:00:00:00:0c dev tsk.1 dst 10.8.0.3 self permanent',
    ]);
  });

  it('moves a node to a new address with one replace per table', () => {
    const desired = desiredState(vxlan, [node('b', '10.8.0.20', ['10.42.2.0/24'], vx('02:00:00:00:00:0b'))]);
    assert.deepEqual(planFdb([{ mac: '02:00:00:00:00:0b', dst: '10.8.0.2' }], desired.fdb), [
      'fdb del 02:00:00:00:00:0b dev tsk.1 dst 10.8.0.2 self',
      'fdb replace 02:00:00:00:00:0b dev tsk.1 dst 10.8.0.20 self permanent',
    ]);
    const moved = desiredState(hostGw, [node('b', '192.168.1.22', ['10.42.2.0/24'], gw)]);
    assert.deepEqual(planRoutes([{ dst: '10.42.2.0/24', gateway: '192.168.1.2', dev: 'eth0', onlink: false }], moved.routes), [
      'route replace 10.42.2.0/24 via 192.168.1.22 dev eth0 proto 116',
    ]);
  });
});
