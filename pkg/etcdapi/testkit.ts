/**
 * Test helpers for the etcd facade: a facade over a SQLite store in a temp dir, the real
 * /usr/bin/etcdctl driven as a child process, and a small promise-based gRPC client. Every
 * process and directory they create is removed by the returned stop()/kill(), and at exit.
 */
import * as grpc from '@grpc/grpc-js';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteBackend, type SqliteBackendOptions } from '../kv/sqlite/backend.ts';
import type { Backend } from '../kv/types.ts';
import { etcdPackageDefinition } from './proto.ts';
import { startEtcdApiServer, type EtcdApiServer, type EtcdApiServerOptions } from './server.ts';

export const ETCDCTL = '/usr/bin/etcdctl';

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

export interface Facade {
  endpoint: string;
  backend: Backend;
  server: EtcdApiServer;
  dir: string;
  stop(): Promise<void>;
}

export async function startFacade(
  options: Partial<EtcdApiServerOptions> = {},
  storeOptions: Partial<SqliteBackendOptions> = {},
): Promise<Facade> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-etcdapi-'));
  dirs.add(dir);
  const backend = await openSqliteBackend({ file: path.join(dir, 'state.db'), ...storeOptions });
  const server = await startEtcdApiServer(backend, { listenUrl: 'http://127.0.0.1:0', ...options });
  let stopped: Promise<void> | undefined;
  return {
    endpoint: server.address,
    backend,
    server,
    dir,
    stop: () => {
      stopped ??= (async () => {
        await server.close();
        await backend.close();
        fs.rmSync(dir, { recursive: true, force: true });
        dirs.delete(dir);
      })();
      return stopped;
    },
  };
}

function etcdctlEnv(): NodeJS.ProcessEnv {
  // ETCDCTL_* in the caller's environment would override the flags the tests pass.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCDCTL_')));
  return { ...env, ETCDCTL_API: '3' };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run etcdctl to completion (killed after timeoutMs), optionally feeding stdin. */
export function etcdctl(endpoint: string, args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(ETCDCTL, [`--endpoints=${endpoint}`, ...args], { env: etcdctlEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      children.delete(child);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
    child.stdin!.end(options.input ?? '');
  });
}

export interface LineReader {
  pid: number;
  /** Lines read so far. */
  lines: string[];
  /** Wait until at least n lines have arrived (rejects after timeoutMs with what was read). */
  waitLines(n: number, timeoutMs?: number): Promise<string[]>;
  /** Wait for it to exit by itself (killed after timeoutMs). */
  exited(timeoutMs?: number): Promise<{ code: number | null; stderr: string }>;
  /** Write to its stdin (for interactive commands). */
  write(text: string): void;
  /** SIGINT: etcdctl lock/elect then give up their session (revoke its lease) and exit. */
  interrupt(): void;
  kill(): Promise<void>;
}

/** A long-running etcdctl (watch, lease keep-alive) whose stdout is read line by line. */
export function spawnEtcdctl(endpoint: string, args: string[]): LineReader {
  const child = spawn(ETCDCTL, [`--endpoints=${endpoint}`, ...args], { env: etcdctlEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => {
    partial += d.toString();
    const parts = partial.split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters) w();
  });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('close', () => {
    children.delete(child);
    for (const w of waiters) w();
    resolve();
  }));
  return {
    pid: child.pid!,
    lines,
    waitLines(n, timeoutMs = 15_000) {
      return waitUntil(waiters, timeoutMs, () => {
        if (lines.length >= n) return { value: lines.slice() };
        if (child.exitCode !== null || child.signalCode !== null) {
          return new Error(`etcdctl exited after ${lines.length}/${n} lines:\n${lines.join('\n')}\nstderr: ${stderr}`);
        }
        return undefined;
      }, () => `timed out waiting for ${n} lines, got ${lines.length}:\n${lines.join('\n')}\nstderr: ${stderr}`);
    },
    async exited(timeoutMs = 15_000) {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
      return { code: child.exitCode, stderr };
    },
    write(text) {
      child.stdin!.write(text);
    },
    interrupt() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/* eslint-disable @typescript-eslint/no-explicit-any -- a test client over untyped generated stubs */
export interface TestClient {
  /** A unary call; resolves with the response or rejects with the gRPC error. */
  call(service: 'KV' | 'Lease' | 'Maintenance' | 'Cluster', method: string, request: object): Promise<any>;
  /** A bidirectional stream (Watch.Watch, Lease.LeaseKeepAlive) with its responses collected. */
  stream(service: 'Watch' | 'Lease', method: string): TestStream;
  close(): void;
}

export interface TestStream {
  /** The underlying call (pause() it to play a slow client). */
  raw: grpc.ClientDuplexStream<any, any>;
  responses: any[];
  error: grpc.ServiceError | undefined;
  send(request: object): void;
  /** Wait for a response matching pred (searching from index `from`), with a bound. */
  next(pred?: (r: any) => boolean, timeoutMs?: number, from?: number): Promise<any>;
  end(): void;
  cancel(): void;
}

export function testClient(endpoint: string, options: grpc.ClientOptions = {}): TestClient {
  const pkg = grpc.loadPackageDefinition(etcdPackageDefinition()) as any;
  const creds = grpc.credentials.createInsecure();
  const clients: Record<string, any> = {};
  const client = (service: string) => (clients[service] ??= new pkg.etcdserverpb[service](endpoint, creds, options));
  return {
    call(service, method, request) {
      return new Promise((resolve, reject) => {
        client(service)[method](request, { deadline: Date.now() + 20_000 }, (err: grpc.ServiceError | null, res: any) => (err ? reject(err) : resolve(res)));
      });
    },
    stream(service, method) {
      const call = client(service)[method]();
      const responses: any[] = [];
      const waiters = new Set<() => void>();
      const s: TestStream = {
        raw: call,
        responses,
        error: undefined,
        send: (r) => call.write(r),
        next(pred = () => true, timeoutMs = 15_000, from = 0) {
          return waitUntil(waiters, timeoutMs, () => {
            const found = responses.slice(from).find(pred);
            if (found !== undefined) return { value: found };
            return s.error;
          }, () => `no matching response in ${timeoutMs} ms; got ${JSON.stringify(responses.slice(from))}`);
        },
        end: () => call.end(),
        cancel: () => call.cancel(),
      };
      call.on('data', (r: any) => {
        responses.push(r);
        for (const w of waiters) w();
      });
      call.on('error', (err: grpc.ServiceError) => {
        s.error = err;
        for (const w of waiters) w();
      });
      return s;
    },
    close() {
      for (const c of Object.values(clients)) c.close();
    },
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export const b = (s: string): Buffer => Buffer.from(s);

/**
 * Resolves with the value `poll` finds, or rejects with the error it returns, re-polling each
 * time a waiter of the set is called; rejects with `timeoutMessage()` after timeoutMs.
 */
function waitUntil<T>(
  waiters: Set<() => void>,
  timeoutMs: number,
  poll: () => { value: T } | Error | undefined,
  timeoutMessage: () => string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const outcome = poll();
      if (outcome === undefined) return;
      done();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome.value);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(timeoutMessage()));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      waiters.delete(check);
    };
    waiters.add(check);
    check();
  });
}
