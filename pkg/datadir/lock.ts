/**
 * One live tsk per data dir. The lock is a listening Linux *abstract* unix socket whose name
 * is derived from the data dir; the kernel guarantees that only one process can bind a name
 * and releases it the instant the holder dies, kill -9 included. So:
 *   - no stale lock after a crash, and no "is that PID still a tsk?" guessing (PID files go
 *     stale and PIDs get reused; Node has no flock/fcntl to lean on instead);
 *   - acquiring is a single atomic bind(): two processes starting together cannot both win;
 *   - the holder answers connections with its PID, so the refusal names it;
 *   - Node opens sockets close-on-exec, so children (a managed containerd) do not inherit it
 *     and cannot keep a dead tsk's lock alive.
 * The name hashes the dir's device and inode (any path, symlink or bind mount to the same dir
 * gives the same name) and a random id stored in the dir readable by its owner only, so an
 * unprivileged user cannot squat the name and stop tsk from starting. Limit: abstract sockets
 * are per network namespace, so two tsk processes in different network namespaces sharing a
 * dir are not detected. Other platforms (no abstract sockets) fall back to a PID file.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { DataDirError } from './errors.ts';

export interface DataDirLock {
  /** Frees the lock early (it is freed anyway when the process exits). */
  release(): Promise<void>;
}

const ID_FILE = '.tsk-lock-id';

/** The random part of the lock name, created once per data dir, atomically. */
function lockId(dataDir: string): string {
  const file = path.join(dataDir, ID_FILE);
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  // Write aside then link(): link fails if another starter got there first, and a reader
  // never sees a half-written file.
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
  fs.writeFileSync(tmp, `${crypto.randomBytes(16).toString('hex')}\n`, { mode: 0o600 });
  try {
    fs.linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    fs.unlinkSync(tmp);
  }
  return fs.readFileSync(file, 'utf8').trim();
}

function socketName(dataDir: string): string {
  const stat = fs.statSync(dataDir);
  const hash = crypto.createHash('sha256').update(`${stat.dev}:${stat.ino}:${lockId(dataDir)}`).digest('hex');
  return `\0tsk-datadir-${hash.slice(0, 40)}`;
}

/** Asks the holder for its PID; undefined if it does not answer in time. */
function holderPid(name: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const socket = net.connect(name);
    const done = (pid: number | undefined) => {
      socket.destroy();
      resolve(pid);
    };
    socket.setTimeout(2000, () => done(undefined));
    socket.on('data', (d) => {
      text += d.toString();
    });
    socket.on('end', () => done(/^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined));
    socket.on('error', () => done(undefined));
  });
}

function inUse(dataDir: string, pid: number | undefined): DataDirError {
  const who = pid === undefined ? 'another tsk process' : `another tsk process (pid ${pid})`;
  return new DataDirError('in-use', `data dir ${dataDir} is in use by ${who}; stop it first or choose another --data-dir`);
}

async function lockWithAbstractSocket(dataDir: string): Promise<DataDirLock> {
  const name = socketName(dataDir);
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.end(`${process.pid}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(name, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') throw inUse(dataDir, await holderPid(name));
    throw err;
  });
  // The lock must not keep the process alive once everything else has shut down.
  server.unref();
  return { release: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Without abstract sockets: a PID file, taken over when its process is gone. */
function lockWithPidFile(dataDir: string): DataDirLock {
  const file = path.join(dataDir, 'tsk.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
      return { release: async () => fs.rmSync(file, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) throw inUse(dataDir, pid);
    fs.rmSync(file, { force: true });
  }
  throw inUse(dataDir, undefined);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the data dir for this process, or throws DataDirError('in-use') naming the holder. */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  return process.platform === 'linux' ? lockWithAbstractSocket(dataDir) : lockWithPidFile(dataDir);
}
