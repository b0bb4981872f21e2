/**
 * Real etcd for tests and benchmarks: Debian's /usr/bin/etcd (etcd-server 3.4) on ephemeral
 * loopback ports, in a temp data dir that stop() removes. Only 127.0.0.1 is ever used.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { makeTestPki, type TestPki } from './pki.ts';

export interface EtcdProcess {
  /** host:port of the client URL, as the etcd backend and etcdctl --endpoints take it. */
  endpoint: string;
  clientUrl: string;
  pid: number;
  dataDir: string;
  name: string;
  /** With `tls`: the CA that signed the server, and a client certificate it accepts. */
  pki?: TestPki;
  /** Kill, then remove the data dir (nothing in it is kept, so no graceful stop). Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL without removing the data dir: for failover tests. */
  kill(): Promise<void>;
}

export interface StartEtcdOptions {
  /** Extra flags, e.g. ['--auto-compaction-retention=1']. */
  extraArgs?: string[];
  binary?: string;
  /** How long to wait for /health before giving up (default 30 s). */
  startTimeoutMs?: number;
  /** Serve clients over TLS and require client certificates (single member only). */
  tls?: boolean;
}

export interface EtcdCluster {
  endpoints: string[];
  members: EtcdProcess[];
  stop(): Promise<void>;
}

const DEFAULT_BINARY = '/usr/bin/etcd';

/** What the test process cleans up if it exits without stopping its members. */
const running = new Set<ChildProcess>();
const dataDirs = new Set<string>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
});

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** `count` distinct free loopback ports (the kernel may hand one out twice once it is closed). */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freeLoopbackPort());
  return [...ports];
}

const portTaken = (err: unknown) => /address already in use/i.test(String((err as Error).message));

/** A single-member etcd. Retries with new ports if one was taken between probe and bind. */
export async function startEtcd(options: StartEtcdOptions = {}): Promise<EtcdProcess> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const [clientPort, peerPort] = (await distinctFreePorts(2)) as [number, number];
    const name = `tsk-test-${process.pid}-${clientPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    try {
      const member = launch({ name, clientPort, peerPort, cluster: `${name}=${peerUrl}`, token: name }, options);
      await member.ready;
      return member.process;
    } catch (err) {
      lastError = err;
      if (!portTaken(err)) throw err;
    }
  }
  throw lastError;
}

/**
 * A cluster of `size` members on loopback (3 by default), healthy when this resolves. Retries
 * with new ports, as startEtcd does, if one was taken between probe and bind.
 */
export async function startEtcdCluster(size = 3, options: StartEtcdOptions = {}): Promise<EtcdCluster> {
  if (options.tls) throw new Error('startEtcdCluster: tls is supported for a single member only');
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const free = await distinctFreePorts(2 * size);
    const ports = Array.from({ length: size }, (_, i) => ({ clientPort: free[2 * i]!, peerPort: free[2 * i + 1]!, name: `tsk-test-${process.pid}-${free[2 * i]}` }));
    const cluster = ports.map((p) => `${p.name}=http://127.0.0.1:${p.peerPort}`).join(',');
    const token = `tsk-test-${process.pid}-${ports[0]!.clientPort}`;
    const launched = ports.map((p) => launch({ ...p, cluster, token }, options));
    const members = launched.map((l) => l.process);
    try {
      await Promise.all(launched.map((l) => l.ready));
    } catch (err) {
      await Promise.all(members.map((m) => m.stop()));
      lastError = err;
      if (!portTaken(err)) throw err;
      continue;
    }
    return {
      endpoints: members.map((m) => m.endpoint),
      members,
      stop: async () => {
        await Promise.all(members.map((m) => m.stop()));
      },
    };
  }
  throw lastError;
}

interface MemberSpec {
  name: string;
  clientPort: number;
  peerPort: number;
  cluster: string;
  /** Members of one cluster share it; a distinct one per cluster keeps strays from joining. */
  token: string;
}

function launch(spec: MemberSpec, options: StartEtcdOptions): { process: EtcdProcess; ready: Promise<void> } {
  const binary = options.binary ?? DEFAULT_BINARY;
  if (!fs.existsSync(binary)) {
    throw new Error(`${binary} is missing: apt-get install -y etcd-server etcd-client`);
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-etcd-'));
  const dataDir = path.join(root, 'data');
  let pki: TestPki | undefined;
  if (options.tls) {
    try {
      fs.mkdirSync(path.join(root, 'tls'));
      pki = makeTestPki(path.join(root, 'tls'));
    } catch (err) {
      fs.rmSync(root, { recursive: true, force: true });
      throw err;
    }
  }
  const clientUrl = `${pki ? 'https' : 'http'}://127.0.0.1:${spec.clientPort}`;
  const peerUrl = `http://127.0.0.1:${spec.peerPort}`;
  const args = [
    `--name=${spec.name}`,
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=${spec.cluster}`,
    '--initial-cluster-state=new',
    `--initial-cluster-token=${spec.token}`,
    '--logger=zap',
    '--log-outputs=stderr',
    '--log-level=warn',
    ...(pki ? [`--cert-file=${pki.serverCertFile}`, `--key-file=${pki.serverKeyFile}`, '--client-cert-auth', `--trusted-ca-file=${pki.caFile}`] : []),
    ...(options.extraArgs ?? []),
  ];
  // ETCD_* variables in the caller's environment would silently override these flags.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCD_')));
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  running.add(child);
  dataDirs.add(root);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    // Keep the tail only: etcd can log a lot over a long benchmark.
    stderr = (stderr + chunk.toString()).slice(-16_384);
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      running.delete(child);
      resolve();
    });
  });
  const removeDir = () => {
    fs.rmSync(root, { recursive: true, force: true });
    dataDirs.delete(root);
  };
  const killNow = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited;
  };
  const proc: EtcdProcess = {
    endpoint: `127.0.0.1:${spec.clientPort}`,
    clientUrl,
    pid: child.pid!,
    dataDir,
    name: spec.name,
    ...(pki ? { pki } : {}),
    stop: async () => {
      await killNow();
      removeDir();
    },
    kill: killNow,
  };
  const ready = (async () => {
    const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        removeDir();
        throw new Error(`etcd exited (${child.exitCode ?? child.signalCode}) while starting:\n${stderr}`);
      }
      if (await healthy(clientUrl, pki)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    await proc.stop();
    throw new Error(`etcd at ${clientUrl} not healthy after ${options.startTimeoutMs ?? 30_000} ms:\n${stderr}`);
  })();
  return { process: proc, ready };
}

/** etcd serves /health on the client URL; it answers true once the member has a leader. */
function healthy(clientUrl: string, pki: TestPki | undefined): Promise<boolean> {
  const tls = pki
    ? { ca: fs.readFileSync(pki.caFile), cert: fs.readFileSync(pki.clientCertFile), key: fs.readFileSync(pki.clientKeyFile) }
    : {};
  return new Promise((resolve) => {
    const req = (pki ? https : http).get(`${clientUrl}/health`, { timeout: 1000, ...tls }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 && (JSON.parse(body) as { health?: string }).health === 'true');
        } catch {
          resolve(false);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}
