import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEtcd } from '../../test/lib/etcd.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A datastore server under test, reached through the etcd v3 API. */
export interface Target {
  name: string;
  endpoint: string;
  pid: number;
  /** Bytes on disk of the store's files. */
  diskBytes(): number;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) total += dirBytes(p);
    else if (entry.isFile()) total += fs.statSync(p).size;
  }
  return total;
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port} after 30 s`);
}

/** `tsk server` from dist/tsk (or from source with tsx when not built), serving the etcd API. */
export async function startTsk(extraArgs: string[] = [], name = 'tsk (sqlite)'): Promise<Target> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-bench-'));
  const port = await freePort();
  const bin = path.join(root, 'dist', 'tsk');
  const args = ['server', '--data-dir', dataDir, '--etcd-listen-client-url', `http://127.0.0.1:${port}`, ...extraArgs];
  const child = fs.existsSync(bin)
    ? spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(process.execPath, ['--import', 'tsx', path.join(root, 'cmd', 'tsk', 'main.ts'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  try {
    await waitForPort(port, child);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  return {
    name,
    endpoint: `127.0.0.1:${port}`,
    pid: child.pid!,
    diskBytes: () => dirBytes(path.join(dataDir, 'server', 'db')),
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Debian's etcd 3.4 on loopback, with the flags given (e.g. auto-compaction). */
export async function startRealEtcd(extraArgs: string[] = [], name = 'etcd 3.4'): Promise<Target> {
  const etcd = await startEtcd({ extraArgs });
  return {
    name,
    endpoint: etcd.endpoint,
    pid: etcd.pid,
    diskBytes: () => dirBytes(etcd.dataDir),
    stop: () => etcd.stop(),
  };
}

/** Bytes the process has written: to storage (write_bytes) and through write calls (wchar). */
export function processWrites(pid: number): { storage: number; syscalls: number } {
  const io = fs.readFileSync(`/proc/${pid}/io`, 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}: (\\d+)`).exec(io)![1]);
  return { storage: field('write_bytes'), syscalls: field('wchar') };
}

export function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** utime+stime of a process in seconds (all threads), or of one thread with `tid` (the main thread's is the pid). */
export function cpuSeconds(pid: number, tid?: number): number {
  const file = tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`;
  const fields = fs.readFileSync(file, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
