/**
 * `tsk etcd-snapshot save|ls|delete|prune|restore`, named as k3s names them. `save` asks a
 * running server through its control socket (it holds the store and the in-memory volatile
 * keys); with no server on the data dir it takes the data dir lock and opens the store itself.
 * `ls`, `delete` and `prune` work on the files alone. `restore` refuses while a server holds
 * the data dir.
 */
import fs from 'node:fs';
import type { EtcdSnapshotConfig, ServerConfig } from '../cli/commands.ts';
import { DataDirError } from '../datadir/errors.ts';
import { lockDataDir } from '../datadir/lock.ts';
import { dataDirLayout } from '../datadir/layout.ts';
import { openBackend, parseDatastoreEndpoint } from '../kv/open.ts';
import { requestSnapshot } from './control.ts';
import { SnapshotError } from './errors.ts';
import { deleteSnapshots, listSnapshots, pruneSnapshots } from './files.ts';
import { restoreSnapshot, type RestoreResult } from './restore.ts';
import { saveSnapshot, type SavedSnapshot } from './save.ts';

type Out = (text: string) => void;

async function save(config: EtcdSnapshotConfig): Promise<SavedSnapshot> {
  const request = { dir: config.dir, name: config.name, compress: config.compress };
  const layout = dataDirLayout(config.dataDir);
  const answered = await requestSnapshot(layout.server.db, request);
  if (answered) return answered;
  let lock;
  try {
    lock = await lockDataDir(config.dataDir);
  } catch (err) {
    if (err instanceof DataDirError && err.code === 'in-use') {
      throw new SnapshotError('in-use', `${err.message.split(';')[0]}, and it does not answer on ${layout.server.db}/snapshot.sock (an older tsk?)`, { cause: err });
    }
    throw err;
  }
  try {
    const target = parseDatastoreEndpoint(config.datastoreEndpoint, config.dataDir);
    if (target.kind === 'sqlite' && !fs.existsSync(target.file)) throw new SnapshotError('not-found', `no datastore at ${target.file} to snapshot`);
    const backend = await openBackend({ endpoint: config.datastoreEndpoint, dataDir: config.dataDir, volatilePrefixes: config.volatilePrefixes });
    try {
      return await saveSnapshot(backend, { ...request, node: config.nodeName });
    } finally {
      await backend.close();
    }
  } finally {
    await lock.release();
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

function restore(file: string, dataDir: string, datastoreEndpoint: string | undefined, volatilePrefixes: string[]): Promise<RestoreResult> {
  return restoreSnapshot({ file, dataDir, datastoreEndpoint, volatilePrefixes, openEtcd: (endpoint) => openBackend({ endpoint, dataDir }) });
}

/** k3s's `server --cluster-reset --cluster-reset-restore-path FILE`: the restore, then exit. */
export async function clusterResetRestore(config: ServerConfig, file: string, out: Out = (t) => process.stdout.write(t)): Promise<number> {
  const r = await restore(file, config.dataDir, config.datastoreEndpoint, config.datastoreVolatilePrefixes);
  out(`restored ${r.keys} keys from ${file} into ${r.target} (revision ${r.revision}); start tsk server again without --cluster-reset\n`);
  return 0;
}

export async function runEtcdSnapshot(config: EtcdSnapshotConfig, args: string[], out: Out = (t) => process.stdout.write(t)): Promise<number> {
  switch (config.command) {
    case 'etcd-snapshot save': {
      const s = await save(config);
      out(`saved ${s.file}: ${s.keys} keys, ${s.leases} leases at revision ${s.revision} (${s.source}), ${s.size} bytes in ${s.ms} ms\n`);
      return 0;
    }
    case 'etcd-snapshot ls': {
      const rows = [['Name', 'Location', 'Size', 'Created', 'Revision', 'Source']];
      for (const s of listSnapshots(config.dir)) {
        rows.push([s.name, `file://${s.file}`, String(s.size), s.header.created, String(s.header.revision), s.header.source + (s.header.compressed ? ', gzip' : '')]);
      }
      out(table(rows));
      return 0;
    }
    case 'etcd-snapshot delete': {
      if (args.length === 0) throw new SnapshotError('not-found', 'name the snapshots to delete (see tsk etcd-snapshot ls)');
      for (const name of deleteSnapshots(config.dir, args)) out(`deleted ${name}\n`);
      return 0;
    }
    case 'etcd-snapshot prune': {
      for (const name of pruneSnapshots(config.dir, config.name, config.nodeName, config.retention)) out(`pruned ${name}\n`);
      return 0;
    }
    case 'etcd-snapshot restore': {
      if (args.length !== 1) throw new SnapshotError('not-found', 'restore takes one snapshot: a file path, or a name in the snapshot folder');
      const file = args[0]!.includes('/') ? args[0]! : `${config.dir}/${args[0]}`;
      const r = await restore(file, config.dataDir, config.datastoreEndpoint, config.volatilePrefixes);
      out(`restored ${r.keys} keys and ${r.leases} leases from ${file} (${r.header.source}, revision ${r.header.revision}) into ${r.target}, now at revision ${r.revision}; start the server\n`);
      return 0;
    }
  }
}
