/**
 * ManagedContainerd: the agent's containerd as a supervised child process, the way k3s runs
 * it. Containers do not depend on it staying up: each runs under its own containerd-shim, in its
 * own process group, so containerd may die, be restarted, or be stopped with the agent while
 * pods keep running; a new containerd reconnects to the shims it finds in its state dir.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Logger, logger } from '../log/log.ts';
import { type ContainerdConfigOptions, containerdPaths, type ContainerdPaths, type Snapshotter, writeContainerdConfig } from './config.ts';
import { type Ctr, findExecutable, INSTALL_HINT, runCtr, searchPath } from './ctr.ts';
import { ContainerdError } from './errors.ts';
import { pauseImageName } from './pause.ts';
import { probeSnapshotter } from './snapshotter.ts';
import { pickStreamServerPort } from './streamport.ts';

export interface ManagedContainerdOptions extends Omit<ContainerdConfigOptions, 'snapshotter' | 'sandboxImage'> {
  /** Default: tsk's built-in pause image, which ImageFolder imports at every start. */
  sandboxImage?: string;
  /** Path of containerd; default: looked up on PATH. ctr is looked up beside it, then on PATH. */
  binary?: string;
  /** Default: overlayfs if the kernel mounts it under containerd's root, else native. */
  snapshotter?: Snapshotter;
  /** How long containerd may take to answer after a (re)start. */
  readyTimeoutMs?: number;
  /** SIGTERM, then SIGKILL after this long. */
  stopGraceMs?: number;
  log?: Logger;
}

const RESTART_BACKOFF_MS = { first: 1000, max: 30_000 };
/** A containerd that ran this long before dying restarts at the first back-off step again. */
const STABLE_AFTER_MS = 60_000;
/** The log is rotated (one old copy kept) when a start finds it larger than this. */
const LOG_ROTATE_BYTES = 20 * 1024 * 1024;

export class ManagedContainerd {
  readonly paths: ContainerdPaths;
  readonly snapshotter: Snapshotter;
  readonly ctr: Ctr;
  /** How many times containerd died and was started again. */
  restarts = 0;
  private readonly binary: string;
  private readonly log: Logger;
  private child: ChildProcess | undefined;
  private stopping = false;
  private backoffMs = RESTART_BACKOFF_MS.first;
  private restartTimer: NodeJS.Timeout | undefined;
  /** The agent exiting without stop() (an uncaught error) must not leave containerd behind. */
  private readonly killOnExit = () => {
    try {
      if (this.child?.pid !== undefined && this.child.exitCode === null) process.kill(this.child.pid, 'SIGTERM');
    } catch {}
  };

  constructor(private readonly options: ManagedContainerdOptions) {
    const binary = options.binary ?? findExecutable('containerd');
    if (!binary || !fs.existsSync(binary)) throw new ContainerdError('not-found', `${options.binary ? `containerd not found at ${options.binary}` : 'containerd not found on PATH'}: ${INSTALL_HINT}`);
    const besideBinary = `${binary.slice(0, binary.lastIndexOf('/'))}/ctr`;
    const ctr = fs.existsSync(besideBinary) ? besideBinary : findExecutable('ctr');
    if (!ctr) throw new ContainerdError('not-found', `ctr (containerd's CLI) not found beside ${binary} nor on PATH: ${INSTALL_HINT}`);
    this.binary = binary;
    this.log = options.log ?? logger('containerd');
    this.snapshotter = options.snapshotter ?? probeSnapshotter(options.dir);
    // The config itself is written at every (re)start: its streaming port is chosen then.
    this.paths = containerdPaths(options.dir);
    this.ctr = { binary: ctr, address: this.paths.socket };
  }

  /** The containerd gRPC socket: the CRI endpoint (`unix://` + this). */
  get address(): string {
    return this.paths.socket;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts containerd and resolves once it answers with a loaded CRI plugin. */
  async start(): Promise<void> {
    this.stopping = false;
    await this.stopLeftover();
    process.on('exit', this.killOnExit);
    try {
      await this.spawnAndWait();
    } catch (err) {
      // Alive but useless (no CRI plugin, never answered): do not leave it running.
      await this.stop();
      throw err;
    }
  }

  /** SIGTERM, SIGKILL after the grace; shims (and so containers) keep running, as in k3s. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    process.off('exit', this.killOnExit);
    const child = this.child;
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      await terminate(child.pid, () => child.exitCode !== null || child.signalCode !== null, this.options.stopGraceMs ?? 10_000);
    }
    fs.rmSync(this.paths.pidFile, { force: true });
  }

  private async spawnAndWait(): Promise<void> {
    // Chosen again at every (re)start: the port free last time may be taken now.
    const streamServerPort = this.options.streamServerPort ?? (await pickStreamServerPort());
    writeContainerdConfig({ ...this.options, sandboxImage: this.options.sandboxImage ?? pauseImageName(), snapshotter: this.snapshotter, streamServerPort });
    rotateLog(this.paths.log);
    const logFd = fs.openSync(this.paths.log, 'a', 0o600);
    const started = Date.now();
    // Its own process group: a Ctrl-C meant for the agent must not reach containerd, whose
    // lifetime the agent decides (stop(), or the exit hook).
    const child = spawn(this.binary, ['--config', this.paths.config], { stdio: ['ignore', logFd, logFd], detached: true, env: { ...process.env, PATH: searchPath() } });
    fs.closeSync(logFd);
    this.child = child;
    child.on('error', (err) => this.log.error(`containerd: ${err.message}`));
    child.on('exit', (code, signal) => this.exited(child, started, code, signal));
    if (child.pid !== undefined) fs.writeFileSync(this.paths.pidFile, `${child.pid}\n`);
    await this.waitReady(child);
    this.log.info(`containerd ${child.pid} ready on ${this.paths.socket} (snapshotter ${this.snapshotter})`);
  }

  private exited(child: ChildProcess, started: number, code: number | null, signal: string | null): void {
    if (this.stopping || child !== this.child) return;
    if (Date.now() - started > STABLE_AFTER_MS) this.backoffMs = RESTART_BACKOFF_MS.first;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, RESTART_BACKOFF_MS.max);
    this.log.warn(`containerd exited (${signal ?? `code ${code}`}): ${lastLogLine(this.paths.log)}; restarting in ${delay / 1000}s`);
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.restarts++;
      this.spawnAndWait().catch((err: Error) => this.log.error(`containerd restart: ${err.message}`));
    }, delay);
  }

  /** Polls until `ctr version` answers, then checks that the CRI plugin loaded. */
  private async waitReady(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 60_000);
    const gone = () => child.exitCode !== null || child.signalCode !== null;
    let lastError = 'no socket yet';
    while (Date.now() < deadline) {
      if (gone()) throw new ContainerdError('exited', `containerd exited at start (${child.signalCode ?? `code ${child.exitCode}`}): ${lastLogLine(this.paths.log)} (see ${this.paths.log})`);
      if (fs.existsSync(this.paths.socket)) {
        try {
          await runCtr(this.ctr, ['version']);
          return await this.checkCriPlugin();
        } catch (err) {
          if (err instanceof ContainerdError && err.code === 'not-ready') throw err;
          lastError = (err as Error).message;
        }
      }
      await sleep(100);
    }
    throw new ContainerdError('not-ready', `containerd did not answer on ${this.paths.socket}: ${lastError} (see ${this.paths.log})`);
  }

  private async checkCriPlugin(): Promise<void> {
    const plugins = await runCtr(this.ctr, ['plugins', 'ls']);
    const cri = plugins.split('\n').find((line) => /^io\.containerd\.grpc\.v1\s+cri\s/.test(line));
    if (!cri || !/\sok\s*$/.test(cri)) throw new ContainerdError('not-ready', `containerd's CRI plugin did not load (${cri?.trim().split(/\s+/).pop() ?? 'missing'}): see ${this.paths.log}`);
  }

  /**
   * A containerd the previous agent left behind (the agent was killed before it could stop
   * it) still holds our socket and its database lock: end it first. The pid file alone could
   * name a recycled pid, so the process must also be running our config.
   */
  private async stopLeftover(): Promise<void> {
    let pid: number;
    try {
      pid = Number(fs.readFileSync(this.paths.pidFile, 'utf8').trim());
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (!cmdline.includes(this.paths.config)) return;
    } catch {
      return;
    }
    this.log.warn(`stopping containerd ${pid} left running by a previous agent`);
    await terminate(pid, () => !fs.existsSync(`/proc/${pid}`) || isZombie(pid), this.options.stopGraceMs ?? 10_000);
  }
}

function isZombie(pid: number): boolean {
  try {
    return /\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

async function terminate(pid: number, ended: () => boolean, graceMs: number): Promise<void> {
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch {}
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (!ended() && Date.now() < deadline) await sleep(50);
  if (ended()) return;
  signal('SIGKILL');
  while (!ended()) await sleep(20);
}

function rotateLog(file: string): void {
  try {
    if (fs.statSync(file).size > LOG_ROTATE_BYTES) fs.renameSync(file, `${file}.1`);
  } catch {}
}

/** The last line containerd logged: usually why it exited. */
function lastLogLine(file: string): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const buffer = Buffer.alloc(Math.min(size, 4096));
      fs.readSync(fd, buffer, 0, buffer.length, size - buffer.length);
      const lines = buffer.toString().trim().split('\n');
      return lines[lines.length - 1] || 'no output';
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return 'no log';
  }
}
