/**
 * Building a sqlite store from a snapshot's records (pkg/snapshot/restore.ts), offline: the
 * keys keep their create/mod revisions and versions, the store's revision starts at
 * `revision`, and everything below it counts as compacted, so a watcher or a list that
 * resumes from an older resourceVersion gets 410 Gone and relists (what Kubernetes clients
 * do) instead of silently missing changes.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { keyToBytes, prefixEnd } from '../keys.ts';
import type { KeyValue } from '../types.ts';
import { betterSqliteNativeBinding } from './native.ts';
import { configureWriter, migrate, refuseForeign } from './schema.ts';

export interface RestoreTarget {
  /** Adds one key (a key under a volatile prefix goes to the checkpoint table the server loads). */
  kv(kv: KeyValue): void;
  lease(id: number, ttl: number): void;
  /** Commits and moves the new store into place; returns the file written. */
  finish(revision: number): void;
  abort(): void;
}

function open(file: string): Database.Database {
  const nativeBinding = betterSqliteNativeBinding();
  return new Database(file, nativeBinding ? { nativeBinding } : {});
}

/**
 * The revision a store file has reached (0 when there is none): a restore over it continues
 * above this, so revisions never go backwards for anyone who watched the old store. Refuses a
 * file that is not a tsk store.
 */
export function storeRevision(file: string): number {
  if (!fs.existsSync(file)) return 0;
  const db = open(file);
  try {
    // Restoring moves the file aside; another program's database is not tsk's to move.
    refuseForeign(db, file);
    const table = (name: string) => db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined;
    if (!table('meta')) return 0;
    const log = (db.prepare('SELECT max(rev) AS r FROM log').get() as { r: number | null }).r ?? 0;
    const vol = table('volatile') ? ((db.prepare('SELECT max(rev) AS r FROM volatile').get() as { r: number | null }).r ?? 0) : 0;
    const meta = (db.prepare(`SELECT max(value) AS r FROM meta WHERE name IN ('compact_rev', 'rev_floor')`).get() as { r: number | null }).r ?? 0;
    return Math.max(log, vol, meta);
  } finally {
    db.close();
  }
}

/** The points of `finish` a test can stop at, as a crash would. */
export type FinishStep = 'built' | 'checkpointed' | 'linked' | 'wal-removed' | 'renamed';

function fsyncPath(p: string): void {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Folds the old store's WAL into its file, so the file alone is the whole store: it is about
 * to be kept under another name (a WAL goes by the file's name), and no WAL of it may be left
 * for SQLite to apply to the new file put in its place. The data dir lock is held, so no one
 * else has it open.
 */
function checkpointOld(file: string): void {
  const db = open(file);
  try {
    const [r] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
    if (r && r.busy !== 0) throw new Error(`${file}: its WAL could not be checkpointed (in use); nothing was changed`);
  } finally {
    db.close();
  }
  const wal = fs.statSync(`${file}-wal`, { throwIfNoEntry: false });
  if (wal && wal.size > 0) throw new Error(`${file}-wal still holds ${wal.size} bytes after a checkpoint; nothing was changed`);
}

/** FILE-old-<unix ms>, or with -2, -3… if taken: a hard link to the old store, never overwriting one. */
function linkAside(file: string): string {
  const base = `${file}-old-${Date.now()}`;
  for (let i = 1; ; i++) {
    const old = i === 1 ? base : `${base}-${i}`;
    try {
      fs.linkSync(file, old);
      return old;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/**
 * Starts writing a new store at `file` + ".restoring". `finish` keeps an existing `file` as
 * FILE-old-<unix ms> and puts the new one in its place such that a crash at any point leaves
 * `file` holding either the old store or the new one, never nothing (a start on no file would
 * create an empty store): the old file is hard-linked aside, then the new one renamed over it.
 * `afterStep` lets a test stop there as a crash would.
 */
export function createRestoreTarget(file: string, volatilePrefixes: string[], afterStep: (step: FinishStep) => void = () => {}): RestoreTarget {
  const tmp = `${file}.restoring`;
  for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) fs.rmSync(f, { force: true });
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const db = open(tmp);
  configureWriter(db);
  migrate(db, tmp);
  const volatile = volatilePrefixes.map((p) => ({ start: p, end: prefixEnd(p) }));
  const isVolatile = (key: string) => volatile.some((r) => key >= r.start && key < r.end);
  const insertLog = db.prepare('INSERT INTO log(rev, key, create_rev, version, lease, deleted, value, prev_id) VALUES (?, ?, ?, ?, ?, 0, ?, 0)');
  const insertLive = db.prepare('INSERT INTO live(key, id) VALUES (?, ?)');
  const insertVolatile = db.prepare('INSERT INTO volatile(key, rev, create_rev, version, lease, value) VALUES (?, ?, ?, ?, ?, ?)');
  const insertLease = db.prepare('INSERT OR REPLACE INTO lease(id, ttl) VALUES (?, ?)');
  const setMeta = db.prepare('INSERT INTO meta(name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value');
  db.exec('BEGIN');
  let closed = false;
  const close = () => {
    if (!closed) db.close();
    closed = true;
  };
  return {
    kv(kv) {
      const key = keyToBytes(kv.key);
      if (isVolatile(kv.key)) {
        insertVolatile.run(key, kv.modRevision, kv.createRevision, kv.version, kv.lease, kv.value);
        return;
      }
      const row = insertLog.run(kv.modRevision, key, kv.createRevision, kv.version, kv.lease, kv.value);
      insertLive.run(key, row.lastInsertRowid);
    },
    lease(id, ttl) {
      insertLease.run(id, ttl);
    },
    finish(revision) {
      setMeta.run('compact_rev', revision);
      setMeta.run('rev_floor', revision);
      db.exec('COMMIT');
      db.pragma('wal_checkpoint(TRUNCATE)');
      close();
      fs.rmSync(`${tmp}-wal`, { force: true });
      fs.rmSync(`${tmp}-shm`, { force: true });
      fsyncPath(tmp);
      afterStep('built');
      if (fs.existsSync(file)) {
        checkpointOld(file);
        afterStep('checkpointed');
        linkAside(file);
        afterStep('linked');
        for (const suffix of ['-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
        afterStep('wal-removed');
      }
      fs.renameSync(tmp, file);
      afterStep('renamed');
      fsyncPath(path.dirname(file));
    },
    abort() {
      close();
      for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) fs.rmSync(f, { force: true });
    },
  };
}
