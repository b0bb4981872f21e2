/**
 * The real dist/tsk for integration tests (scripts/test.sh runs `make` first). Every process
 * started here is killed by PID when the test file ends, even if a test failed half way.
 * The environment is the caller's minus TSK_* variables, which would otherwise leak a
 * developer's settings into the flags under test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** TSK_TEST_BIN swaps in another launcher (a profiling wrapper, say) without touching the tests. */
export const TSK_BIN = process.env.TSK_TEST_BIN ?? path.join(ROOT, 'dist', 'tsk');

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
});

export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TSK_')));
  return { ...env, ...extra };
}

export interface TskOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Another copy of the executable (default dist/tsk). */
  bin?: string;
}

export interface TskProcess {
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
  /** Resolves once stderr matches `pattern`; rejects if the process exits first or after `ms`. */
  waitForLog(pattern: RegExp, ms?: number): Promise<void>;
  signal(sig: NodeJS.Signals): void;
  /** SIGKILL by PID if still running, and wait for the exit. Idempotent. */
  kill(): Promise<void>;
}

export function startTsk(args: string[], options: TskOptions = {}): TskProcess {
  const bin = options.bin ?? TSK_BIN;
  if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: run make first`);
  const child = spawn(bin, args, { cwd: options.cwd, env: options.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    for (const l of listeners) l();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('close', (code, signal) => {
      running.delete(child);
      for (const l of listeners) l();
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const done = () => child.exitCode !== null || child.signalCode !== null;
  return {
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLog: (pattern, ms = 60_000) => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no log line matching ${pattern} after ${ms} ms:\n${err}`)), ms);
      const finish = (error?: Error) => {
        clearTimeout(timer);
        listeners.delete(check);
        if (error) reject(error);
        else resolve();
      };
      const check = () => {
        if (pattern.test(err)) finish();
        else if (done()) finish(new Error(`tsk exited (${child.exitCode ?? child.signalCode}) before logging ${pattern}:\n${err}`));
      };
      listeners.add(check);
      check();
    }),
    signal: (sig) => {
      if (!done()) process.kill(child.pid!, sig);
    },
    kill: async () => {
      if (!done()) process.kill(child.pid!, 'SIGKILL');
      await exited;
    },
  };
}

/** Runs a command that ends by itself (help, errors, --print-config); killed after 60 s. */
export async function runTsk(args: string[], options: TskOptions = {}): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const proc = startTsk(args, options);
  const timer = setTimeout(() => void proc.kill(), 60_000);
  const code = await proc.exited;
  clearTimeout(timer);
  return { code, stdout: proc.stdout(), stderr: proc.stderr() };
}
