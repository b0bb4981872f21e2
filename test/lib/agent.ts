/**
 * A real `dist/tsk server` WITH its embedded agent (managed containerd, runc, CNI bridge) on
 * ephemeral ports, for end-to-end tests of the kubelet with real kubectl. The busybox test
 * image is placed in DATA_DIR/agent/images before start, so the agent imports it at start.
 *
 * stop() leaves nothing behind on the host: pods are deleted while the server still runs (so
 * the kubelet tears down sandboxes and their network), then the server gets SIGTERM, then
 * whatever of containerd, its shims and runc containers still names the data dir is killed
 * by PID, mounts under the data dir (secret tmpfs, netns) are unmounted, and the test's
 * bridge is deleted.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { removeNodeNetwork } from '../../pkg/network/cleanup.ts';
import { DEFAULT_BRIDGE_NAME } from '../../pkg/network/cni.ts';
import { freePort, startCluster, type KubectlOptions, type KubectlResult, type TestCluster } from './cluster.ts';
import { buildBusyboxImage } from './images.ts';
import { until } from './until.ts';

export const BUSYBOX_IMAGE = 'tsk.local/busybox:test';
export const NODE_NAME = 'tsk-e2e';

export interface AgentCluster {
  url: string;
  dataDir: string;
  kubeconfig: string;
  nodeName: string;
  /** containerd's socket, for `ctr --address`. */
  containerdSocket: string;
  /** The running server process (a new one after restart()). */
  server(): TestCluster['server'];
  kubectl(args: string[], opts?: KubectlOptions): Promise<KubectlResult>;
  /** containerd's own view (namespace k8s.io): `ctr containers ls -q` and the like. */
  ctr(args: string[]): string;
  /** Ends the server with `signal` and waits for its exit (containers keep running). */
  stopServer(signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts the server again on the same data dir and ports; resolves once the Node is Ready again. */
  startServer(): Promise<void>;
  /** PIDs of processes whose command line names the data dir, by program: containerd and its shims. */
  runtimeProcesses(): { containerd: number[]; shims: number[] };
  stop(): Promise<void>;
}

async function waitNodeReady(cluster: TestCluster): Promise<void> {
  await until('the node to be Ready', async () => {
    const r = await cluster.kubectl(['get', 'node', NODE_NAME, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
    return r.stdout.trim() === 'True' ? true : undefined;
  }, 90_000);
}

/** PIDs whose command line names `dir` (managed containerd and its shims). */
export function processesNaming(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** The containerd and the shims of the agent whose data dir is `dir` (shims name its socket). */
export function runtimeProcessesOf(dir: string): { containerd: number[]; shims: number[] } {
  const byProgram = { containerd: [] as number[], shims: [] as number[] };
  for (const pid of processesNaming(dir)) {
    try {
      const program = path.basename(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '');
      if (program === 'containerd') byProgram.containerd.push(pid);
      else if (program.startsWith('containerd-shim')) byProgram.shims.push(pid);
    } catch {
      // Ended while we looked.
    }
  }
  return byProgram;
}

/** Force-deletes every container in the agent's runc roots (one folder per containerd namespace). */
function deleteRuncContainers(runcRoot: string): void {
  if (!fs.existsSync(runcRoot)) return;
  for (const ns of fs.readdirSync(runcRoot)) {
    const root = path.join(runcRoot, ns);
    const ids = spawnSync('runc', ['--root', root, 'list', '-q'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    for (const id of ids) spawnSync('runc', ['--root', root, 'delete', '--force', id]);
  }
}

/** Mount points under `dir`, deepest first. */
function mountsUnder(dir: string): string[] {
  const points = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '');
  return points.filter((p) => p === dir || p.startsWith(`${dir}/`)).sort((a, b) => b.length - a.length);
}

/**
 * Removes an agent's data dir after its agent ended: its containers (runc), containerd and shims,
 * its volume mounts, then the folder; and the bridge its pod network made, if named.
 */
export function cleanUpHost(dataDir: string, bridgeName?: string): void {
  deleteRuncContainers(path.join(dataDir, 'agent', 'containerd', 'runc'));
  for (const pid of processesNaming(dataDir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (const point of mountsUnder(dataDir)) {
    if (spawnSync('umount', [point]).status !== 0) spawnSync('umount', ['-l', point]);
  }
  if (bridgeName) spawnSync('ip', ['link', 'del', bridgeName]);
  fs.rmSync(dataDir, { recursive: true, force: true });
}

/**
 * What an agent on the host leaves in the kernel on purpose (pods keep working across agent
 * restarts): proxy, policy and masquerade chains, the VXLAN device and routes, the bridge.
 * Tests that run an agent on the host remove it all afterwards, as uninstalling does.
 */
export async function cleanUpHostNetwork(bridgeName = DEFAULT_BRIDGE_NAME): Promise<void> {
  try {
    await removeNodeNetwork({ bridgeName });
  } catch (err) {
    console.error(`cleaning up the host's network: ${(err as Error).message}`);
  }
}

/** The address of the interface the default route leaves through (no packet is sent). */
export function defaultRouteAddress(): string {
  const [route] = JSON.parse(execFileSync('ip', ['-4', '-j', 'route', 'show', 'default'], { encoding: 'utf8' })) as { dev: string }[];
  if (!route) throw new Error('this machine has no IPv4 default route');
  const [link] = JSON.parse(execFileSync('ip', ['-4', '-j', 'addr', 'show', 'dev', route.dev], { encoding: 'utf8' })) as { addr_info: { local: string }[] }[];
  const address = link?.addr_info[0]?.local;
  if (!address) throw new Error(`${route.dev} has no IPv4 address`);
  return address;
}

const HOST_AGENT_LOCK = '\0tsk-test-host-agent';
const TURN_WAIT_MS = 30 * 60_000;

/** Listens on the abstract socket that marks the host's agent turn; false when another process holds it. */
function listenLock(): Promise<net.Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(undefined) : reject(err)));
    server.listen(HOST_AGENT_LOCK, () => {
      server.unref();
      resolve(server);
    });
  });
}

/**
 * Host agent tests share containerd's fixed ports, the pod bridge tsk0, the VXLAN device and
 * the host's TSK- chains: one at a time. The turn is an abstract unix socket (the kernel frees
 * it when its holder dies, kill -9 included), so two runs cannot both see the host free and
 * start together; once it is ours, a containerd someone started by hand is waited out too.
 * Resolves with the function that gives the turn back.
 */
export async function takeHostAgentTurn(): Promise<() => Promise<void>> {
  let lock: net.Server | undefined;
  await until('the host agent turn (another test runs an agent on this host)', async () => (lock = await listenLock()) ? true : undefined, TURN_WAIT_MS);
  const release = () => new Promise<void>((resolve) => lock!.close(() => resolve()));
  try {
    await until('no other managed containerd on this host', async () => {
      try {
        execFileSync('pgrep', ['-f', 'containerd --config'], { encoding: 'utf8' });
        return undefined;
      } catch {
        return true;
      }
    }, TURN_WAIT_MS);
  } catch (err) {
    await release();
    throw err;
  }
  return release;
}

/** Runs kubectl on `c`; must succeed; its stdout. */
export async function kubectlOk(c: Pick<AgentCluster, 'kubectl'>, args: string[], opts: KubectlOptions = {}): Promise<string> {
  const r = await c.kubectl(args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

export interface AgentClusterOptions {
  /** The node's address (default 127.0.0.1); NodePorts and ServiceLB need a non-loopback one. */
  nodeIp?: string;
  /** Extra environment for the server (certificate lifetime for tests). */
  env?: NodeJS.ProcessEnv;
}

export async function startAgentCluster(agentOptions: AgentClusterOptions = {}): Promise<AgentCluster> {
  const releaseTurn = await takeHostAgentTurn();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-agent-e2e-'));
  // The agent's own bridge: the tests that run an agent on the host run one at a time.
  const bridgeName = DEFAULT_BRIDGE_NAME;
  buildBusyboxImage({ name: BUSYBOX_IMAGE, dir: path.join(dataDir, 'agent', 'images') });
  const port = await freePort();
  // A cluster CIDR of its own: another test's leftover bridge on k3s's 10.42.0.0/24 would take the pods' route.
  const clusterCidr = `10.${100 + (process.pid % 100)}.0.0/16`;
  const args = ['--node-name', NODE_NAME, '--node-ip', agentOptions.nodeIp ?? '127.0.0.1', '--kubelet-port', String(await freePort()), '--cluster-cidr', clusterCidr];
  const options = { agent: true, dataDir, port, env: agentOptions.env };
  let cluster = await startCluster(args, options).catch(async (err: Error) => {
    cleanUpHost(dataDir, bridgeName);
    await cleanUpHostNetwork(bridgeName);
    await releaseTurn();
    throw err;
  });
  try {
    await waitNodeReady(cluster);
  } catch (err) {
    const log = cluster.server.stderr().split('\n').slice(-30).join('\n');
    await cluster.stop();
    cleanUpHost(dataDir, bridgeName);
    await cleanUpHostNetwork(bridgeName);
    await releaseTurn();
    throw new Error(`${(err as Error).message}; the server's last log lines:\n${log}`);
  }
  const containerdSocket = path.join(dataDir, 'agent', 'containerd', 'containerd.sock');
  const kubectl = (a: string[], o?: KubectlOptions) => cluster.kubectl(a, o);
  return {
    url: cluster.url,
    dataDir,
    kubeconfig: cluster.kubeconfig,
    nodeName: NODE_NAME,
    containerdSocket,
    server: () => cluster.server,
    kubectl,
    ctr: (a) => execFileSync('ctr', ['--address', containerdSocket, '-n', 'k8s.io', ...a], { encoding: 'utf8' }),
    stopServer: async (signal) => {
      cluster.server.signal(signal);
      await cluster.server.exited;
      await cluster.stop();
    },
    startServer: async () => {
      cluster = await startCluster(args, options);
      await waitNodeReady(cluster);
    },
    runtimeProcesses: () => runtimeProcessesOf(dataDir),
    stop: async () => {
      try {
        // Owners first, so no controller makes new pods while the old ones go.
        await kubectl(['delete', 'deployments,replicasets,jobs,daemonsets,statefulsets', '--all', '-A', '--wait=false']);
        await kubectl(['delete', 'pods', '--all', '-A', '--grace-period=0', '--force', '--wait=false']);
        await until('the runtime to have no containers left', async () => (containerIds(containerdSocket).length === 0 ? true : undefined));
      } catch (err) {
        console.error(`agent cluster stop: ${(err as Error).message}; cleaning up by force`);
      }
      cluster.server.signal('SIGTERM');
      const timer = setTimeout(() => void cluster.server.kill(), 30_000);
      await cluster.server.exited;
      clearTimeout(timer);
      await cluster.stop();
      cleanUpHost(dataDir, bridgeName);
      await cleanUpHostNetwork(bridgeName);
      await releaseTurn();
    },
  };
}

function containerIds(socket: string): string[] {
  return execFileSync('ctr', ['--address', socket, '-n', 'k8s.io', 'containers', 'ls', '-q'], { encoding: 'utf8' }).split('\n').filter(Boolean);
}
