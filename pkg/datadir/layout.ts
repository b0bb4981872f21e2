/**
 * The data dir layout (DESIGN.md, "Files"). Everything under server/ holds secrets (CA keys,
 * the join token, the datastore), so it is 0700. The data dir itself and agent/ stay
 * traversable (0755): a container running as a non-root user must reach its root file
 * system under agent/containerd, as in k3s.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DataDirError } from './errors.ts';

export interface DataDirLayout {
  root: string;
  server: { root: string; db: string; tls: string; cred: string; manifests: string };
  agent: { root: string; images: string; containerd: string; podLogs: string };
}

export function dataDirLayout(root: string): DataDirLayout {
  const server = path.join(root, 'server');
  const agent = path.join(root, 'agent');
  return {
    root,
    server: {
      root: server,
      db: path.join(server, 'db'),
      tls: path.join(server, 'tls'),
      cred: path.join(server, 'cred'),
      manifests: path.join(server, 'manifests'),
    },
    agent: {
      root: agent,
      images: path.join(agent, 'images'),
      containerd: path.join(agent, 'containerd'),
      podLogs: path.join(agent, 'logs', 'pods'),
    },
  };
}

/**
 * Creates the folder with `mode`, or tightens an existing one to it when `secret`. mkdir's mode
 * is filtered by the umask, hence the chmod; directories the user made looser than we would
 * are left alone unless they hold secrets.
 */
function ensureDir(dir: string, mode: number, secret: boolean): void {
  try {
    const created = fs.mkdirSync(dir, { recursive: true, mode }) !== undefined;
    const stat = fs.statSync(dir);
    if (!stat.isDirectory()) throw new DataDirError('not-a-directory', `${dir} is not a directory`);
    if (created || (secret && (stat.mode & 0o077) !== 0)) fs.chmodSync(dir, mode);
  } catch (err) {
    if (err instanceof DataDirError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EEXIST' || e.code === 'ENOTDIR') throw new DataDirError('not-a-directory', `${dir} (or a parent) is not a directory`, { cause: err });
    throw new DataDirError('permission', `cannot create ${dir}: ${e.code ?? e.message} (run as root, or choose another --data-dir)`, { cause: err });
  }
}

/** Creates the data dir and the server's folders; the agent's too when this process runs one. */
export function prepareDataDir(root: string, options: { server: boolean; agent: boolean }): DataDirLayout {
  const layout = dataDirLayout(root);
  ensureDir(root, 0o755, false);
  if (options.server) {
    ensureDir(layout.server.root, 0o700, true);
    for (const dir of [layout.server.db, layout.server.tls, layout.server.cred, layout.server.manifests]) ensureDir(dir, 0o700, true);
  }
  if (options.agent) {
    ensureDir(layout.agent.root, 0o755, false);
    ensureDir(layout.agent.images, 0o755, false);
    // containerd's own root/state are 0711, and it keeps what it creates below them.
    ensureDir(layout.agent.containerd, 0o711, false);
    ensureDir(layout.agent.podLogs, 0o755, false);
  }
  return layout;
}
