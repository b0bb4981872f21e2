/**
 * How `tsk etcd-snapshot save` reaches a running server: a unix socket at
 * DATA_DIR/server/db/snapshot.sock. The server must take the snapshot itself — it alone holds
 * the in-memory volatile keys and the store's lock — and the socket needs no credentials:
 * it sits in server/, which only the data dir's owner can enter (0700), and is itself 0600.
 * One request per connection, one JSON line each way.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { logger } from '../log/log.ts';
import { SnapshotError } from './errors.ts';
import type { SaveOptions, SavedSnapshot } from './save.ts';

export const SOCKET_NAME = 'snapshot.sock';

export function controlSocketPath(dbDir: string): string {
  return path.join(dbDir, SOCKET_NAME);
}

interface Reply {
  ok: boolean;
  snapshot?: SavedSnapshot;
  error?: string;
}

/** Longest path a unix socket address can hold on Linux (sun_path, with its NUL). */
const MAX_SOCKET_PATH = 107;

export interface ControlServer {
  close(): Promise<void>;
}

/** Serves save requests; `save` is the server's own (its backend, its node name). */
export async function serveSnapshotControl(dbDir: string, save: (options: Pick<SaveOptions, 'dir' | 'name' | 'compress'>) => Promise<SavedSnapshot>): Promise<ControlServer | undefined> {
  const log = logger('snapshot');
  const file = controlSocketPath(dbDir);
  if (Buffer.byteLength(file) > MAX_SOCKET_PATH) {
    log.warn(`${file} is too long for a unix socket: "tsk etcd-snapshot save" cannot reach this server (use a shorter --data-dir)`);
    return undefined;
  }
  // A socket file left by a server that died: the data dir lock says nobody else uses it.
  fs.rmSync(file, { force: true });
  const server = net.createServer((socket) => {
    let text = '';
    socket.on('error', () => {});
    socket.on('data', (d) => {
      text += d.toString();
      if (!text.includes('\n')) return;
      socket.pause();
      void answer(text.slice(0, text.indexOf('\n'))).then((reply) => socket.end(`${JSON.stringify(reply)}\n`));
    });
  });
  const answer = async (line: string): Promise<Reply> => {
    try {
      const req = JSON.parse(line) as { op?: string; dir?: string; name?: string; compress?: boolean };
      if (req.op !== 'save' || typeof req.dir !== 'string' || !path.isAbsolute(req.dir) || typeof req.name !== 'string') {
        return { ok: false, error: 'bad request' };
      }
      const snapshot = await save({ dir: req.dir, name: req.name, compress: req.compress === true });
      log.info(`saved snapshot ${snapshot.name} (${snapshot.keys} keys at revision ${snapshot.revision}) on request`);
      return { ok: true, snapshot };
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(file, () => {
      server.off('error', reject);
      resolve();
    });
  });
  fs.chmodSync(file, 0o600);
  return {
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      fs.rmSync(file, { force: true });
    }),
  };
}

/**
 * Asks the server on `dbDir` for a snapshot. Undefined when no server listens there (no socket
 * file, or nobody behind it): the caller then opens the datastore itself.
 */
export function requestSnapshot(dbDir: string, options: Pick<SaveOptions, 'dir' | 'name' | 'compress'>): Promise<SavedSnapshot | undefined> {
  const file = controlSocketPath(dbDir);
  return new Promise((resolve, reject) => {
    let text = '';
    let connected = false;
    const socket = net.connect(file, () => {
      connected = true;
      socket.write(`${JSON.stringify({ op: 'save', ...options })}\n`);
    });
    socket.on('data', (d) => {
      text += d.toString();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected && (err.code === 'ENOENT' || err.code === 'ECONNREFUSED')) resolve(undefined);
      else reject(new SnapshotError('in-use', `the server on ${dbDir} did not answer: ${err.message}`));
    });
    socket.on('end', () => {
      try {
        const reply = JSON.parse(text) as Reply;
        if (reply.ok && reply.snapshot) resolve(reply.snapshot);
        else reject(new Error(`the server could not save a snapshot: ${reply.error ?? 'no answer'}`));
      } catch {
        reject(new SnapshotError('in-use', `the server on ${dbDir} gave no answer`));
      }
    });
  });
}
