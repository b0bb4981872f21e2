/**
 * Snapshot files in the snapshot folder, named as k3s names them: NAME-NODE-TIMESTAMP (unix
 * seconds). Listing reads each file's header; anything that is not a tsk snapshot is skipped.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readHeader, type SnapshotHeader } from './format.ts';
import { SnapshotError } from './errors.ts';

export interface SnapshotFile {
  name: string;
  file: string;
  size: number;
  header: SnapshotHeader;
}

/** A free file name for a snapshot taken now; a second one in the same second gets a suffix. */
export function snapshotFileName(dir: string, name: string, node: string, now: Date): string {
  const base = `${name}-${node}-${Math.floor(now.getTime() / 1000)}`;
  let candidate = base;
  for (let i = 2; fs.existsSync(path.join(dir, candidate)); i++) candidate = `${base}-${i}`;
  return candidate;
}

/** Snapshots in `dir`, oldest first. */
export function listSnapshots(dir: string): SnapshotFile[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const found: SnapshotFile[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const file = path.join(dir, name);
    try {
      const stat = fs.statSync(file);
      if (!stat.isFile()) continue;
      found.push({ name, file, size: stat.size, header: readHeader(file).header });
    } catch {
      // Not a snapshot (or removed meanwhile): not ours to list.
    }
  }
  return found.sort((a, b) => a.header.created.localeCompare(b.header.created) || a.name.localeCompare(b.name));
}

/** Removes the named snapshots; an unknown name is an error, after the others are removed. */
export function deleteSnapshots(dir: string, names: string[]): string[] {
  const known = new Set(listSnapshots(dir).map((s) => s.name));
  const missing = names.filter((n) => !known.has(n));
  const removed = names.filter((n) => known.has(n));
  for (const name of removed) fs.rmSync(path.join(dir, name), { force: true });
  if (missing.length > 0) throw new SnapshotError('not-found', `no snapshot named ${missing.join(', ')} in ${dir}`);
  return removed;
}

/**
 * Keeps the newest `retention` snapshots whose name starts with PREFIX-NODE- (k3s prunes per
 * base name and node, so on-demand snapshots are not pruned by the schedule); 0 keeps all.
 */
export function pruneSnapshots(dir: string, prefix: string, node: string, retention: number): string[] {
  if (retention <= 0) return [];
  const mine = listSnapshots(dir).filter((s) => s.name.startsWith(`${prefix}-${node}-`));
  const excess = mine.slice(0, Math.max(0, mine.length - retention));
  for (const s of excess) fs.rmSync(s.file, { force: true });
  return excess.map((s) => s.name);
}
