import type Database from 'better-sqlite3';
import { keyFromBytes, keyToBytes, RANGE_END_ALL } from '../keys.ts';
import type { KeyValue } from '../types.ts';

/** A log row as SQLite returns it. */
export interface LogRow {
  id: number;
  rev: number;
  key: Buffer;
  create_rev: number;
  version: number;
  lease: number;
  deleted: number;
  value: Buffer | null;
  prev_id: number;
}

const COLS = 'l.id, l.rev, l.key, l.create_rev, l.version, l.lease, l.deleted, l.value, l.prev_id';
const COLS_NO_VALUE = 'l.id, l.rev, l.key, l.create_rev, l.version, l.lease, l.deleted, NULL AS value, l.prev_id';

/**
 * The SQL dialect as data: every statement tsk runs against SQLite, by name. A range comes in
 * an "open" form for etcd's "\0" end (no upper bound) and a bounded form.
 */
const SQL = {
  live: `SELECT ${COLS} FROM {s}.live v JOIN {s}.log l ON l.id = v.id WHERE v.key = ?`,
  rangeNow: `SELECT ${COLS} FROM {s}.live v JOIN {s}.log l ON l.id = v.id WHERE v.key >= ? AND v.key < ? ORDER BY v.key LIMIT ?`,
  rangeNowOpen: `SELECT ${COLS} FROM {s}.live v JOIN {s}.log l ON l.id = v.id WHERE v.key >= ? ORDER BY v.key LIMIT ?`,
  keysNow: `SELECT ${COLS_NO_VALUE} FROM {s}.live v JOIN {s}.log l ON l.id = v.id WHERE v.key >= ? AND v.key < ? ORDER BY v.key LIMIT ?`,
  keysNowOpen: `SELECT ${COLS_NO_VALUE} FROM {s}.live v JOIN {s}.log l ON l.id = v.id WHERE v.key >= ? ORDER BY v.key LIMIT ?`,
  countNow: `SELECT count(*) AS n FROM {s}.live WHERE key >= ? AND key < ?`,
  countNowOpen: `SELECT count(*) AS n FROM {s}.live WHERE key >= ?`,
  // At a past revision: each key's newest row at or below it, unless that row is a tombstone.
  rangeAt: `SELECT ${COLS} FROM {s}.log l WHERE l.id IN (SELECT max(id) FROM {s}.log WHERE key >= ? AND key < ? AND rev <= ? GROUP BY key) AND l.deleted = 0 ORDER BY l.key LIMIT ?`,
  rangeAtOpen: `SELECT ${COLS} FROM {s}.log l WHERE l.id IN (SELECT max(id) FROM {s}.log WHERE key >= ? AND rev <= ? GROUP BY key) AND l.deleted = 0 ORDER BY l.key LIMIT ?`,
  keyAt: `SELECT ${COLS} FROM {s}.log l WHERE l.key = ? AND l.rev <= ? ORDER BY l.rev DESC LIMIT 1`,
  countAt: `SELECT count(*) AS n FROM {s}.log l WHERE l.id IN (SELECT max(id) FROM {s}.log WHERE key >= ? AND key < ? AND rev <= ? GROUP BY key) AND l.deleted = 0`,
  countAtOpen: `SELECT count(*) AS n FROM {s}.log l WHERE l.id IN (SELECT max(id) FROM {s}.log WHERE key >= ? AND rev <= ? GROUP BY key) AND l.deleted = 0`,
  byId: `SELECT ${COLS} FROM {s}.log l WHERE l.id = ?`,
  // History for watchers catching up, in commit order, paged by row id.
  history: `SELECT ${COLS} FROM {s}.log l WHERE l.rev >= ? AND l.rev <= ? AND l.id > ? ORDER BY l.id LIMIT ?`,
  historyWindow: `SELECT ${COLS} FROM {s}.log l WHERE l.rev >= ? AND l.rev < ? ORDER BY l.id`,
  insertLog: `INSERT INTO {s}.log(rev, key, create_rev, version, lease, deleted, value, prev_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  upsertLive: `INSERT INTO {s}.live(key, id) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET id = excluded.id`,
  deleteLive: `DELETE FROM {s}.live WHERE key = ?`,
  getMeta: `SELECT value FROM meta WHERE name = ?`,
  setMeta: `INSERT INTO meta(name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value`,
  maxRev: `SELECT max(rev) AS rev FROM {s}.log`,
  liveLeases: `SELECT l.key, l.lease FROM {s}.live v JOIN {s}.log l ON l.id = v.id WHERE l.lease != 0`,
  insertLease: `INSERT INTO lease(id, ttl) VALUES (?, ?)`,
  deleteLease: `DELETE FROM lease WHERE id = ?`,
  allLeases: `SELECT id, ttl FROM lease`,
  // Compaction, one window of log ids (all below the compact revision) at a time: every row in
  // the window supersedes its predecessor, and a tombstone in it is itself unreachable. Each
  // row is visited once, however often compaction runs.
  compactPredecessors: `DELETE FROM {s}.log WHERE id IN (SELECT prev_id FROM {s}.log WHERE id > ? AND id <= ? AND prev_id != 0)`,
  compactTombstones: `DELETE FROM {s}.log WHERE id > ? AND id <= ? AND deleted = 1`,
  idBelowRev: `SELECT max(id) AS id FROM {s}.log WHERE rev < ?`,
  rowCount: `SELECT count(*) AS n FROM {s}.log`,
  liveCount: `SELECT count(*) AS n FROM {s}.live`,
} as const;

export type QueryName = keyof typeof SQL;

/**
 * Prepared statements of one connection over one schema: 'main' (the database file) or 'mem'
 * (the attached in-memory database that holds volatile keys), prepared on first use.
 */
export class Queries {
  private readonly cache = new Map<QueryName, Database.Statement>();
  constructor(readonly db: Database.Database, readonly schema: 'main' | 'mem' = 'main') {}

  stmt(name: QueryName): Database.Statement {
    let s = this.cache.get(name);
    if (!s) {
      s = this.db.prepare(SQL[name].replaceAll('{s}', this.schema));
      this.cache.set(name, s);
    }
    return s;
  }

  live(key: string): LogRow | undefined {
    return this.stmt('live').get(keyToBytes(key)) as LogRow | undefined;
  }

  byId(id: number): LogRow | undefined {
    return this.stmt('byId').get(id) as LogRow | undefined;
  }

  /** Rows of [start, end) at the current revision (end '\0' = open), up to limit. */
  rangeNow(start: string, end: string, limit: number, keysOnly: boolean): LogRow[] {
    const open = end === RANGE_END_ALL;
    const name: QueryName = keysOnly ? (open ? 'keysNowOpen' : 'keysNow') : open ? 'rangeNowOpen' : 'rangeNow';
    const args: unknown[] = open ? [keyToBytes(start), limit] : [keyToBytes(start), keyToBytes(end), limit];
    return this.stmt(name).all(...args) as LogRow[];
  }

  countNow(start: string, end: string): number {
    const open = end === RANGE_END_ALL;
    const row = (open ? this.stmt('countNowOpen').get(keyToBytes(start)) : this.stmt('countNow').get(keyToBytes(start), keyToBytes(end))) as { n: number };
    return row.n;
  }

  rangeAt(start: string, end: string, rev: number, limit: number): LogRow[] {
    if (end === RANGE_END_ALL) return this.stmt('rangeAtOpen').all(keyToBytes(start), rev, limit) as LogRow[];
    return this.stmt('rangeAt').all(keyToBytes(start), keyToBytes(end), rev, limit) as LogRow[];
  }

  keyAt(key: string, rev: number): LogRow | undefined {
    const row = this.stmt('keyAt').get(keyToBytes(key), rev) as LogRow | undefined;
    return row && row.deleted === 0 ? row : undefined;
  }

  countAt(start: string, end: string, rev: number): number {
    const row = (end === RANGE_END_ALL
      ? this.stmt('countAtOpen').get(keyToBytes(start), rev)
      : this.stmt('countAt').get(keyToBytes(start), keyToBytes(end), rev)) as { n: number };
    return row.n;
  }

  history(fromRev: number, toRev: number, afterId: number, limit: number): LogRow[] {
    return this.stmt('history').all(fromRev, toRev, afterId, limit) as LogRow[];
  }

  /** Every row with fromRev <= rev < toRev, in commit order. */
  historyWindow(fromRev: number, toRev: number): LogRow[] {
    return this.stmt('historyWindow').all(fromRev, toRev) as LogRow[];
  }

  setMeta(name: string, value: number): void {
    this.stmt('setMeta').run(name, value);
  }
}

const EMPTY = Buffer.alloc(0);

export function rowToKeyValue(row: LogRow): KeyValue {
  return {
    key: keyFromBytes(row.key),
    value: row.value ?? EMPTY,
    createRevision: row.create_rev,
    modRevision: row.rev,
    version: row.version,
    lease: row.lease,
  };
}
