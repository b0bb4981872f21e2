import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openSqliteBackend } from './backend.ts';
import { storeRevision } from './restore.ts';
import { APPLICATION_ID, SCHEMA_VERSION, schemaVersionOf } from './schema.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-schema-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A store as tsk wrote it at schema version 1: the tables, meta.schema_version = 1, no header ids. */
function versionOneFile(name: string): string {
  const file = path.join(dir, name);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(`
CREATE TABLE log (id INTEGER PRIMARY KEY, rev INTEGER NOT NULL, key BLOB NOT NULL, create_rev INTEGER NOT NULL,
  version INTEGER NOT NULL, lease INTEGER NOT NULL, deleted INTEGER NOT NULL, value BLOB NOT NULL, prev_id INTEGER NOT NULL);
CREATE UNIQUE INDEX log_key_rev ON log(key, rev);
CREATE INDEX log_rev ON log(rev);
CREATE TABLE live (key BLOB PRIMARY KEY, id INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE lease (id INTEGER PRIMARY KEY, ttl INTEGER NOT NULL);
CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE volatile (key BLOB PRIMARY KEY, rev INTEGER NOT NULL, create_rev INTEGER NOT NULL, version INTEGER NOT NULL,
  lease INTEGER NOT NULL, value BLOB NOT NULL);
INSERT INTO meta VALUES ('schema_version', 1);
INSERT INTO log VALUES (1, 7, CAST('/registry/a' AS BLOB), 7, 1, 0, 0, CAST('old' AS BLOB), 0);
INSERT INTO live VALUES (CAST('/registry/a' AS BLOB), 1);
`);
  db.close();
  return file;
}

function header(file: string): { schema: number; userVersion: number; appId: number } {
  const db = new Database(file, { readonly: true });
  try {
    return { schema: schemaVersionOf(db), userVersion: db.pragma('user_version', { simple: true }) as number, appId: db.pragma('application_id', { simple: true }) as number };
  } finally {
    db.close();
  }
}

describe('sqlite schema versions', () => {
  it('creates a new store at the current version', async () => {
    const file = path.join(dir, 'new.db');
    const b = await openSqliteBackend({ file });
    await b.close();
    assert.deepEqual(header(file), { schema: SCHEMA_VERSION, userVersion: SCHEMA_VERSION, appId: APPLICATION_ID });
  });

  it(`migrates a version ${SCHEMA_VERSION - 1} file forward and keeps its data and revision`, async () => {
    const file = versionOneFile('v1.db');
    assert.equal(header(file).schema, SCHEMA_VERSION - 1);
    const b = await openSqliteBackend({ file });
    const r = await b.range('/registry/a');
    assert.equal(r.kvs[0]?.value.toString(), 'old');
    assert.equal(r.kvs[0]?.modRevision, 7);
    const put = await b.txn({ success: [{ type: 'put', key: '/registry/b', value: Buffer.from('new') }] });
    assert.equal(put.revision, 8);
    await b.close();
    assert.deepEqual(header(file), { schema: SCHEMA_VERSION, userVersion: SCHEMA_VERSION, appId: APPLICATION_ID });
  });

  it('refuses a file of a newer schema with one line naming the file and both versions', async () => {
    const file = versionOneFile('future.db');
    const db = new Database(file);
    db.prepare(`UPDATE meta SET value = ? WHERE name = 'schema_version'`).run(SCHEMA_VERSION + 1);
    db.close();
    await assert.rejects(openSqliteBackend({ file }), (err: Error) => {
      assert.equal(err.message.includes('\n'), false);
      assert.match(err.message, new RegExp(`${file.replace(/[.]/g, '\\.')}.*version ${SCHEMA_VERSION + 1}.*\\(${SCHEMA_VERSION}\\)`));
      return true;
    });
    // Refusing changed nothing.
    assert.equal(header(file).schema, SCHEMA_VERSION + 1);
  });

  it("refuses another application's SQLite file", async () => {
    const file = path.join(dir, 'other.db');
    const db = new Database(file);
    db.pragma('application_id = 1234');
    db.exec('CREATE TABLE t (x)');
    db.close();
    await assert.rejects(openSqliteBackend({ file }), /is not a tsk datastore/);
  });

  it('refuses a SQLite file with no application_id that holds tables other than tsk\'s, and leaves it as it was', async () => {
    const file = path.join(dir, 'unmarked.db');
    const db = new Database(file);
    db.exec(`CREATE TABLE users (name TEXT); CREATE TABLE log (x); INSERT INTO users VALUES ('ann')`);
    db.close();
    const before = fs.readFileSync(file);
    await assert.rejects(openSqliteBackend({ file }), (err: Error) => {
      assert.equal(err.message.includes('\n'), false);
      assert.equal(err.message, `${file} is not a tsk datastore (it has no tsk meta table and holds other tables: users)`);
      return true;
    });
    // Restore, which would move the file aside, refuses it too.
    assert.throws(() => storeRevision(file), /unmarked\.db is not a tsk datastore/);
    assert.deepEqual(header(file), { schema: 0, userVersion: 0, appId: 0 });
    const after = new Database(file, { readonly: true });
    const tables = after.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all();
    after.close();
    assert.deepEqual(tables, [{ name: 'log' }, { name: 'users' }]);
    assert.ok(fs.readFileSync(file).equals(before), 'not a byte changed (no switch to WAL either)');
  });

  it('takes an empty SQLite file as a new store', async () => {
    const file = path.join(dir, 'empty.db');
    new Database(file).close();
    const b = await openSqliteBackend({ file });
    await b.close();
    assert.deepEqual(header(file), { schema: SCHEMA_VERSION, userVersion: SCHEMA_VERSION, appId: APPLICATION_ID });
  });
});
