// The SQLite backend in-process, without gRPC in the way: what the store itself sustains, and
// how long the event loop is held while it serves a large range under writes.
//   npx tsx bench/sqlite.ts [--quick] [--markdown]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { openSqliteBackend } from '../pkg/kv/sqlite/backend.ts';
import { fmt, median, percentile, printTable } from './lib/stats.ts';

const quick = process.argv.includes('--quick');
const CREATES = quick ? 10_000 : 40_000;
const value1k = Buffer.alloc(1024, 'v');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-bench-sqlite-'));
const b = await openSqliteBackend({ file: path.join(dir, 'state.db') });
const rows: string[][] = [];

try {
  for (const inflight of [1, 16, 64]) {
    let next = 0;
    const total = inflight === 1 ? CREATES / 10 : CREATES;
    const start = performance.now();
    await Promise.all(Array.from({ length: inflight }, async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const key = `c${inflight}/${i}`;
        await b.txn({ compare: [{ key, target: 'create', result: '=', value: 0 }], success: [{ type: 'put', key, value: value1k }] });
      }
    }));
    rows.push([`create txn, ${inflight} in flight`, `${fmt(total / ((performance.now() - start) / 1000))} /s`]);
  }

  const keys = 10_000;
  for (let i = 0; i < keys; i += 100) {
    await b.txn({ success: Array.from({ length: 100 }, (_, j) => ({ type: 'put' as const, key: `r/${String(i + j).padStart(6, '0')}`, value: value1k })) });
  }
  const times: number[] = [];
  const stall = monitorEventLoopDelay({ resolution: 1 });
  stall.enable();
  for (let i = 0; i < 5; i++) {
    const writes = Promise.all(Array.from({ length: 50 }, (_, j) => b.txn({ success: [{ type: 'put', key: `w/${j}`, value: value1k }] })));
    const t = performance.now();
    const r = await b.range('r/', { end: 'r0' });
    times.push(performance.now() - t);
    await writes;
    if (r.kvs.length !== keys) throw new Error(`range returned ${r.kvs.length}`);
  }
  stall.disable();
  rows.push(['range 10,000 × 1 KiB (median of 5, with writes going on)', `${fmt(median(times))} ms`]);
  rows.push(['longest event-loop stall meanwhile', `${fmt(stall.max / 1e6)} ms`]);

  const seq: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const t = performance.now();
    await b.txn({ success: [{ type: 'put', key: `s/${i % 10}`, value: value1k }] });
    seq.push(performance.now() - t);
  }
  rows.push(['sequential put p50 / p99 (fsync each)', `${fmt(percentile(seq, 50), 2)} / ${fmt(percentile(seq, 99), 2)} ms`]);
} finally {
  await b.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
printTable(['SQLite backend, in-process', 'figure'], rows);
