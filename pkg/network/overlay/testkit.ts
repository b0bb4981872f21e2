/**
 * For the overlay's namespace test and bench: "nodes" made of network namespaces (on one L2
 * segment, or on two subnets behind a router namespace), each with "pods" attached through
 * the real CNI bridge plugin, and a fake Node informer every node shares, whose Nodes the
 * nodes' own patchOwnNode calls update, as the API server would. Nothing here touches the
 * machine's own namespace.
 */
import { randomBytes } from 'node:crypto';
import { execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KObject } from '../../api/types.ts';
import { until } from '../../../test/lib/until.ts';
import { cniConfigList } from '../cni.ts';
import { FakeSource } from '../dns/testkit.ts';
import { cniAdd, Netns } from '../testkit.ts';
import type { AnnotationPatch } from './routes.ts';

/** Every namespace this kit makes starts with this, so cleanup never hits another suite's. */
export const PREFIX = 'tsk-ovl';
/** The pods' bridge in each node namespace (unique to these tests). */
export const BRIDGE = 'tskovl0';
export const CLUSTER_CIDR = '10.42.0.0/16';

/** A Node as the API returns it. */
export function nodeObject(name: string, ip: string | undefined, podCidrs: string[], annotations: Record<string, string> = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, annotations },
    spec: podCidrs.length > 0 ? { podCIDR: podCidrs[0], podCIDRs: podCidrs } : {},
    status: { addresses: [...(ip ? [{ type: 'InternalIP', address: ip }] : []), { type: 'Hostname', address: name }] },
  };
}

/** The Node informer of a cluster: one source every node reads, patched by the nodes themselves. */
export class FakeNodes {
  readonly source = new FakeSource();

  get(name: string): KObject | undefined {
    return this.source.list().find((n) => n.metadata.name === name);
  }

  set(node: KObject): void {
    this.source.set(node);
  }

  remove(name: string): void {
    const node = this.get(name);
    if (node) this.source.remove(node);
  }

  /** What a node's merge patch of its own annotations does. */
  patcher(name: string): (patch: AnnotationPatch) => Promise<void> {
    return async (patch) => {
      const node = this.get(name);
      if (!node) throw new Error(`node ${name} not found`);
      const annotations = { ...(node.metadata.annotations as Record<string, string>) };
      for (const [key, value] of Object.entries(patch)) {
        if (value === null) delete annotations[key];
        else annotations[key] = value;
      }
      this.set({ ...node, metadata: { ...node.metadata, annotations } });
    };
  }
}

export interface TestNode {
  name: string;
  ns: Netns;
  /** Its address on the link between nodes. */
  ip: string;
  podCidr: string;
}

export interface Topology {
  nodes: [TestNode, TestNode];
  /** The router namespace (routed topology only): outside the cluster. */
  router?: { ns: Netns; ips: [string, string] };
  namespaces: Netns[];
}

function sh(ns: Netns, script: string): void {
  ns.exec('sh', ['-c', script]);
}

function makeNode(name: string, ip: string, podCidr: string, namespaces: Netns[]): TestNode {
  const ns = Netns.create(`${PREFIX}-${name}`);
  namespaces.push(ns);
  sh(ns, 'sysctl -qw net.ipv4.ip_forward=1');
  return { name, ns, ip, podCidr };
}

/** A veth pair between two namespaces, each end with an address, up. */
function link(a: Netns, aName: string, aAddr: string, b: Netns, bName: string, bAddr: string): void {
  const tmp = `ovl${randomBytes(3).toString('hex')}`;
  sh(a, `ip link add ${aName} type veth peer name ${tmp} && ip link set ${tmp} netns ${b.name}`);
  sh(b, `ip link set ${tmp} name ${bName}`);
  sh(a, `ip addr add ${aAddr} dev ${aName} && ip link set ${aName} up`);
  sh(b, `ip addr add ${bAddr} dev ${bName} && ip link set ${bName} up`);
}

/** Two nodes on one L2 segment (a veth pair): 192.168.77.1 and .2. */
export function l2Topology(): Topology {
  const namespaces: Netns[] = [];
  const n1 = makeNode('n1', '192.168.77.1', '10.42.1.0/24', namespaces);
  const n2 = makeNode('n2', '192.168.77.2', '10.42.2.0/24', namespaces);
  link(n1.ns, 'eth0', '192.168.77.1/24', n2.ns, 'eth0', '192.168.77.2/24');
  return { nodes: [n1, n2], namespaces };
}

/**
 * Two nodes on two subnets (172.31.1.0/24, 172.31.2.0/24) behind a router namespace that
 * knows nothing of the pod ranges: pod traffic crosses only inside VXLAN.
 */
export function routedTopology(): Topology {
  const namespaces: Netns[] = [];
  const router = Netns.create(`${PREFIX}-rt`);
  namespaces.push(router);
  sh(router, 'sysctl -qw net.ipv4.ip_forward=1');
  const n1 = makeNode('n1', '172.31.1.2', '10.42.1.0/24', namespaces);
  const n2 = makeNode('n2', '172.31.2.2', '10.42.2.0/24', namespaces);
  link(router, 'r1', '172.31.1.1/24', n1.ns, 'eth0', '172.31.1.2/24');
  link(router, 'r2', '172.31.2.1/24', n2.ns, 'eth0', '172.31.2.2/24');
  sh(n1.ns, 'ip route add default via 172.31.1.1');
  sh(n2.ns, 'ip route add default via 172.31.2.1');
  return { nodes: [n1, n2], router: { ns: router, ips: ['172.31.1.1', '172.31.2.1'] }, namespaces };
}

export interface Pod {
  ns: Netns;
  ip: string;
}

/** A pod namespace on `node`, through the conflist tsk writes (bridge + host-local), with `mtu`. */
export function attachPod(node: TestNode, mtu: number | undefined, namespaces: Netns[], stateDir: string): Pod {
  const ns = Netns.create(`${PREFIX}-pod`);
  namespaces.push(ns);
  const ipamDataDir = path.join(stateDir, node.name, 'ipam');
  fs.mkdirSync(ipamDataDir, { recursive: true });
  const list = cniConfigList({ confDir: path.join(stateDir, node.name), ipamDataDir, podCidr: node.podCidr, bridgeName: BRIDGE, mtu });
  const result = cniAdd(list, { host: node.ns, pod: ns, containerId: randomBytes(16).toString('hex') });
  return { ns, ip: result.ips![0]!.address.split('/')[0]! };
}

/**
 * Servers inside a namespace, one node process: HTTP on 8080 answers with the client's
 * address as it arrived; 7000 echoes (request/response rate); 7001 counts what it is sent and
 * answers the count when the sender ends (throughput).
 */
const SERVER = `
const http = require('node:http'), net = require('node:net');
http.createServer((req, res) => res.end(req.socket.remoteAddress)).listen(8080, '0.0.0.0');
net.createServer((c) => c.pipe(c)).listen(7000, '0.0.0.0');
net.createServer((c) => { let n = 0; c.on('data', (d) => { n += d.length; }); c.on('end', () => c.end(String(n))); }).listen(7001, '0.0.0.0');
`;

export async function startServers(ns: Netns, at: string, from: Netns): Promise<ChildProcess> {
  const child = ns.spawn(process.execPath, ['-e', SERVER]);
  await until(`servers at ${at}`, async () => ((await fetchText(from, `http://${at}:8080/`)) ? true : undefined), 30_000);
  return child;
}

/**
 * GET with busybox wget inside `from`, killed after `ms` (no -T: Debian's static busybox wget
 * crashes with it). Asynchronous: the overlay under test runs in this process and must keep
 * programming routes while a request waits.
 */
export function fetchText(from: Netns, url: string, ms = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', ['netns', 'exec', from.name, 'busybox', 'wget', '-q', '-O', '-', url], { encoding: 'utf8', timeout: ms }, (err, stdout, stderr) => {
      if (err) reject(new Error(`wget ${url} in ${from.name}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

/** Resolves once `node` holds routes (proto 116) to every podCIDR in `cidrs`. */
export async function routesTo(node: TestNode, cidrs: string[]): Promise<void> {
  await until(`${node.name} routes to ${cidrs.join(', ')}`, async () => {
    const routes = await new Promise<string>((resolve, reject) => {
      execFile('ip', ['-n', node.ns.name, '-4', 'route', 'show', 'proto', '116'], { encoding: 'utf8' }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    });
    return cidrs.every((cidr) => routes.includes(`${cidr} via`)) ? true : undefined;
  });
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${PREFIX}-`));
}

/** Kills the servers and removes the namespaces (and so every link, route and rule in them). */
export function tearDown(servers: ChildProcess[], namespaces: Netns[]): void {
  for (const server of servers) if (server.pid !== undefined && server.exitCode === null) process.kill(server.pid, 'SIGKILL');
  for (const ns of namespaces.splice(0).reverse()) {
    try {
      ns.remove();
    } catch {
      // already gone
    }
  }
}
