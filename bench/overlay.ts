/**
 * Cross-node pod network figures (issue 6): `node --import tsx bench/overlay.ts` as root.
 * Builds "nodes" and "pods" out of network namespaces (pkg/network/overlay/testkit.ts), runs
 * the overlay for each node in this process, and measures from a pod on node 1 to a pod on
 * node 2:
 *   ping RTT         busybox ping -A (next echo as soon as the reply is in), BENCH_PINGS (2,000)
 *   TCP round trips  1-byte request/response on one connection, BENCH_ROUND_TRIPS (20,000)
 *   TCP stream       BENCH_STREAM_MIB (512) MiB through one connection
 * for: two pods on one node (the bridge alone), host-gw and vxlan with the nodes on one L2
 * segment (a veth pair), and vxlan with the nodes on two subnets behind a router namespace.
 * Veth pairs inside one machine: the figures compare the paths' processing costs, not NICs.
 * Then the cost of programming: one node with BENCH_PEERS (200) other vxlan nodes, time to the
 * first full sync (device, masquerade, every peer's route, neighbour and fdb entry), and from
 * one more Node appearing in the informer to its route being in the kernel.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setLogLevel } from '../pkg/log/log.ts';
import { startNodeRoutes, type NodeRoutes } from '../pkg/network/overlay/routes.ts';
import type { FlannelBackend } from '../pkg/network/overlay/backend.ts';
import {
  attachPod, CLUSTER_CIDR, FakeNodes, l2Topology, nodeObject, routedTopology, routesTo, startServers, tearDown, tempDir,
  type Pod, type Topology,
} from '../pkg/network/overlay/testkit.ts';
import { cniMissing, type Netns } from '../pkg/network/testkit.ts';
import { fmt, printTable } from './lib/stats.ts';

const PINGS = Number(process.env.BENCH_PINGS ?? 2_000);
const ROUND_TRIPS = Number(process.env.BENCH_ROUND_TRIPS ?? 20_000);
const STREAM_MIB = Number(process.env.BENCH_STREAM_MIB ?? 512);
const PEERS = Number(process.env.BENCH_PEERS ?? 200);

/** Runs in the client pod: round trips on port 7000, then a stream to 7001; prints JSON. */
const CLIENT = `
const net = require('node:net');
const [host, trips, mib] = process.argv.slice(1);
const connect = (port) => new Promise((resolve, reject) => { const c = net.connect(port, host, () => resolve(c)); c.on('error', reject); });
(async () => {
  const rr = await connect(7000);
  rr.setNoDelay(true);
  const lat = [];
  let left = Number(trips), sent = 0n;
  const t0 = process.hrtime.bigint();
  await new Promise((resolve) => {
    rr.on('data', () => { lat.push(Number(process.hrtime.bigint() - sent) / 1e3); if (--left === 0) return resolve(); sent = process.hrtime.bigint(); rr.write('x'); });
    sent = process.hrtime.bigint(); rr.write('x');
  });
  const rrSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  rr.destroy();
  lat.sort((a, b) => a - b);
  const s = await connect(7001);
  const chunk = Buffer.alloc(1 << 20, 7);
  const t1 = process.hrtime.bigint();
  let reply = '';
  s.on('data', (d) => { reply += d; });
  for (let i = 0; i < Number(mib); i++) if (!s.write(chunk)) await new Promise((r) => s.once('drain', r));
  s.end();
  await new Promise((r) => s.on('close', r));
  const streamSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
  if (Number(reply) !== Number(mib) * (1 << 20)) throw new Error('stream lost bytes: ' + reply);
  process.stdout.write(JSON.stringify({ rate: Number(trips) / rrSeconds, p50: lat[Math.floor(lat.length / 2)], p99: lat[Math.floor(lat.length * 0.99)], mibps: Number(mib) / streamSeconds }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

function inNetns(ns: Netns, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', ['netns', 'exec', ns.name, ...args], { encoding: 'utf8', timeout: 300_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${args[0]}: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

interface Figures {
  pingMs: number;
  rate: number;
  p50: number;
  p99: number;
  mibps: number;
}

async function measure(from: Pod, to: Pod): Promise<Figures> {
  const ping = await inNetns(from.ns, ['busybox', 'ping', '-A', '-q', '-c', String(PINGS), to.ip]);
  const avg = /= [\d.]+\/([\d.]+)\//.exec(ping)?.[1];
  if (!avg || !/ 0% packet loss/.test(ping)) throw new Error(`ping: ${ping}`);
  const tcp = JSON.parse(await inNetns(from.ns, [process.execPath, '-e', CLIENT, to.ip, String(ROUND_TRIPS), String(STREAM_MIB)])) as Omit<Figures, 'pingMs'>;
  return { pingMs: Number(avg), ...tcp };
}

/** One scenario: its namespaces, the overlay on each node, pods, servers; always torn down. */
async function scenario(label: string, topology: Topology, backend: FlannelBackend, sameNode: boolean): Promise<string[]> {
  const namespaces: Netns[] = [...topology.namespaces];
  const servers: ChildProcess[] = [];
  const running: NodeRoutes[] = [];
  const tmp = tempDir();
  try {
    const cluster = new FakeNodes();
    for (const node of topology.nodes) cluster.set(nodeObject(node.name, node.ip, [node.podCidr]));
    for (const node of topology.nodes) {
      running.push(startNodeRoutes({
        nodes: cluster.source, patchOwnNode: cluster.patcher(node.name), nodeName: node.name, nodeIp: node.ip,
        backend, clusterCidr: CLUSTER_CIDR, netns: node.ns.name,
      }));
    }
    await Promise.all(running.map((r) => r.ready));
    await Promise.all(topology.nodes.map((node, i) => routesTo(node, [topology.nodes[1 - i]!.podCidr])));
    const [n1, n2] = topology.nodes;
    const a = attachPod(n1, running[0]!.mtu(), namespaces, path.join(tmp, 'a'));
    const b = attachPod(sameNode ? n1 : n2, running[sameNode ? 0 : 1]!.mtu(), namespaces, path.join(tmp, sameNode ? 'a' : 'b'));
    servers.push(await startServers(b.ns, b.ip, a.ns));
    const f = await measure(a, b);
    return [label, String(running[0]!.mtu()), fmt(f.pingMs * 1000, 0), fmt(f.rate, 0), fmt(f.p50, 0), fmt(f.p99, 0), fmt(f.mibps, 0)];
  } finally {
    for (const r of running) r.stop();
    tearDown(servers, namespaces);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Peer i of the programming figures: a vxlan node on 172.30.0.0/16 with podCIDR 10.42.(i+10).0/24. */
function peer(i: number) {
  const mac = `02:00:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
  return nodeObject(`peer-${i}`, `172.30.${i >> 8}.${(i & 255) + 1}`, [`10.42.${i + 10}.0/24`], { 'tsk.io/backend': 'vxlan', 'tsk.io/vxlan-mac': mac });
}

async function programming(): Promise<string[][]> {
  const topology = routedTopology();
  const n1 = topology.nodes[0];
  const cluster = new FakeNodes();
  cluster.set(nodeObject(n1.name, n1.ip, [n1.podCidr]));
  for (let i = 0; i < PEERS; i++) cluster.set(peer(i));
  const t0 = process.hrtime.bigint();
  const routes = startNodeRoutes({ nodes: cluster.source, patchOwnNode: cluster.patcher(n1.name), nodeName: n1.name, nodeIp: n1.ip, backend: 'vxlan', clusterCidr: CLUSTER_CIDR, netns: n1.ns.name });
  try {
    await routes.ready;
    const first = Number(process.hrtime.bigint() - t0) / 1e6;
    const count = async () => (await inNetns(n1.ns, ['ip', '-4', 'route', 'show', 'proto', '116'])).split('\n').filter((l) => l.includes('dev tsk.1')).length;
    if ((await count()) !== PEERS) throw new Error(`expected ${PEERS} routes after the first sync`);
    const t1 = process.hrtime.bigint();
    cluster.set(peer(PEERS));
    while ((await count()) !== PEERS + 1) await new Promise((r) => setTimeout(r, 1));
    const added = Number(process.hrtime.bigint() - t1) / 1e6;
    return [[`first sync, ${PEERS} vxlan peers`, fmt(first, 0)], ['one more Node → its route in the kernel', fmt(added, 0)]];
  } finally {
    routes.stop();
    tearDown([], [...topology.namespaces]);
  }
}

if (cniMissing) {
  console.error(`bench/overlay.ts: ${cniMissing}`);
  process.exit(1);
}
setLogLevel('warn');
const rows: string[][] = [];
rows.push(await scenario('same node (bridge only)', l2Topology(), 'host-gw', true));
rows.push(await scenario('host-gw, one L2 segment', l2Topology(), 'host-gw', false));
rows.push(await scenario('vxlan, one L2 segment', l2Topology(), 'vxlan', false));
rows.push(await scenario('vxlan, across a router', routedTopology(), 'vxlan', false));
printTable(['pod to pod', 'MTU', 'ping RTT µs', 'TCP round trips/s', 'p50 µs', 'p99 µs', 'stream MiB/s'], rows);
console.log('');
printTable(['programming', 'ms'], await programming());
