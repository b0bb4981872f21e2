/**
 * A real `dist/tsk server --disable-agent` on an ephemeral port with its own data dir, and
 * the real kubectl (any installed version) pointed at it through the admin kubeconfig the
 * server wrote. Everything started here is killed by PID when the test file ends.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { cleanEnv, startTsk, type TskProcess } from './tsk.ts';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The kubectl of a given minor version (1.27–1.33 are installed; PATH's is 1.33). */
export function kubectlBinary(minor?: number): string {
  if (minor === undefined) return 'kubectl';
  const onPath = spawnSync('sh', ['-c', 'readlink -f "$(command -v kubectl)"'], { encoding: 'utf8' }).stdout.trim();
  return path.join(path.dirname(onPath), `kubectl.1.${minor}`);
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  input?: string;
  /** Minor version of kubectl (default: 1.33 on PATH). */
  minor?: number;
  kubeconfig?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface TestCluster {
  server: TskProcess;
  port: number;
  dataDir: string;
  kubeconfig: string;
  url: string;
  /** Runs kubectl with the admin kubeconfig; `input` is fed on stdin. */
  kubectl(args: string[], opts?: KubectlOptions): Promise<KubectlResult>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** Run the server's embedded agent (default: --disable-agent). */
  agent?: boolean;
  /** An existing data dir (images placed before start, or a restart); it stays the caller's to remove. */
  dataDir?: string;
  /** Default: a free port. */
  port?: number;
  /** Extra environment for the server (TSK_* variables pass, unlike the caller's own). */
  env?: NodeJS.ProcessEnv;
}

export async function startCluster(extraArgs: string[] = [], options: ClusterOptions = {}): Promise<TestCluster> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-e2e-'));
  const port = options.port ?? (await freePort());
  const agentArgs = options.agent ? [] : ['--disable-agent'];
  const server = startTsk(['server', ...agentArgs, '--data-dir', dataDir, '--https-listen-port', String(port), '--bind-address', '127.0.0.1', ...extraArgs], { env: cleanEnv(options.env) });
  await server.waitForLog(/serving the Kubernetes API/, 30_000);
  const kubeconfig = path.join(dataDir, 'server', 'cred', 'admin.kubeconfig');
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-kubectl-home-'));
  const kubectl = (args: string[], opts: KubectlOptions = {}) =>
    new Promise<KubectlResult>((resolve) => {
      // A private HOME keeps kubectl's discovery cache from leaking between servers and tests.
      const child = spawn(kubectlBinary(opts.minor), ['--kubeconfig', opts.kubeconfig ?? kubeconfig, ...args], {
        env: cleanEnv({ HOME: home, KUBECONFIG: '', ...opts.env }),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
      child.stdin.end(opts.input ?? '');
    });
  return {
    server,
    port,
    dataDir,
    kubeconfig,
    url: `https://127.0.0.1:${port}`,
    kubectl,
    stop: async () => {
      await server.kill();
      if (!options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * One cluster for a whole test file (started in before, stopped in after) and the two kubectl
 * shapes every test uses: `ok` (must succeed, returns stdout) and `fails` (must fail, returns stderr).
 */
export function clusterPerFile(extraArgs: string[] = []) {
  let current: TestCluster | undefined;
  before(async () => {
    current = await startCluster(extraArgs);
  });
  after(async () => {
    await current?.stop();
  });
  const cluster = (): TestCluster => {
    if (!current) throw new Error('the cluster is not started yet');
    return current;
  };
  return {
    cluster,
    async ok(args: string[], opts: KubectlOptions | string = {}): Promise<string> {
      const r = await cluster().kubectl(args, typeof opts === 'string' ? { input: opts } : opts);
      assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
      return r.stdout;
    },
    async fails(args: string[], opts: KubectlOptions | string = {}): Promise<string> {
      const r = await cluster().kubectl(args, typeof opts === 'string' ? { input: opts } : opts);
      assert.notEqual(r.code, 0, `kubectl ${args.join(' ')} should have failed:\n${r.stdout}`);
      return r.stderr;
    },
  };
}

/**
 * `kubectl get -w …` until `rows` rows have arrived, running `change` once the first row is
 * printed (so the change is surely after the initial list), then ends kubectl by its PID.
 */
export function watchRows(opts: { cluster: TestCluster; args: string[]; rows: number; change: () => Promise<unknown>; minor?: number; home?: string }): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const home = opts.home ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-kubectl-watch-'));
    const child = spawn(kubectlBinary(opts.minor), ['--kubeconfig', opts.cluster.kubeconfig, ...opts.args], {
      env: cleanEnv({ HOME: home, KUBECONFIG: '' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let changed = false;
    // Only complete lines: a chunk may end in the middle of a row.
    const lines = () => out.slice(0, out.lastIndexOf('\n') + 1).split('\n').filter((l) => l.trim() !== '' && !l.startsWith('NAME'));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!changed && lines().length >= 1) {
        changed = true;
        opts.change().catch(reject);
      }
      if (lines().length >= opts.rows) child.kill('SIGTERM');
    });
    // Only a guard against hanging the suite when the change never arrives.
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', () => {
      clearTimeout(guard);
      if (!opts.home) fs.rmSync(home, { recursive: true, force: true });
      if (lines().length >= opts.rows) resolve(lines());
      else reject(new Error(`watch ended before ${opts.rows} rows:\n${out}\n${err}`));
    });
  });
}
