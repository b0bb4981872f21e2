/**
 * The pod network across nodes (issue 6, "How it is checked"): a real `dist/tsk server
 * --disable-agent` and two agents that joined it, each in a network namespace of its own with
 * its own containerd, CNI bridge, iptables rules and cluster DNS, checked with real kubectl and
 * busybox inside the pods. With the default VXLAN backend the two namespaces sit on different
 * /30s routed through the host, where only a tunnel carries pod traffic; with host-gw they
 * share one L2 segment (a test bridge on the host) and plain routes do.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cidrContains } from '../pkg/network/cidr.ts';
import { cniMissing } from '../pkg/network/testkit.ts';
import { cleanUpHost, runtimeProcessesOf, takeHostAgentTurn } from './lib/agent.ts';
import { freePort, startCluster, type KubectlOptions, type TestCluster } from './lib/cluster.ts';
import { buildBusyboxImage } from './lib/images.ts';
import { createTestNetns, createTestSegment, type TestNetns, type TestSegment } from './lib/netns.ts';
import type { TskProcess } from './lib/tsk.ts';
import { until } from './lib/until.ts';

const IMAGE = 'tsk.local/busybox:nodes';

interface JoinedNode {
  name: string;
  netns: TestNetns;
  dataDir: string;
  agent: TskProcess;
}

/** A server and two joined nodes; stop() removes all of it, also after a failure half way. */
interface TwoNodes {
  cluster: TestCluster;
  a: JoinedNode;
  b: JoinedNode;
  ok(args: string[], opts?: KubectlOptions): Promise<string>;
  stop(): Promise<void>;
}

function containerCount(dataDir: string): number {
  const socket = path.join(dataDir, 'agent', 'containerd', 'containerd.sock');
  if (!fs.existsSync(socket) || runtimeProcessesOf(dataDir).containerd.length === 0) return 0;
  const r = spawnSync('ctr', ['--address', socket, '-n', 'k8s.io', 'containers', 'ls', '-q'], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`ctr containers ls: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).length;
}

async function stopAgent(node: JoinedNode): Promise<void> {
  node.agent.signal('SIGTERM');
  const timer = setTimeout(() => void node.agent.kill(), 30_000);
  await node.agent.exited;
  clearTimeout(timer);
}

async function startTwoNodes(options: { serverArgs?: string[]; segment?: TestSegment } = {}): Promise<TwoNodes> {
  // Other tests with agents use the same containerd ports and host chains: one at a time.
  const releaseTurn = await takeHostAgentTurn();
  const namespaces: TestNetns[] = [];
  const nodes: JoinedNode[] = [];
  const dataDirs: string[] = [];
  let cluster: TestCluster | undefined;
  const ok = async (args: string[], opts: KubectlOptions = {}) => {
    const r = await cluster!.kubectl(args, opts);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const stop = async () => {
    if (cluster) {
      try {
        // Pods go while the agents still run, so their kubelets tear down sandboxes and network.
        await ok(['delete', 'deployments,replicasets', '--all', '--wait=false']);
        await ok(['delete', 'pods', '--all', '--grace-period=0', '--force', '--wait=false']);
        await until('the nodes\' runtimes to have no containers left', async () => (nodes.every((n) => containerCount(n.dataDir) === 0) ? true : undefined));
      } catch (err) {
        console.error(`cleaning up by force: ${(err as Error).message}`);
      }
    }
    for (const node of nodes) await stopAgent(node);
    await cluster?.stop();
    for (const dir of dataDirs) cleanUpHost(dir);
    for (const netns of namespaces) netns.remove();
    options.segment?.remove();
    await releaseTurn();
  };
  try {
    namespaces.push(createTestNetns({ segment: options.segment }), createTestNetns({ segment: options.segment }));
    const serverIp = namespaces[0]!.hostIp;
    // Both namespaces reach this address (the second one through the host's routing), and so does kubectl.
    cluster = await startCluster(['--bind-address', serverIp, '--advertise-address', serverIp, ...(options.serverArgs ?? [])]);
    const url = `https://${serverIp}:${cluster.port}`;
    const token = fs.readFileSync(path.join(cluster.dataDir, 'server', 'node-token'), 'utf8').trim();
    for (const [i, netns] of namespaces.entries()) {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-net-nodes-'));
      dataDirs.push(dataDir);
      buildBusyboxImage({ name: IMAGE, dir: path.join(dataDir, 'agent', 'images') });
      const name = `net-${'ab'[i]}`;
      const agent = netns.startTsk(['agent', 'join', '--server', url, '--token', token, '--data-dir', dataDir, '--node-name', name, '--node-ip', netns.nsIp, '--kubelet-port', String(await freePort())]);
      nodes.push({ name, netns, dataDir, agent });
    }
    for (const node of nodes) {
      await until(`node ${node.name} to be Ready`, async () => {
        const ready = await ok(['get', 'node', node.name, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
        return ready.trim() === 'True' ? true : undefined;
      }, 120_000).catch((err: Error) => {
        throw new Error(`${err.message}\nagent log (last 4000 chars):\n${node.agent.stderr().slice(-4000)}`);
      });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { cluster, a: nodes[0]!, b: nodes[1]!, ok, stop };
}

/** Serves HTTP on 8080: / answers the pod's name, /cgi-bin/peer the client address it saw. */
const HTTPD = [
  'mkdir -p /www/cgi-bin',
  'hostname > /www/index.html',
  'printf \'#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho "$REMOTE_ADDR"\\n\' > /www/cgi-bin/peer',
  'chmod +x /www/cgi-bin/peer',
  'exec httpd -f -p 8080 -h /www',
].join(' && ');

function peerPod(name: string, node: string, labels: Record<string, string>) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: {
      terminationGracePeriodSeconds: 1,
      nodeSelector: { 'kubernetes.io/hostname': node },
      containers: [{ name: 'httpd', image: IMAGE, imagePullPolicy: 'Never', command: ['sh', '-c', HTTPD], ports: [{ name: 'http', containerPort: 8080 }] }],
    },
  };
}

/** Two httpd pods, one per node (required anti-affinity), labelled app=web. */
const webDeployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        terminationGracePeriodSeconds: 1,
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }],
          },
        },
        containers: [{ name: 'httpd', image: IMAGE, imagePullPolicy: 'Never', command: ['sh', '-c', HTTPD], ports: [{ name: 'http', containerPort: 8080 }] }],
      },
    },
  },
};

function service(name: string, selector: Record<string, string>, spec: Record<string, unknown> = {}) {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector, ports: [{ name: 'http', port: 80, targetPort: 'http' }], ...spec } };
}

interface PodInfo {
  name: string;
  ip: string;
  node: string;
}

async function runningPods(env: TwoNodes, selector: string, count: number): Promise<PodInfo[]> {
  return until(`${count} running pods ${selector}`, async () => {
    const items = JSON.parse(await env.ok(['get', 'pods', '-l', selector, '-o', 'json'])).items as any[];
    const running = items.filter((p) => p.status?.phase === 'Running' && p.status.podIP);
    if (running.length !== count) return undefined;
    return running.map((p) => ({ name: p.metadata.name, ip: p.status.podIP, node: p.spec.nodeName })).sort((x, y) => x.node.localeCompare(y.node));
  }, 180_000);
}

/** Runs a shell script in a pod; its stdout. */
const inPod = (env: TwoNodes, pod: string, script: string) => env.ok(['exec', pod, '--', 'sh', '-c', script], { timeoutMs: 120_000 });

/** What `count` fetches of `url` from `pod` answered (busybox-static's wget crashes on -T: timeout bounds it). */
async function answers(env: TwoNodes, pod: string, url: string, count: number): Promise<string[]> {
  const out = await inPod(env, pod, `for i in $(seq ${count}); do timeout 5 wget -q -O - ${url} || echo FAILED; done`);
  return out.split('\n').filter(Boolean);
}

async function podCidrOf(env: TwoNodes, node: string): Promise<string> {
  return (await env.ok(['get', 'node', node, '-o', 'jsonpath={.spec.podCIDR}'])).trim();
}

/** The node's bridge address: the first address of its podCIDR. */
function gatewayOf(podCidr: string): string {
  const [a, b, c, d] = podCidr.split('/')[0]!.split('.').map(Number);
  return `${a}.${b}.${c}.${d! + 1}`;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** peer-a (on node A) and peer-b (on node B) fetch from each other by pod IP and see each other's own address. */
async function checkPodToPod(env: TwoNodes, peers: PodInfo[]): Promise<void> {
  const [a, b] = peers as [PodInfo, PodInfo];
  assert.deepEqual([a.node, b.node], [env.a.name, env.b.name]);
  assert.deepEqual(await answers(env, a.name, `http://${b.ip}:8080/`, 1), [b.name]);
  assert.deepEqual(await answers(env, b.name, `http://${a.ip}:8080/`, 1), [a.name]);
  // No address translation between pods: each server sees the other pod's own address
  // (busybox httpd listens on IPv6 too and prints IPv4 clients as [::ffff:a.b.c.d]).
  const seen = async (client: PodInfo, server: PodInfo) => (await answers(env, client.name, `http://${server.ip}:8080/cgi-bin/peer`, 1)).map((addr) => addr.replace(/^\[::ffff:(.*)\]$/, '$1'));
  assert.deepEqual(await seen(a, b), [a.ip]);
  assert.deepEqual(await seen(b, a), [b.ip]);
}

/** Starts peer-a on node A and peer-b on node B (plus `more` objects); resolves with the two, running. */
async function startPeers(env: TwoNodes, more: object[] = []): Promise<PodInfo[]> {
  const items = [peerPod('peer-a', env.a.name, { peer: 'a' }), peerPod('peer-b', env.b.name, { peer: 'b' }), ...more];
  await env.ok(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) });
  return runningPods(env, 'peer', 2).catch(async (err: Error) => {
    throw new Error(`${err.message}\n${(await env.cluster.kubectl(['describe', 'pods'])).stdout}\nagent a:\n${env.a.agent.stderr().slice(-3000)}\nagent b:\n${env.b.agent.stderr().slice(-3000)}`);
  });
}

describe('two nodes in network namespaces, VXLAN between them', { skip: cniMissing }, () => {
  let env: TwoNodes;
  let peers: PodInfo[];

  before(async () => {
    env = await startTwoNodes();
    peers = await startPeers(env, [webDeployment, service('web', { app: 'web' })]);
  });
  after(async () => {
    await env?.stop();
  });

  it('both nodes are Ready with podCIDRs of their own and publish their VXLAN endpoint', async () => {
    const [cidrA, cidrB] = [await podCidrOf(env, env.a.name), await podCidrOf(env, env.b.name)];
    assert.ok(cidrA && cidrB && cidrA !== cidrB, `podCIDRs ${cidrA} and ${cidrB}`);
    assert.ok(cidrContains('10.42.0.0/16', gatewayOf(cidrA)) && cidrContains('10.42.0.0/16', gatewayOf(cidrB)), 'inside the default cluster CIDR');
    for (const node of [env.a, env.b]) {
      const annotations = JSON.parse(await env.ok(['get', 'node', node.name, '-o', 'jsonpath={.metadata.annotations}']));
      assert.equal(annotations['tsk.io/backend'], 'vxlan');
      assert.equal(annotations['tsk.io/public-ip'], node.netns.nsIp);
      // The MAC published is the one of the tunnel device in the node's namespace.
      const [device] = JSON.parse(node.netns.exec('ip', ['-j', 'link', 'show', 'tsk.1']));
      assert.equal(annotations['tsk.io/vxlan-mac'], device.address);
    }
    // Node A routes B's pods into the tunnel, towards B's address.
    const macB = JSON.parse(await env.ok(['get', 'node', env.b.name, '-o', 'jsonpath={.metadata.annotations}']))['tsk.io/vxlan-mac'];
    assert.match(env.a.netns.exec('ip', ['route', 'show', cidrB]), new RegExp(`^${escape(cidrB)} via \\S+ dev tsk\\.1 .*onlink`, 'm'));
    assert.match(env.a.netns.exec('bridge', ['fdb', 'show', 'dev', 'tsk.1']), new RegExp(`^${escape(macB)} dst ${escape(env.b.netns.nsIp)} `, 'm'));
  });

  it('a pod on one node reaches a pod on the other by its IP, which sees the client\'s pod IP', async () => {
    await checkPodToPod(env, peers);
  });

  it('a ClusterIP Service reaches the backends on both nodes from a client on each node', async () => {
    const web = await runningPods(env, 'app=web', 2);
    assert.deepEqual(web.map((p) => p.node), [env.a.name, env.b.name], 'one backend per node');
    await until('both endpoints ready', async () => {
      const slices = JSON.parse(await env.ok(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'json'])).items as any[];
      const ready = slices.flatMap((s) => (s.endpoints ?? []).filter((e: any) => e.conditions.ready));
      return ready.length === 2 ? true : undefined;
    });
    for (const client of peers) {
      const got = await answers(env, client.name, 'http://web', 30);
      assert.deepEqual([...new Set(got)].sort(), web.map((p) => p.name).sort(), `from ${client.name} on ${client.node}: ${got.join(', ')}`);
    }
  });

  it('cluster DNS answers on each node from its own bridge address', async () => {
    const clusterIp = (await env.ok(['get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    // The kube-dns Service has one endpoint per node, that node's bridge address.
    const gateways = new Map<string, string>();
    for (const node of [env.a, env.b]) gateways.set(node.name, gatewayOf(await podCidrOf(env, node.name)));
    await until('kube-dns to have one endpoint per node, its bridge address', async () => {
      const slices = JSON.parse(await env.ok(['get', 'endpointslices', '-n', 'kube-system', '-l', 'kubernetes.io/service-name=kube-dns', '-o', 'json'])).items as any[];
      const endpoints = slices.flatMap((s) => s.endpoints ?? []).map((e: any) => `${e.nodeName}=${e.addresses[0]}`).sort();
      assert.deepEqual(endpoints, [...gateways].map(([node, gw]) => `${node}=${gw}`).sort());
      return true;
    });
    for (const client of peers) {
      const own = gateways.get(client.node)!;
      const other = [...gateways].find(([node]) => node !== client.node)![1];
      // internalTrafficPolicy Local: the node's service proxy sends DNS to its own server only.
      const nat = (client.node === env.a.name ? env.a : env.b).netns.exec('iptables-save', ['-t', 'nat']);
      assert.match(nat, new RegExp(`--to-destination ${escape(own)}:53`));
      assert.doesNotMatch(nat, new RegExp(`--to-destination ${escape(other)}:53`));
      const resolved = await inPod(env, client.name, 'nslookup web.default.svc.cluster.local');
      assert.match(resolved, new RegExp(`Address: ${escape(clusterIp)}`), `from ${client.name}: ${resolved}`);
      // busybox nslookup tries every search domain and exits 1 when any of them fails: only its answer counts.
      const short = (await env.cluster.kubectl(['exec', client.name, '--', 'nslookup', 'web'])).stdout;
      assert.match(short, new RegExp(`Name:\\s+web\\.default\\.svc\\.cluster\\.local\\nAddress: ${escape(clusterIp)}`), `from ${client.name}: ${short}`);
    }
  });

  it('a NodePort on node A\'s address, reached from the host, leads to the backend on node B', async () => {
    await env.ok(['apply', '-f', '-'], { input: JSON.stringify(service('peer-b-np', { peer: 'b' }, { type: 'NodePort' })) });
    const port = (await env.ok(['get', 'service', 'peer-b-np', '-o', 'jsonpath={.spec.ports[0].nodePort}'])).trim();
    const body = await until('the NodePort to answer', async () => fetch(`http://${env.a.netns.nsIp}:${port}/`).then((r) => r.text(), () => undefined));
    assert.equal(body.trim(), 'peer-b');
  });

  it('traffic from pods to an address outside the cluster leaves with its node\'s address', async () => {
    // A server on the host end of node A's veth: outside the cluster CIDR, reached by both nodes.
    const server = http.createServer((req, res) => res.end(req.socket.remoteAddress));
    await new Promise<void>((resolve) => server.listen(0, env.a.netns.hostIp, resolve));
    try {
      const { port } = server.address() as AddressInfo;
      for (const [pod, node] of [[peers[0]!, env.a], [peers[1]!, env.b]] as const) {
        assert.deepEqual(await answers(env, pod.name, `http://${env.a.netns.hostIp}:${port}/`, 1), [node.netns.nsIp], `from ${pod.name}`);
      }
    } finally {
      server.close();
    }
  });

  it('a node whose agent stopped and whose Node was deleted leaves the other node\'s routes, neighbours and fdb', async () => {
    const cidrB = await podCidrOf(env, env.b.name);
    const macB = JSON.parse(await env.ok(['get', 'node', env.b.name, '-o', 'jsonpath={.metadata.annotations}']))['tsk.io/vxlan-mac'] as string;
    const held = () => ({
      route: env.a.netns.exec('ip', ['route', 'show', cidrB]).trim() !== '',
      neighbour: env.a.netns.exec('ip', ['neigh', 'show', 'dev', 'tsk.1']).includes(macB),
      fdb: env.a.netns.exec('bridge', ['fdb', 'show', 'dev', 'tsk.1']).includes(macB),
    });
    assert.deepEqual(held(), { route: true, neighbour: true, fdb: true }, 'node A holds B\'s entries before');
    // B's pods go first, while its kubelet runs; then its agent stops and its Node is deleted.
    await env.ok(['delete', 'deployment', 'web']);
    await env.ok(['delete', 'pod', 'peer-b', '--grace-period=0', '--force']);
    await until('node B to run no containers', async () => (containerCount(env.b.dataDir) === 0 ? true : undefined));
    await stopAgent(env.b);
    await env.ok(['delete', 'node', env.b.name]);
    await until('node A to drop B\'s route, neighbour and fdb entry', async () => {
      const now = held();
      return !now.route && !now.neighbour && !now.fdb ? true : undefined;
    });
  });
});

describe('two nodes on one L2 segment, host-gw routes between them', { skip: cniMissing }, () => {
  let env: TwoNodes;
  let peers: PodInfo[];

  before(async () => {
    env = await startTwoNodes({ serverArgs: ['--flannel-backend', 'host-gw'], segment: createTestSegment() });
    peers = await startPeers(env);
  });
  after(async () => {
    await env?.stop();
  });

  it('each node routes the other\'s podCIDR through its address, with no tunnel', async () => {
    for (const [self, other] of [[env.a, env.b], [env.b, env.a]] as const) {
      const annotations = JSON.parse(await env.ok(['get', 'node', self.name, '-o', 'jsonpath={.metadata.annotations}']));
      assert.equal(annotations['tsk.io/backend'], 'host-gw');
      assert.equal(annotations['tsk.io/public-ip'], self.netns.nsIp);
      assert.equal(annotations['tsk.io/vxlan-mac'], undefined);
      const cidr = await podCidrOf(env, other.name);
      await until(`${self.name} to route ${cidr}`, async () => (self.netns.exec('ip', ['route', 'show', cidr]).match(new RegExp(`^${escape(cidr)} via ${escape(other.netns.nsIp)} dev eth0 `, 'm')) ? true : undefined));
      assert.equal(self.netns.exec('ip', ['-o', 'link', 'show', 'type', 'vxlan']).trim(), '', 'no VXLAN device');
    }
  });

  it('a pod on one node reaches a pod on the other by its IP, which sees the client\'s pod IP', async () => {
    await checkPodToPod(env, peers);
  });
});
