/**
 * A one-node cluster made of network namespaces, for the proxy's netns test and bench: a
 * "node" namespace with the tsk bridge (the real CNI plugins, driven as containerd would),
 * "pod" namespaces on it running a tiny server that answers with its own name and the client's
 * address, and an "outside" namespace on a veth (192.168.77.2) that plays a machine of the
 * LAN: the node's address is 192.168.77.1 and its default route points there, so traffic for
 * an unknown address leaves through FORWARD as on a real node (and dies outside: the outside
 * namespace does not forward). No packet leaves the namespaces.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cniConfigList } from '../cni.ts';
import { cniAdd, Netns } from '../testkit.ts';

export const POD_CIDR = '10.42.0.0/24';
export const CLUSTER_CIDR = '10.42.0.0/16';
export const GATEWAY = '10.42.0.1';
export const NODE_IP = '192.168.77.1';
export const OUTSIDE_IP = '192.168.77.2';
export const SERVER_PORT = 8080;

const SERVER = fileURLToPath(new URL('./testkit-server.mjs', import.meta.url));
const CLIENT = fileURLToPath(new URL('./testkit-client.mjs', import.meta.url));

export interface LabPod {
  name: string;
  netns: Netns;
  ip: string;
  server?: ChildProcess;
}

export interface Answer {
  /** Date.now() when the request started. */
  t: number;
  ms: number;
  answer?: string;
  error?: string;
}

export interface RequestOptions {
  /** UDP, a new socket per request; 'socket': every datagram from one socket (one flow). */
  udp?: boolean | 'socket';
  concurrency?: number;
  intervalMs?: number;
  timeoutMs?: number;
}

/** Which backend answered (the first word), or the error code. */
export function who(a: Answer): string {
  return a.answer?.split(' ')[0] ?? `error:${a.error}`;
}

/** The client address the backend saw. */
export function seenFrom(a: Answer): string | undefined {
  return a.answer?.split(' ')[1];
}

export class ProxyLab {
  readonly pods = new Map<string, LabPod>();
  private readonly namespaces: Netns[] = [];
  private tmp = '';

  private constructor(readonly node: Netns, readonly outside: Netns) {
    this.namespaces.push(node, outside);
  }

  /** Namespace names start with `prefix` (the caller's, so its cleanup never hits another's). */
  static async create(prefix: string, pods: { name: string; server: boolean }[]): Promise<ProxyLab> {
    const lab = new ProxyLab(Netns.create(`${prefix}-node`), Netns.create(`${prefix}-out`));
    try {
      await lab.build(prefix, pods);
      return lab;
    } catch (err) {
      lab.remove();
      throw err;
    }
  }

  private async build(prefix: string, pods: { name: string; server: boolean }[]): Promise<void> {
    const { node, outside } = this;
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
    execFileSync('ip', ['-n', node.name, 'link', 'add', 'ext0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', outside.name]);
    node.exec('ip', ['addr', 'add', `${NODE_IP}/24`, 'dev', 'ext0']);
    node.exec('ip', ['link', 'set', 'ext0', 'up']);
    outside.exec('ip', ['addr', 'add', `${OUTSIDE_IP}/24`, 'dev', 'eth0']);
    outside.exec('ip', ['link', 'set', 'eth0', 'up']);
    outside.exec('ip', ['route', 'add', 'default', 'via', NODE_IP]);
    node.exec('ip', ['route', 'add', 'default', 'via', OUTSIDE_IP]);
    node.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    // Replies from a pod to a pod on the same bridge must pass conntrack to be un-DNATed.
    node.exec('sysctl', ['-qw', 'net.bridge.bridge-nf-call-iptables=1']);
    const list = cniConfigList({ confDir: this.tmp, podCidr: POD_CIDR, ipamDataDir: path.join(this.tmp, 'ipam'), ipMasq: false });
    for (const { name, server } of pods) {
      const netns = Netns.create(`${prefix}-${name}`);
      this.namespaces.push(netns);
      const result = cniAdd(list, { host: node, pod: netns, containerId: randomBytes(16).toString('hex') });
      const ip = result.ips![0]!.address.split('/')[0]!;
      const pod: LabPod = { name, netns, ip };
      this.pods.set(name, pod);
      if (server) pod.server = await startServer(netns, name);
    }
  }

  pod(name: string): LabPod {
    const pod = this.pods.get(name);
    if (!pod) throw new Error(`no pod ${name} in the lab`);
    return pod;
  }

  /** `count` requests from inside `from` to host:port, one after the other per worker (HTTP unless options.udp). */
  request(from: Netns, host: string, port: number, count: number, options: RequestOptions = {}): Promise<Answer[]> {
    const args = [CLIENT, options.udp === 'socket' ? 'udp-socket' : options.udp ? 'udp' : 'http', host, String(port), String(count), String(options.concurrency ?? 1), String(options.intervalMs ?? 0), String(options.timeoutMs ?? 2000)];
    return new Promise((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', from.name, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
      child.on('error', reject);
      child.on('close', (code) => {
        if (code !== 0) reject(new Error(`client in ${from.name} exited ${code}: ${err.trim()}`));
        else resolve(JSON.parse(out) as Answer[]);
      });
    });
  }

  /** Kills the servers and deletes every namespace; never throws (runs in after()). */
  remove(): void {
    for (const pod of this.pods.values()) {
      if (pod.server?.pid !== undefined && pod.server.exitCode === null) {
        try { process.kill(pod.server.pid, 'SIGKILL'); } catch { /* gone already */ }
      }
    }
    for (const netns of this.namespaces) {
      try { netns.remove(); } catch { /* already removed */ }
    }
    if (this.tmp) fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}

function startServer(netns: Netns, name: string): Promise<ChildProcess> {
  // `ip netns exec` execs node in place, so the child's PID is the server's own.
  const child = spawn('ip', ['netns', 'exec', netns.name, process.execPath, SERVER, name, String(SERVER_PORT)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`server ${name} did not start`)); }, 10_000);
    child.on('error', reject);
    child.stdout!.setEncoding('utf8').once('data', () => { clearTimeout(timer); resolve(child); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`server ${name} exited ${code}`)); });
  });
}
