/**
 * containerd's own CLI, `ctr`, ships in the same Debian package as containerd (and in
 * containerd's release tarballs), so wherever the agent finds containerd it finds ctr beside it.
 * We use it for what tsk does not need the CRI for: a readiness check and image import.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ContainerdError } from './errors.ts';

/** Debian puts runc in /usr/sbin, which a non-login PATH may lack; containerd looks runc up on PATH. */
const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function searchPath(): string {
  const dirs = (process.env.PATH ?? '').split(':').filter(Boolean);
  return [...dirs, ...SYSTEM_DIRS.filter((d) => !dirs.includes(d))].join(':');
}

/** The executable `name` on PATH (plus the system dirs), or undefined. */
export function findExecutable(name: string): string | undefined {
  for (const dir of searchPath().split(':')) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {}
  }
  return undefined;
}

export const INSTALL_HINT = 'apt-get install containerd runc containernetworking-plugins';

export interface Ctr {
  binary: string;
  address: string;
}

/**
 * Runs `ctr --address SOCK [-n NAMESPACE] ARGS…`, feeding `input` on stdin; resolves with stdout,
 * rejects with ctr's last stderr line (its message, without the usage text).
 */
export function runCtr(ctr: Ctr, args: string[], options: { namespace?: string; input?: Readable; signal?: AbortSignal } = {}): Promise<string> {
  const argv = ['--address', ctr.address, ...(options.namespace ? ['--namespace', options.namespace] : []), ...args];
  return new Promise((resolve, reject) => {
    // Aborting kills ctr: one whose containerd went away mid-import may otherwise wait for it forever.
    const child = spawn(ctr.binary, argv, { stdio: [options.input ? 'pipe' : 'ignore', 'pipe', 'pipe'], signal: options.signal, killSignal: 'SIGKILL' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    if (options.input && child.stdin) {
      // ctr exiting early (bad archive) closes its stdin: that error is ctr's to report.
      child.stdin.on('error', () => {});
      options.input.on('error', (e) => {
        child.kill('SIGKILL');
        reject(new ContainerdError('ctr', `ctr ${args.slice(0, 2).join(' ')}: reading input: ${e.message}`, { cause: e }));
      });
      options.input.pipe(child.stdin);
    }
    child.on('error', (e) => {
      if (e.name === 'AbortError') options.input?.destroy();
      reject(new ContainerdError('ctr', e.name === 'AbortError' ? `ctr ${args.slice(0, 2).join(' ')}: stopped` : `cannot run ${ctr.binary}: ${e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(Buffer.concat(out).toString());
      const lines = Buffer.concat(err).toString().trim().split('\n');
      const why = lines[lines.length - 1] || (signal ? `killed by ${signal}` : `exit code ${code}`);
      reject(new ContainerdError('ctr', `ctr ${args.slice(0, 2).join(' ')}: ${why}`));
    });
  });
}
