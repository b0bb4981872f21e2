/**
 * The overlay for real, in network namespaces: two "node" namespaces, each with a "pod"
 * attached by the CNI bridge plugin, and startNodeRoutes running for each node against a
 * shared fake Node informer. host-gw on one L2 segment; vxlan across a router that knows
 * nothing of the pod ranges. Nothing here touches the machine's own namespace.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { until } from '../../../test/lib/until.ts';
import { setLogSink } from '../../log/log.ts';
import { NetworkError } from '../errors.ts';
import { cniMissing, Netns } from '../testkit.ts';
import { startNodeRoutes, removeNodeRoutes, type NodeRoutes } from './routes.ts';
import type { FlannelBackend } from './backend.ts';
import {
  attachPod, CLUSTER_CIDR, FakeNodes, fetchText, l2Topology, nodeObject, routedTopology, routesTo, startServers, tearDown, tempDir,
  type Pod, type TestNode, type Topology,
} from './testkit.ts';

const routesOf = (ns: Netns) => ns.exec('ip', ['-4', 'route', 'show', 'proto', '116']).trim();

/** Log lines written while `fn` runs. */
async function logged(fn: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const previous = setLogSink((line) => lines.push(line));
  try {
    await fn();
  } finally {
    setLogSink(previous);
  }
  return lines;
}

describe('cross-node pod network in namespaces', { skip: cniMissing }, () => {
  const servers: ChildProcess[] = [];
  const namespaces: Netns[] = [];
  const running: NodeRoutes[] = [];
  let tmp: string;

  before(() => {
    tmp = tempDir();
  });

  after(() => {
    for (const routes of running) routes.stop();
    tearDown(servers, namespaces);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  function start(cluster: FakeNodes, topology: Topology, index: 0 | 1, backend: FlannelBackend, resyncMs?: number): NodeRoutes {
    const node = topology.nodes[index];
    const routes = startNodeRoutes({
      nodes: cluster.source, patchOwnNode: cluster.patcher(node.name), nodeName: node.name, nodeIp: node.ip,
      backend, clusterCidr: CLUSTER_CIDR, netns: node.ns.name, resyncMs,
    });
    running.push(routes);
    return routes;
  }

  /** Both nodes registered with their podCIDRs and their overlay running, one pod each, servers in pod B. */
  async function bringUp(topology: Topology, backend: FlannelBackend, name: string) {
    namespaces.push(...topology.namespaces);
    const cluster = new FakeNodes();
    for (const node of topology.nodes) cluster.set(nodeObject(node.name, node.ip, [node.podCidr]));
    const routes = [start(cluster, topology, 0, backend), start(cluster, topology, 1, backend)];
    await Promise.all(routes.map((r) => r.ready));
    // Each node's routes to the other come once the other has published its endpoint.
    await Promise.all(topology.nodes.map((node, i) => routesTo(node, [topology.nodes[1 - i]!.podCidr])));
    const pods = topology.nodes.map((node, i) => attachPod(node, routes[i]!.mtu(), namespaces, path.join(tmp, name))) as [Pod, Pod];
    servers.push(await startServers(pods[1].ns, pods[1].ip, pods[0].ns));
    return { cluster, routes, pods };
  }

  it('refuses at start a node IP that no interface holds, or a --flannel-iface that does not exist', async () => {
    const ns = Netns.create('tsk-ovl-bare');
    namespaces.push(ns);
    const cluster = new FakeNodes();
    cluster.set(nodeObject('n1', '192.0.2.1', ['10.42.1.0/24']));
    const common = { nodes: cluster.source, patchOwnNode: cluster.patcher('n1'), nodeName: 'n1', nodeIp: '192.0.2.1', backend: 'vxlan' as const, clusterCidr: CLUSTER_CIDR, netns: ns.name };
    const refused = (pattern: RegExp) => (err: unknown) => err instanceof NetworkError && err.code === 'no-interface' && pattern.test(err.message);
    await assert.rejects(startNodeRoutes(common).ready, refused(/^no interface holds the node IP 192\.0\.2\.1/));
    await assert.rejects(startNodeRoutes({ ...common, iface: 'eth7' }).ready, refused(/^--flannel-iface eth7: no such interface/));
    assert.doesNotMatch(ns.exec('ip', ['link']), /tsk\.1/);
  });

  describe('host-gw, nodes on one L2 segment', () => {
    let topology: Topology;
    let n1: TestNode;
    let n2: TestNode;
    let up: Awaited<ReturnType<typeof bringUp>>;

    before(async () => {
      topology = l2Topology();
      [n1, n2] = topology.nodes;
      up = await bringUp(topology, 'host-gw', 'host-gw');
    });

    it('publishes each node backend and address on its Node, and the interface MTU for pods', () => {
      assert.deepEqual(up.cluster.get('n1')!.metadata.annotations, { 'tsk.io/backend': 'host-gw', 'tsk.io/public-ip': '192.168.77.1' });
      assert.equal(up.routes[0]!.mtu(), 1500);
    });

    it('routes each node to the other podCIDR through the other node address, marked as ours', () => {
      assert.equal(routesOf(n1.ns), '10.42.2.0/24 via 192.168.77.2 dev eth0');
      assert.equal(routesOf(n2.ns), '10.42.1.0/24 via 192.168.77.1 dev eth0');
      assert.doesNotMatch(n1.ns.exec('ip', ['link']), /tsk\.1/);
    });

    it('lets pod A reach pod B, and B sees A own address (no SNAT)', async () => {
      const [a, b] = up.pods;
      assert.match(a.ns.exec('busybox', ['ping', '-c', '1', '-W', '5', b.ip]), /1 packets received/);
      assert.equal(await fetchText(a.ns, `http://${b.ip}:8080/`), a.ip);
    });

    it('a restarted agent finds everything in place and changes nothing; later it repairs what was removed', async () => {
      up.routes[0]!.stop();
      let restarted!: NodeRoutes;
      const lines = await logged(async () => {
        restarted = start(up.cluster, topology, 0, 'host-gw', 300);
        await restarted.ready;
      });
      assert.deepEqual(lines.filter((l) => /change\(s\) made|published|created|re-created/.test(l)), []);
      assert.ok(lines.some((l) => /node routes \(host-gw\) in place/.test(l)), lines.join(''));
      n1.ns.exec('ip', ['route', 'del', '10.42.2.0/24']);
      await until('the route repaired', async () => (routesOf(n1.ns) === '10.42.2.0/24 via 192.168.77.2 dev eth0' ? true : undefined));
      up.routes[0] = restarted;
    });

    it('drops the route of a node removed from the source, and only ours', async () => {
      n1.ns.exec('ip', ['route', 'add', '10.99.0.0/16', 'via', '192.168.77.2']);
      up.cluster.remove('n2');
      await until('route to n2 pods gone', async () => (routesOf(n1.ns) === '' ? true : undefined));
      assert.match(n1.ns.exec('ip', ['route']), /10\.99\.0\.0\/16 via 192\.168\.77\.2/);
      await assert.rejects(fetchText(up.pods[0].ns, `http://${up.pods[1].ip}:8080/`, 3000));
    });
  });

  describe('vxlan, nodes on two subnets behind a router', () => {
    let topology: Topology;
    let n1: TestNode;
    let n2: TestNode;
    let router: NonNullable<Topology['router']>;
    let up: Awaited<ReturnType<typeof bringUp>>;

    before(async () => {
      topology = routedTopology();
      [n1, n2] = topology.nodes;
      router = topology.router!;
      up = await bringUp(topology, 'vxlan', 'vxlan');
      servers.push(await startServers(router.ns, router.ips[1], n1.ns));
    });

    it('creates tsk.1 as flannel does: VNI 1, port 8472, no learning, from the node address, the podCIDR network /32', () => {
      const [link] = JSON.parse(n1.ns.exec('ip', ['-j', '-d', 'addr', 'show', 'dev', 'tsk.1'])) as Record<string, any>[];
      const data = link!.linkinfo.info_data;
      assert.deepEqual([data.id, data.port, data.learning, data.local, data.link], [1, 8472, false, '172.31.1.2', 'eth0']);
      assert.equal(link!.mtu, 1450);
      assert.deepEqual(link!.addr_info.filter((a: any) => a.family === 'inet').map((a: any) => `${a.local}/${a.prefixlen}`), ['10.42.1.0/32']);
      assert.equal(up.routes[0]!.mtu(), 1450);
      const annotations = up.cluster.get('n1')!.metadata.annotations!;
      assert.equal(annotations['tsk.io/vxlan-mac'], link!.address);
      assert.equal(annotations['tsk.io/public-ip'], '172.31.1.2');
    });

    it('holds per peer a route via its VTEP, a permanent neighbour and a forwarding entry to its node', () => {
      const mac2 = up.cluster.get('n2')!.metadata.annotations!['tsk.io/vxlan-mac'];
      assert.equal(routesOf(n1.ns), '10.42.2.0/24 via 10.42.2.0 dev tsk.1 onlink');
      assert.equal(n1.ns.exec('ip', ['neigh', 'show', 'dev', 'tsk.1']).trim(), `10.42.2.0 lladdr ${mac2} PERMANENT`);
      assert.equal(n1.ns.exec('bridge', ['fdb', 'show', 'dev', 'tsk.1']).trim(), `${mac2} dst 172.31.2.2 self permanent`);
    });

    it('lets pod A reach pod B through the tunnel only (the router has no pod routes), and B sees A own address', async () => {
      const [a, b] = up.pods;
      assert.match(router.ns.exec('ip', ['route']), /^(?!.*10\.42\.)/s);
      assert.match(a.ns.exec('busybox', ['ping', '-c', '1', '-W', '5', b.ip]), /1 packets received/);
      assert.equal(await fetchText(a.ns, `http://${b.ip}:8080/`), a.ip);
      // A full-size TCP segment fits: the pods' MTU leaves room for the VXLAN headers.
      assert.match(a.ns.exec('busybox', ['ping', '-c', '1', '-W', '5', '-s', String(1450 - 28), b.ip]), /1 packets received/);
    });

    it('masquerades pod traffic leaving the cluster CIDR to the node address', async () => {
      assert.equal(await fetchText(up.pods[0].ns, `http://${router.ips[1]}:8080/`), n1.ip);
      const nat = n1.ns.exec('iptables-save', ['-t', 'nat']);
      assert.match(nat, /-A POSTROUTING .*-j TSK-MASQ/);
      assert.match(nat, /-A TSK-MASQ -s 10\.42\.0\.0\/16 ! -d 224\.0\.0\.0\/4 .*-j MASQUERADE --random-fully/);
      assert.match(n1.ns.exec('iptables-save', ['-t', 'filter']), /-A FORWARD .*-j TSK-MASQ-FORWARD/);
    });

    it('still forwards pods when the node FORWARD policy is DROP', async () => {
      n1.ns.exec('iptables', ['-P', 'FORWARD', 'DROP']);
      n2.ns.exec('iptables', ['-P', 'FORWARD', 'DROP']);
      assert.equal(await fetchText(up.pods[0].ns, `http://${up.pods[1].ip}:8080/`), up.pods[0].ip);
    });

    it('drops the route, neighbour and forwarding entry of a node removed from the source', async () => {
      up.cluster.remove('n2');
      await until('n2 gone from n1', async () => (routesOf(n1.ns) === '' ? true : undefined));
      assert.equal(n1.ns.exec('ip', ['neigh', 'show', 'dev', 'tsk.1', 'nud', 'permanent']).trim(), '');
      assert.equal(n1.ns.exec('bridge', ['fdb', 'show', 'dev', 'tsk.1']).trim(), '');
    });

    it('switched to host-gw with the other node off-link, removes tsk.1 and warns instead of routing', async () => {
      up.routes[0]!.stop();
      up.routes[1]!.stop();
      up.cluster.set(nodeObject('n2', n2.ip, [n2.podCidr], { 'tsk.io/backend': 'host-gw' }));
      const lines = await logged(async () => {
        await start(up.cluster, topology, 0, 'host-gw').ready;
      });
      assert.doesNotMatch(n1.ns.exec('ip', ['link']), /tsk\.1/);
      assert.equal(routesOf(n1.ns), '');
      const warning = lines.find((l) => /host-gw needs/.test(l));
      assert.match(warning ?? lines.join(''), /WARN .*node n2: 172\.31\.2\.2 is not on a network of eth0 \(172\.31\.1\.0\/24\): host-gw needs all nodes on one L2 segment/);
      assert.equal(up.cluster.get('n1')!.metadata.annotations!['tsk.io/vxlan-mac'], undefined);
    });

    it('uninstall removes the device, our routes and the masquerade chains', async () => {
      for (const routes of running) routes.stop();
      const n2Routes = routesOf(n2.ns);
      assert.notEqual(n2Routes, '', 'n2 still had its route to n1 pods');
      await removeNodeRoutes({ netns: n2.ns.name });
      assert.equal(routesOf(n2.ns), '');
      assert.doesNotMatch(n2.ns.exec('ip', ['link']), /tsk\.1/);
      assert.doesNotMatch(n2.ns.exec('iptables-save', []), /TSK-/);
      await removeNodeRoutes({ netns: n2.ns.name });
    });

    it('backend none removes what an earlier backend of ours left, and nothing else', async () => {
      n1.ns.exec('ip', ['route', 'add', '10.42.7.0/24', 'via', '172.31.1.1', 'proto', '116']);
      n1.ns.exec('ip', ['route', 'add', '10.42.8.0/24', 'via', '172.31.1.1']);
      assert.match(n1.ns.exec('iptables-save', []), /TSK-MASQ/);
      const none = start(up.cluster, topology, 0, 'none');
      await none.ready;
      assert.equal(none.mtu(), undefined);
      assert.equal(routesOf(n1.ns), '');
      assert.match(n1.ns.exec('ip', ['route']), /10\.42\.8\.0\/24 via 172\.31\.1\.1/);
      assert.doesNotMatch(n1.ns.exec('iptables-save', []), /TSK-/);
    });
  });
});
