import type Database from 'better-sqlite3';

/**
 * The on-disk layout. One append-only change log (every put and delete is a row; a
 * txn that changes several keys writes several rows with one revision) plus a `live` index of
 * each existing key's newest row, so reads at the current revision never scan history.
 * Keys are BLOBs: SQLite compares them with memcmp, which is etcd's byte order, and every
 * range is a `>= AND <` bound on an index (a LIKE prefix query would scan).
 */
export const SCHEMA_VERSION = 2;

/**
 * SQLite's header field for "which application's file is this" (`PRAGMA application_id`):
 * "tsk1" in ASCII. A file carrying another application's id is refused, not migrated.
 */
export const APPLICATION_ID = 0x74736b31;

/**
 * Forward migrations: MIGRATIONS[n] takes a version-n file to version n+1. They run in the
 * transaction that also records the new version, so a crash mid-way leaves the old version.
 * The version is kept in meta.schema_version, which every tsk since version 1 checks (an
 * older tsk refuses a newer file), and mirrored in the header's user_version for tools.
 */
const MIGRATIONS: Record<number, (db: Database.Database) => void> = {
  // 1 → 2: the file says it is a tsk datastore (application_id), so restore and
  // --datastore-endpoint sqlite:// can refuse some other program's database.
  1: (db) => {
    db.pragma(`application_id = ${APPLICATION_ID}`);
  },
};

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

/** The tables a tsk store has (a version-1 store may lack some; a crash never left one half-made). */
const TSK_TABLES = ['log', 'live', 'lease', 'meta', 'volatile'];

/**
 * Refuses a file that is some other program's database: one carrying another application_id,
 * or one without an id and without tsk's meta table that holds other tables (application_id 0
 * is any program's default; stamping tsk's tables and id into such a file would claim it).
 * An empty file, or one holding only tsk's tables, is tsk's to create or migrate.
 */
export function refuseForeign(db: Database.Database, file: string): void {
  const appId = db.pragma('application_id', { simple: true }) as number;
  if (appId !== 0 && appId !== APPLICATION_ID) {
    throw new SchemaError(`${file} is not a tsk datastore (SQLite application_id ${appId})`);
  }
  if (appId === APPLICATION_ID || schemaVersionOf(db) > 0) return;
  const rows = db.prepare(`SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'`).all() as Array<{ name: string }>;
  const foreign = rows.map((r) => r.name).filter((name) => !TSK_TABLES.includes(name));
  if (foreign.length === 0) return;
  const shown = foreign.slice(0, 5).join(', ') + (foreign.length > 5 ? `, … (${foreign.length} in all)` : '');
  throw new SchemaError(`${file} is not a tsk datastore (it has no tsk meta table and holds other tables: ${shown})`);
}

/**
 * Creates a new store, or brings an older one forward to SCHEMA_VERSION in one transaction.
 * `file` only names the store in errors.
 */
export function migrate(db: Database.Database, file = 'the datastore'): void {
  db.transaction(() => {
    refuseForeign(db, file);
    const fresh = !(db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'`).get());
    db.exec(DDL);
    if (fresh) {
      db.prepare(`INSERT INTO meta(name, value) VALUES ('schema_version', ?)`).run(SCHEMA_VERSION);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
      return;
    }
    const row = db.prepare(`SELECT value FROM meta WHERE name = 'schema_version'`).get() as { value: number } | undefined;
    let version = row?.value ?? 1;
    if (version > SCHEMA_VERSION) {
      throw new SchemaError(`${file}: datastore schema version ${version} is newer than this tsk understands (${SCHEMA_VERSION}); upgrade tsk`);
    }
    for (; version < SCHEMA_VERSION; version++) MIGRATIONS[version]!(db);
    db.prepare(`INSERT INTO meta(name, value) VALUES ('schema_version', ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value`).run(SCHEMA_VERSION);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/** The schema version a store file was written with (0 for a file that is not a tsk store yet). */
export function schemaVersionOf(db: Database.Database): number {
  const table = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'`).get();
  if (!table) return 0;
  const row = db.prepare(`SELECT value FROM meta WHERE name = 'schema_version'`).get() as { value: number } | undefined;
  return row?.value ?? 1;
}

export function readMeta(db: Database.Database, name: string): number {
  const row = db.prepare(`SELECT value FROM meta WHERE name = ?`).get(name) as { value: number } | undefined;
  return row?.value ?? 0;
}
