import type Database from 'better-sqlite3';

/**
 * The on-disk layout, version 1. One append-only change log (every put and delete is a row; a
 * txn that changes several keys writes several rows with one revision) plus a `live` index of
 * each existing key's newest row, so reads at the current revision never scan history.
 * Keys are BLOBs: SQLite compares them with memcmp, which is etcd's byte order, and every
 * range is a `>= AND <` bound on an index (a LIKE prefix query would scan).
 */
export const SCHEMA_VERSION = 1;

/** The log and live tables, in the file ('main') and in the attached memory store ('mem'). */
function logTables(schema: 'main' | 'mem'): string {
  return `
CREATE TABLE IF NOT EXISTS ${schema}.log (
  id INTEGER PRIMARY KEY,
  rev INTEGER NOT NULL,
  key BLOB NOT NULL,
  create_rev INTEGER NOT NULL,
  version INTEGER NOT NULL,
  lease INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  value BLOB NOT NULL,
  prev_id INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS ${schema}.log_key_rev ON log(key, rev);
CREATE INDEX IF NOT EXISTS ${schema}.log_rev ON log(rev);
CREATE TABLE IF NOT EXISTS ${schema}.live (key BLOB PRIMARY KEY, id INTEGER NOT NULL) WITHOUT ROWID;
`;
}

const DDL = `${logTables('main')}
CREATE TABLE IF NOT EXISTS lease (id INTEGER PRIMARY KEY, ttl INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS volatile (
  key BLOB PRIMARY KEY,
  rev INTEGER NOT NULL,
  create_rev INTEGER NOT NULL,
  version INTEGER NOT NULL,
  lease INTEGER NOT NULL,
  value BLOB NOT NULL
);
`;

/** The in-memory twin of log/live for volatile keys (see volatile.ts). */
export function attachMemory(db: Database.Database): void {
  db.exec(`ATTACH DATABASE ':memory:' AS mem;`);
  db.exec(logTables('mem'));
}

export class SchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaError';
  }
}

/**
 * Durability first, but off the event loop: with WAL and synchronous=NORMAL a COMMIT only
 * writes the WAL; the committer then fdatasyncs it on the thread pool (durability.ts) and
 * acknowledges nothing before that, so an acknowledged write survives kill -9 and power loss.
 * auto_vacuum must be chosen before the first table exists.
 */
export function configureWriter(db: Database.Database): void {
  db.pragma('auto_vacuum = INCREMENTAL');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = OFF');
  // The WAL is rewound after each checkpoint; this caps what stays on disk in between.
  db.pragma(`journal_size_limit = ${4 * 1024 * 1024}`);
  db.pragma('cache_size = -8192');
  db.pragma('busy_timeout = 5000');
}

export function configureReader(db: Database.Database): void {
  db.pragma('cache_size = -2048');
  db.pragma('busy_timeout = 5000');
}

export function migrate(db: Database.Database): void {
  db.exec(DDL);
  const row = db.prepare(`SELECT value FROM meta WHERE name = 'schema_version'`).get() as { value: number } | undefined;
  if (!row) {
    db.prepare(`INSERT INTO meta(name, value) VALUES ('schema_version', ?)`).run(SCHEMA_VERSION);
    return;
  }
  if (row.value > SCHEMA_VERSION) {
    throw new SchemaError(`database schema version ${row.value} is newer than this tsk understands (${SCHEMA_VERSION}); upgrade tsk`);
  }
}

export function readMeta(db: Database.Database, name: string): number {
  const row = db.prepare(`SELECT value FROM meta WHERE name = ?`).get(name) as { value: number } | undefined;
  return row?.value ?? 0;
}
