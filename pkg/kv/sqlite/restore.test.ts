import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it, mock } from 'node:test';
import { RANGE_END_ALL } from '../keys.ts';
import { openSqliteBackend } from './backend.ts';
import { createRestoreTarget, type FinishStep } from './restore.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-sqlite-restore-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;

const put = (key: string, value: string) => ({ type: 'put' as const, key, value: Buffer.from(value) });

/** Keys=values of a store file, opened as the server opens it. */
async function contents(file: string): Promise<string[]> {
  const b = await openSqliteBackend({ file });
  try {
    return (await b.range('\0', { end: RANGE_END_ALL })).kvs.map((kv) => `${kv.key}=${kv.value.toString()}`);
  } finally {
    await b.close();
  }
}

/**
 * A stopped store as a crash leaves it: the last write only in state.db-wal (copied while the
 * store was open, before closing folded the WAL in).
 */
let crashImage = '';
const OLD = ['/old/a=1', '/old/b=2'];
const NEW = ['/new/x=restored'];

before(async () => {
  const live = path.join(root, 'live', 'state.db');
  const b = await openSqliteBackend({ file: live, walQuietMs: 3_600_000 });
  await b.txn({ success: [put('/old/a', '1')] });
  await b.txn({ success: [put('/old/b', '2')] });
  crashImage = path.join(root, 'image');
  fs.mkdirSync(crashImage);
  for (const suffix of ['', '-wal']) fs.copyFileSync(live + suffix, path.join(crashImage, 'state.db' + suffix));
  await b.close();
  assert.ok(fs.statSync(path.join(crashImage, 'state.db-wal')).size > 0, 'the image has a WAL to lose');
});

/** A data dir holding a copy of the crash image; returns its state.db. */
function oldStore(): string {
  const dir = path.join(root, `d${n++}`);
  fs.cpSync(crashImage, dir, { recursive: true });
  return path.join(dir, 'state.db');
}

class Crash extends Error {}

function restoreNew(file: string, afterStep?: (step: FinishStep) => void): void {
  const out = createRestoreTarget(file, [], afterStep);
  out.kv({ key: '/new/x', value: Buffer.from('restored'), createRevision: 5, modRevision: 5, version: 1, lease: 0 });
  out.finish(1000);
}

const oldFiles = (file: string) => fs.readdirSync(path.dirname(file)).filter((f) => f.startsWith('state.db-old-') && !/-(wal|shm)$/.test(f));

describe('sqlite restore swaps the store in', () => {
  const steps: FinishStep[] = ['built', 'checkpointed', 'linked', 'wal-removed', 'renamed'];
  for (const step of steps) {
    it(`a crash after "${step}" leaves state.db holding the ${step === 'renamed' ? 'new' : 'old'} store, whole`, async () => {
      const file = oldStore();
      assert.throws(
        () =>
          restoreNew(file, (s) => {
            if (s === step) throw new Crash(s);
          }),
        Crash,
      );
      assert.deepEqual(await contents(file), step === 'renamed' ? NEW : OLD);
      for (const old of oldFiles(file)) assert.deepEqual(await contents(path.join(path.dirname(file), old)), OLD, old);
    });
  }

  it("the old store's WAL is not applied to the new file, and is kept with the old one", async () => {
    const file = oldStore();
    restoreNew(file);
    assert.deepEqual(await contents(file), NEW);
    const [old, ...more] = oldFiles(file);
    assert.equal(more.length, 0);
    assert.deepEqual(await contents(path.join(path.dirname(file), old!)), OLD);
  });

  it('two restores in the same millisecond keep both old stores', async () => {
    const file = oldStore();
    mock.method(Date, 'now', () => 1_800_000_000_000);
    try {
      restoreNew(file);
      restoreNew(file);
    } finally {
      mock.restoreAll();
    }
    assert.deepEqual(oldFiles(file).sort(), ['state.db-old-1800000000000', 'state.db-old-1800000000000-2']);
    assert.deepEqual(await contents(path.join(path.dirname(file), 'state.db-old-1800000000000')), OLD);
    assert.deepEqual(await contents(path.join(path.dirname(file), 'state.db-old-1800000000000-2')), NEW);
  });
});
