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

/** The names in `dir`; none when it does not exist yet. */
function namesIn(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Snapshots in `dir`, oldest first. */
export function listSnapshots(dir: string): SnapshotFile[] {
  const names = namesIn(dir);
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

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Whether `s` is a snapshot PREFIX-NODE-<unix seconds>[-N] (as snapshotFileName names them) taken
 * by NODE. A name alone is ambiguous in a folder nodes share (node "a"'s "p-a-1-1700000000"
 * could be node "a-1"'s), so the node in the header must match too.
 */
function isNamed(s: SnapshotFile, prefix: string, node: string): boolean {
  return s.header.node === node && new RegExp(`^${escapeRegExp(prefix)}-${escapeRegExp(node)}-\\d+(-\\d+)?$`).test(s.name);
}

/**
 * Keeps the newest `retention` snapshots named PREFIX-NODE-<time> of this node (k3s prunes per
 * base name and node, so on-demand snapshots are not pruned by the schedule); 0 keeps all.
 */
export function pruneSnapshots(dir: string, prefix: string, node: string, retention: number): string[] {
  if (retention <= 0) return [];
  const mine = listSnapshots(dir).filter((s) => isNamed(s, prefix, node));
  const excess = mine.slice(0, Math.max(0, mine.length - retention));
  for (const s of excess) fs.rmSync(s.file, { force: true });
  return excess.map((s) => s.name);
}

/** A .NAME.part older than this was left by a save that crashed (a running one keeps writing it). */
export const STALE_PART_MS = 60 * 60 * 1000;

/** Removes the .NAME.part files of saves that died; returns their names. */
export function removeStaleParts(dir: string, now = Date.now()): string[] {
  const removed: string[] = [];
  for (const name of namesIn(dir)) {
    if (!/^\..+\.part$/.test(name)) continue;
    const file = path.join(dir, name);
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (!stat?.isFile() || now - stat.mtimeMs < STALE_PART_MS) continue;
    fs.rmSync(file, { force: true });
    removed.push(name);
  }
  return removed;
}
