/**
 * Writing a snapshot of a datastore that this process has open (the server's own, or one the
 * CLI opened because no server runs). The file is written under a dot-name and renamed once
 * complete and fsynced, so a listed snapshot is always whole.
 */
import fs from 'node:fs';
import path from 'node:path';
import { VERSION } from '../cli/version.ts';
import type { Backend } from '../kv/types.ts';
import { SnapshotWriter, type SnapshotHeader } from './format.ts';
import { removeStaleParts, snapshotFileName } from './files.ts';
import { isCompactedDuringSave, pagedChunks } from './source.ts';

export interface SaveOptions {
  dir: string;
  /** Base name: on-demand for `save`, --etcd-snapshot-name for the schedule. */
  name: string;
  node: string;
  compress: boolean;
}

export interface SavedSnapshot {
  name: string;
  file: string;
  size: number;
  revision: number;
  keys: number;
  leases: number;
  source: 'sqlite' | 'etcd';
  ms: number;
}

function sourceKind(backend: Backend): 'sqlite' | 'etcd' {
  return backend.name.startsWith('sqlite') ? 'sqlite' : 'etcd';
}

async function saveOnce(backend: Backend, options: SaveOptions, started: number): Promise<SavedSnapshot> {
  fs.mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const now = new Date();
  removeStaleParts(options.dir, now.getTime());
  const name = snapshotFileName(options.dir, options.name, options.node, now);
  const file = path.join(options.dir, name);
  const tmp = path.join(options.dir, `.${name}.part`);
  fs.rmSync(tmp, { force: true });
  const chunks = pagedChunks(backend);
  const first = await chunks.next();
  if (first.done || first.value.type !== 'pinned') throw new Error('snapshot source did not pin a revision');
  const pinned = first.value;
  const header: SnapshotHeader = {
    format: 1,
    source: sourceKind(backend),
    revision: pinned.revision,
    compactRevision: pinned.compactRevision,
    created: now.toISOString(),
    node: options.node,
    tskVersion: VERSION,
    compressed: options.compress,
  };
  const writer = new SnapshotWriter(tmp, header);
  try {
    for (const lease of pinned.leases) await writer.lease(lease);
    for await (const chunk of chunks) {
      if (chunk.type === 'kvs') for (const kv of chunk.kvs) await writer.kv(kv);
    }
    const counts = await writer.finish();
    fs.renameSync(tmp, file);
    return { name, file, size: fs.statSync(file).size, revision: pinned.revision, ...counts, source: header.source, ms: Date.now() - started };
  } catch (err) {
    writer.abort();
    await chunks.return(undefined);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** Saves one snapshot; repeats (twice at most) when compaction overtook the pinned revision. */
export async function saveSnapshot(backend: Backend, options: SaveOptions): Promise<SavedSnapshot> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await saveOnce(backend, options, started);
    } catch (err) {
      if (attempt >= 3 || !isCompactedDuringSave(err)) throw err;
    }
  }
}
