import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runBackendContract } from '../contract.ts';
import type { WatchBatch } from '../types.ts';
import { openSqliteBackend, type SqliteBackend } from './backend.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

const tempDirs: string[] = [];
function tempFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-sqlite-'));
  tempDirs.push(dir);
  return path.join(dir, 'state.db');
}
after(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

let contractFiles = 0;
const contractDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-sqlite-contract-'));
tempDirs.push(contractDir);
runBackendContract('sqlite', () => openSqliteBackend({ file: path.join(contractDir, `s${contractFiles++}.db`) }));
// The same contract with every key of the suite in the in-memory (volatile) store.
runBackendContract('sqlite, volatile keys', () => openSqliteBackend({ file: path.join(contractDir, `v${contractFiles++}.db`), volatilePrefixes: ['/tsk-contract/'] }));

function put(key: string, value: string) {
  return { type: 'put' as const, key, value: Buffer.from(value) };
}

describe('sqlite backend: restart and revisions', () => {
  it('keeps data and never reuses a revision after compacting a trailing delete', async () => {
    const file = tempFile();
    let b = await openSqliteBackend({ file });
    await b.txn({ success: [put('k1', 'v1'), put('k2', 'v2')] });
    await b.txn({ success: [{ type: 'delete', key: 'k2' }] });
    const last = b.revision;
    await b.compact(last);
    await b.close();
    b = await openSqliteBackend({ file });
    assert.equal(b.revision, last, 'revision after restart');
    const r = await b.range('k', { end: 'l' });
    assert.deepEqual(r.kvs.map((kv) => [kv.key, kv.value.toString(), kv.modRevision]), [['k1', 'v1', 1]]);
    const next = await b.txn({ success: [put('k3', 'v3')] });
    assert.equal(next.revision, last + 1);
    await b.close();
  });
});

type Acked = Map<string, { rev: number; seed: string; reps: number }>;

/** Runs the ack-writer child until it has acknowledged `untilRev`, then SIGKILLs it. */
async function writeUntilKilled(file: string, untilRev: number, mode: 'durable' | 'volatile'): Promise<{ acked: Acked; maxRev: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'testdata', 'ack-writer.ts'), file, '16', mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acked: Acked = new Map();
  let buffered = '';
  let maxRev = 0;
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', () => resolve());
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const [tag, key, rev, seed, reps] = line.split(' ');
        if (tag !== 'ack') continue;
        const entry = { rev: Number(rev), seed: seed!, reps: Number(reps) };
        const prev = acked.get(key!);
        if (!prev || prev.rev < entry.rev) acked.set(key!, entry);
        maxRev = Math.max(maxRev, entry.rev);
        if (maxRev >= untilRev && child.exitCode === null && !child.killed) child.kill('SIGKILL');
      }
    });
  });
  return { acked, maxRev };
}

describe('sqlite backend: durability under kill -9', () => {
  it('has every acknowledged write, with its exact value, after SIGKILL mid-load', async () => {
    const file = tempFile();
    const { acked, maxRev } = await writeUntilKilled(file, 3000, 'durable');
    assert.ok(acked.size > 0, 'the writer acknowledged writes before it was killed');
    const b = await openSqliteBackend({ file });
    try {
      assert.ok(b.revision >= maxRev, `revision ${b.revision} is below an acknowledged one (${maxRev})`);
      for (const [key, want] of acked) {
        const r = await b.range(key);
        assert.equal(r.kvs.length, 1, `${key} is missing`);
        const kv = r.kvs[0]!;
        // A later unacknowledged write may have landed too; never an older one.
        assert.ok(kv.modRevision >= want.rev, `${key} went back from revision ${want.rev} to ${kv.modRevision}`);
        if (kv.modRevision === want.rev) assert.equal(kv.value.toString(), want.seed.repeat(want.reps));
      }
      const after = await b.txn({ success: [put('after-crash', 'x')] });
      assert.ok(after.revision > maxRev);
    } finally {
      await b.close();
    }
  });
});

describe('sqlite backend: volatile keys', () => {
  const opts = (file: string) => ({ file, volatilePrefixes: ['vol/'], volatileCheckpointMs: 3_600_000 });
  const writtenBytes = () => Number(/wchar: (\d+)/.exec(fs.readFileSync('/proc/self/io', 'utf8'))![1]);

  it('writes nothing to disk for volatile updates, and the same watch sees both kinds in order', async () => {
    const b = await openSqliteBackend(opts(tempFile()));
    try {
      await b.txn({ success: [put('dur/warm', 'x'), put('vol/warm', 'x')] });
      await b.txn({ success: [put('vol/warm2', 'x')] });
      // The first compaction visits the file's rows once (and records that); later ones that
      // find no new file rows below them write nothing.
      await b.compact(2);
      await new Promise((r) => setTimeout(r, 50));
      const seen: Array<[string, number]> = [];
      const w = b.watch('', { end: '\0' }, (batch) => {
        for (const e of batch.events) seen.push([e.kv.key, e.kv.modRevision]);
      });
      const before = writtenBytes();
      for (let i = 0; i < 200; i++) await b.txn({ success: [put(`vol/lease/${i % 4}`, `renew-${i}`)] });
      // Compacting history that only volatile keys made is free too.
      await b.compact(b.revision - 10);
      await new Promise((r) => setTimeout(r, 50));
      const volatileBytes = writtenBytes() - before;
      for (let i = 0; i < 20; i++) await b.txn({ success: [put(`dur/pod/${i % 4}`, `v${i}`)] });
      const durableBytes = writtenBytes() - before - volatileBytes;
      w.cancel();
      assert.ok(volatileBytes < 4096, `200 volatile writes wrote ${volatileBytes} bytes`);
      assert.ok(durableBytes > 20 * 4096, `20 durable writes wrote only ${durableBytes} bytes: is the meter right?`);
      assert.equal(seen.length, 220);
      await assert.rejects(b.range('vol/lease/0', { revision: 3 }), { code: 'compacted' });
      for (let i = 1; i < seen.length; i++) assert.equal(seen[i]![1], seen[i - 1]![1] + 1, 'a gap or repeat in revisions');
      const all = await b.range('\0', { end: '\0' });
      assert.deepEqual(all.kvs.map((kv) => kv.key), ['dur/pod/0', 'dur/pod/1', 'dur/pod/2', 'dur/pod/3', 'dur/warm',
        'vol/lease/0', 'vol/lease/1', 'vol/lease/2', 'vol/lease/3', 'vol/warm', 'vol/warm2']);
      const limited = await b.range('\0', { end: '\0', limit: 3 });
      assert.equal(limited.count, 11);
      assert.equal(limited.more, true);
    } finally {
      await b.close();
    }
  });

  it('keeps volatile keys with their revisions across a clean restart', async () => {
    const file = tempFile();
    let b = await openSqliteBackend(opts(file));
    await b.txn({ success: [put('vol/a', '1')] });
    const last = await b.txn({ success: [put('vol/a', '2'), put('dur/b', '3')] });
    await b.close();
    b = await openSqliteBackend(opts(file));
    try {
      assert.equal(b.revision, last.revision);
      const a = (await b.range('vol/a')).kvs[0]!;
      assert.deepEqual([a.value.toString(), a.modRevision, a.version, a.createRevision], ['2', last.revision, 2, 1]);
      // History of volatile keys from before the restart is gone: say so, as a compaction would.
      const errors: string[] = [];
      await new Promise<void>((resolve) => b.watch('vol/', { end: 'vol0', startRevision: 1 }, (batch) => {
        errors.push(batch.error?.code ?? 'none');
        resolve();
      }));
      assert.deepEqual(errors, ['compacted']);
      // Durable history is still all there.
      const durable: number[] = [];
      await new Promise<void>((resolve) => b.watch('dur/', { end: 'dur0', startRevision: 1 }, (batch) => {
        for (const e of batch.events) durable.push(e.kv.modRevision);
        resolve();
      }));
      assert.deepEqual(durable, [last.revision]);
    } finally {
      await b.close();
    }
  });

  it('after kill -9: durable writes all there, volatile keys at their last checkpoint, revisions never reused', async () => {
    const file = tempFile();
    const { acked, maxRev } = await writeUntilKilled(file, 2000, 'volatile');
    const b = await openSqliteBackend(opts(file));
    try {
      assert.ok(b.revision > maxRev, `restarted at revision ${b.revision}, at or below an acknowledged ${maxRev}`);
      for (const [key, want] of acked) {
        const kv = (await b.range(key)).kvs[0];
        if (key.startsWith('dur/')) {
          assert.ok(kv && kv.modRevision >= want.rev, `durable ${key} lost revision ${want.rev}`);
        } else {
          // Never checkpointed in this run (the interval is an hour): volatile keys are gone.
          assert.equal(kv, undefined, `volatile ${key} came back without a checkpoint`);
        }
      }
      const next = await b.txn({ success: [put('vol/after', 'x')] });
      assert.ok(next.revision > maxRev);
    } finally {
      await b.close();
    }
  });
});

describe('sqlite backend: compaction keeps the store bounded', () => {
  it('deletes superseded history and keeps reads at and after the compact revision', async () => {
    const file = tempFile();
    const b = await openSqliteBackend({ file, compaction: { retainRevisions: 100, burstRevisions: 500, intervalMs: 3_600_000 } });
    try {
      for (let round = 0; round < 20; round++) {
        const batch: Promise<unknown>[] = [];
        for (let k = 0; k < 200; k++) batch.push(b.txn({ success: [put(`churn/${k}`, `r${round}`)] }));
        await Promise.all(batch);
      }
      await b.compact(b.revision - 50).catch(() => {});
      const db = (b as unknown as { db: import('better-sqlite3').Database }).db;
      for (let i = 0; i < 200; i++) {
        const rows = (db.prepare('SELECT count(*) AS n FROM log').get() as { n: number }).n;
        if (rows <= 200 + 50 + 1) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      const rows = (db.prepare('SELECT count(*) AS n FROM log').get() as { n: number }).n;
      assert.ok(rows <= 251, `log has ${rows} rows for 200 live keys and 50 retained revisions`);
      const now = await b.range('churn/', { end: 'churn0' });
      assert.equal(now.count, 200);
      assert.ok(now.kvs.every((kv) => kv.value.toString() === 'r19' && kv.version === 20));
      const old = await b.range('churn/', { end: 'churn0', revision: b.revision - 10 });
      assert.equal(old.count, 200);
      await assert.rejects(b.range('churn/', { end: 'churn0', revision: 100 }), { code: 'compacted' });
    } finally {
      await b.close();
    }
  });
});

describe('sqlite backend: reads and watches that do not block', () => {
  let b: SqliteBackend;
  before(async () => {
    b = await openSqliteBackend({ file: tempFile(), watchRingEvents: 100 });
    for (let i = 0; i < 30; i++) {
      await b.txn({ success: Array.from({ length: 100 }, (_, j) => put(`big/${String(i * 100 + j).padStart(5, '0')}`, 'x'.repeat(100))) });
    }
  });
  after(() => b.close());

  it('serves a paged range from one snapshot while writes go on', async () => {
    const snapshotRev = b.revision;
    const reading = b.range('big/', { end: 'big0' });
    const writing = Promise.all(Array.from({ length: 50 }, (_, i) => b.txn({ success: [put(`big/${String(i).padStart(5, '0')}`, 'changed')] })));
    const [r] = await Promise.all([reading, writing]);
    assert.equal(r.revision, snapshotRev);
    assert.equal(r.kvs.length, 3000);
    assert.ok(r.kvs.every((kv) => kv.modRevision <= snapshotRev), 'a row from after the snapshot leaked into the read');
    for (let i = 1; i < r.kvs.length; i++) assert.ok(r.kvs[i - 1]!.key < r.kvs[i]!.key, 'keys out of order');
  });

  it('replays history older than the ring from disk, then goes live with no gap or repeat', async () => {
    const start = 5;
    const seen: number[] = [];
    let target = Number.POSITIVE_INFINITY;
    let arrived: () => void = () => {};
    const done = new Promise<void>((resolve, reject) => {
      arrived = () => {
        if (seen.includes(target)) resolve();
      };
      b.watch('big/', { end: 'big0', startRevision: start }, (batch: WatchBatch) => {
        if (batch.error) reject(batch.error);
        for (const e of batch.events) seen.push(e.kv.modRevision);
        arrived();
      });
    });
    target = (await b.txn({ success: [put('big/zzz', 'last')] })).revision;
    // Watchers hear of a write before its writer does: the event may be in already.
    arrived();
    await done;
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! >= seen[i - 1]!, 'events out of revision order');
    assert.equal(seen[0], start);
    assert.equal(seen.at(-1), target);
    // Revisions 5..30 wrote 100 events each, then the 50 single writes, then the last one.
    assert.equal(seen.length, (30 - start + 1) * 100 + 50 + 1);
  });
});

describe('sqlite backend: nested txns', () => {
  it('decides nested compares against the store before the txn, as etcd does', async () => {
    const b = await openSqliteBackend({ file: tempFile() });
    try {
      const r = await b.txn({
        success: [
          put('nested', '1'),
          { type: 'txn', txn: { compare: [{ key: 'nested', target: 'value', result: '=', value: Buffer.from('1') }], success: [put('nested-then', '1')] } },
        ],
      });
      assert.equal(r.succeeded, true);
      const inner = r.responses[1]!;
      assert.equal(inner.type, 'txn');
      assert.equal(inner.type === 'txn' && inner.succeeded, false);
      assert.equal((await b.range('nested-then')).kvs.length, 0);
    } finally {
      await b.close();
    }
  });
});

describe('sqlite backend: the WAL at rest', () => {
  it('folds the WAL into the database file and truncates it once writes pause', async () => {
    const file = tempFile();
    const b = await openSqliteBackend({ file, walQuietMs: 100 });
    try {
      for (let i = 0; i < 50; i++) await b.txn({ success: [put(`wal/${i}`, 'x'.repeat(1000))] });
      assert.ok(fs.statSync(`${file}-wal`).size > 0, 'the writes went to the WAL first');
      let size = -1;
      for (let i = 0; i < 200 && size !== 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        size = fs.statSync(`${file}-wal`).size;
      }
      assert.equal(size, 0, 'the WAL was not truncated while the store was quiet');
      assert.equal((await b.range('wal/', { end: 'wal0' })).count, 50);
    } finally {
      await b.close();
    }
  });
});
