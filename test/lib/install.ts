/**
 * A sandbox for scripts/install.sh: a temp root (INSTALL_TSK_TEST_ROOT) holding the bin and
 * systemd dirs, a fake init system (the /run/systemd/system marker or /sbin/openrc-run), and
 * fake systemctl / rc-update / rc-service first on PATH that only record their calls. Nothing
 * outside the root is written; the installer's package installs are skipped unless a test puts
 * fake package managers on PATH itself.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Netns } from '../../pkg/network/testkit.ts';
import { ROOT } from './tsk.ts';

export const INSTALL_SH = path.join(ROOT, 'scripts', 'install.sh');

/** The shells install.sh must run under, as argv prefixes. */
export const SHELLS: Record<string, string[]> = {
  dash: ['/bin/dash'],
  'busybox ash': ['/bin/busybox', 'ash'],
};

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface InstallSandbox {
  root: string;
  binDir: string;
  systemdDir: string;
  initDir: string;
  /** Where fakes live; first on PATH. */
  fakes: string;
  /** The recorded init-system calls, one "tool args" line each. */
  calls(): string[];
  /** An executable fake at fakes/NAME with this sh body. */
  fake(name: string, body: string): void;
  /** Runs `argv` (a shell and a script, usually) with the sandbox's environment plus `env`. */
  run(argv: string[], env?: NodeJS.ProcessEnv): Promise<RunResult>;
  /**
   * Runs `argv` in a network namespace of its own (mounts shared, as nsenter does): for
   * tsk-killall.sh and the uninstall scripts, which remove tsk's network state from whatever
   * namespace they run in and must never touch the host's (another test's agent may use it).
   */
  runIsolated(argv: string[], env?: NodeJS.ProcessEnv): Promise<RunResult>;
  /** Runs install.sh under `shell` with `args`. */
  install(shell: string[], env?: NodeJS.ProcessEnv, args?: string[]): Promise<RunResult>;
  remove(): void;
}

export interface SandboxOptions {
  init: 'systemd' | 'openrc' | 'none';
}

/** Async: a test may serve the release over loopback HTTP from this process meanwhile. */
export function runProcess(argv: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function createInstallSandbox(options: SandboxOptions): InstallSandbox {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-install-'));
  const binDir = path.join(root, 'usr', 'local', 'bin');
  const systemdDir = path.join(root, 'etc', 'systemd', 'system');
  const initDir = path.join(root, 'etc', 'init.d');
  const fakes = path.join(root, 'fakes');
  const log = path.join(root, 'calls.log');
  fs.mkdirSync(fakes, { recursive: true });
  const fake = (name: string, body: string) => {
    fs.writeFileSync(path.join(fakes, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  };
  for (const tool of ['systemctl', 'rc-update', 'rc-service']) fake(tool, `echo "${tool} $*" >> '${log}'`);
  if (options.init === 'systemd') fs.mkdirSync(path.join(root, 'run', 'systemd', 'system'), { recursive: true });
  if (options.init === 'openrc') {
    fs.mkdirSync(path.join(root, 'sbin'), { recursive: true });
    fs.writeFileSync(path.join(root, 'sbin', 'openrc-run'), '#!/bin/sh\n', { mode: 0o755 });
  }
  // A memory cgroup as the kernel lists it, so the warning depends on the test, not the host.
  fs.mkdirSync(path.join(root, 'proc'), { recursive: true });
  fs.writeFileSync(path.join(root, 'proc', 'cgroups'), '#subsys_name\thierarchy\tnum_cgroups\tenabled\nmemory\t4\t1\t1\n');
  const baseEnv = (): NodeJS.ProcessEnv => {
    // The variables install.sh copies into env files come only from the test.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TSK_|INSTALL_TSK_|(http|https|no)_proxy$)/i.test(k)));
    return {
      ...env,
      PATH: `${fakes}:${process.env.PATH}`,
      INSTALL_TSK_TEST_ROOT: root,
      INSTALL_TSK_BIN_DIR: binDir,
      INSTALL_TSK_SYSTEMD_DIR: systemdDir,
      INSTALL_TSK_SKIP_DEPS: 'true',
    };
  };
  const run = (argv: string[], env: NodeJS.ProcessEnv = {}) => runProcess(argv, { ...baseEnv(), ...env });
  return {
    root,
    binDir,
    systemdDir,
    initDir,
    fakes,
    calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
    fake,
    run,
    runIsolated: async (argv, env = {}) => {
      const netns = Netns.create('tsk-install');
      try {
        return await run(['/usr/bin/nsenter', `--net=${netns.path}`, ...argv], env);
      } finally {
        netns.remove();
      }
    },
    install: (shell, env = {}, args = []) => run([...shell, INSTALL_SH, ...args], env),
    remove: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

/** Every file and folder under `dir`, relative, sorted (what a sandbox holds). */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = path.join(rel, entry.name);
      out.push(entry.isDirectory() ? `${child}/` : child);
      if (entry.isDirectory()) walk(child);
    }
  };
  walk('');
  return out.sort();
}

/** The words of a unit's ExecStart= line as systemd reads them (double quotes, \\ and \" escapes, $$ and %%). */
export function unitExecStart(unit: string): string[] {
  const line = /^ExecStart=(.*)$/m.exec(unit)?.[1];
  if (line === undefined) throw new Error('the unit has no ExecStart line');
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1').replace(/\$\$/g, '$').replace(/%%/g, '%') : m[2]!));
}

/** KEY='value' lines of an env file install.sh wrote (values single-quoted for sh). */
export function readEnvFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const eq = line.indexOf('=');
    out[line.slice(0, eq)] = line.slice(eq + 1).replace(/^'|'$/g, '').replace(/'\\''/g, "'");
  }
  return out;
}
