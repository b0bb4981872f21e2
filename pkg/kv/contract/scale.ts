/**
 * Contract: size. A 1 MiB value through put, range, prevKv and watch; thousands of keys
 * written in batched txns, read back by prefix (whole, limited, counted, at a past revision)
 * and deleted in one revision that a watcher receives whole.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import { prefixEnd } from '../keys.ts';
import type { OpResult } from '../types.ts';
import { get, pool, put, Recorder, type Harness } from './harness.ts';

export function scaleContract(h: Harness): void {
  describe('size', () => {
    it('stores, reads and watches a 1 MiB value byte for byte', async () => {
      const b = h.backend;
      const k = h.key('large/k');
      const one = crypto.randomBytes(1024 * 1024);
      const two = crypto.randomBytes(1024 * 1024);
      const rec = new Recorder(h.waitLimitMs);
      const w = b.watch(k, { prevKv: true }, rec.handler);
      try {
        await b.txn({ success: [put(k, one)] });
        assert.ok((await get(b, k))?.value.equals(one), 'range returns the value');
        const res = await b.txn({ success: [put(k, two, { prevKv: true })] });
        assert.ok((res.responses[0] as Extract<OpResult, { type: 'put' }>).prevKv?.value.equals(one), 'prevKv returns the old value');
        const events = await rec.waitForEvents(2);
        assert.ok(events[0]!.kv.value.equals(one) && events[1]!.kv.value.equals(two), 'events carry the values');
        assert.ok(events[1]!.prevKv?.value.equals(one), 'and the previous one');
      } finally {
        w.cancel();
      }
    });

    it('writes thousands of keys in batched txns and reads them back by prefix', async () => {
      const b = h.backend;
      const p = h.key('scale/many/');
      const end = prefixEnd(p);
      const n = h.manyKeys;
      const names = Array.from({ length: n }, (_, i) => `key-${String(i).padStart(6, '0')}`);
      const batches: string[][] = [];
      for (let i = 0; i < n; i += 100) batches.push(names.slice(i, i + 100));
      const value = (name: string) => `value of ${name} `.padEnd(100, '.');
      const firstHalf = batches.slice(0, Math.floor(batches.length / 2));
      await pool(firstHalf, 8, (batch) => b.txn({ success: batch.map((name) => put(p + name, value(name))) }));
      const halfway = (await b.range(p, { end, countOnly: true })).revision;
      await pool(batches.slice(firstHalf.length), 8, (batch) => b.txn({ success: batch.map((name) => put(p + name, value(name))) }));

      const all = await b.range(p, { end });
      assert.equal(all.count, n);
      assert.equal(all.kvs.length, n);
      assert.deepEqual(all.kvs.map((kv) => kv.key.slice(p.length)), names, 'every key, in order');
      assert.ok(all.kvs.every((kv) => kv.value.toString() === value(kv.key.slice(p.length))), 'every value');
      const page = await b.range(p, { end, limit: 1000 });
      assert.deepEqual([page.kvs.length, page.count, page.more, page.kvs[999]?.key.slice(p.length)], [1000, n, true, names[999]]);
      const next = await b.range(page.kvs[999]!.key + '\0', { end, limit: 1000 });
      assert.equal(next.kvs[0]?.key.slice(p.length), names[1000], 'paging on from the last key');
      assert.equal((await b.range(p, { end, countOnly: true })).count, n);
      const past = await b.range(p, { end, revision: halfway, keysOnly: true });
      assert.equal(past.count, firstHalf.flat().length, 'at the halfway revision, only the first half');

      const rec = new Recorder(h.waitLimitMs);
      const w = b.watch(p, { end }, rec.handler);
      try {
        const del = await b.txn({ success: [{ type: 'delete', key: p, end }] });
        assert.equal(del.responses[0]?.type === 'delete' && del.responses[0].deleted, n);
        const events = await rec.waitForEvents(n);
        assert.equal(events.length, n);
        assert.ok(events.every((e) => e.type === 'delete' && e.kv.modRevision === del.revision), 'all deletes at one revision');
        assert.equal(rec.batches.filter((x) => x.events.length > 0).length, 1, 'one revision, one batch');
        assert.equal((await b.range(p, { end, countOnly: true })).count, 0);
      } finally {
        w.cancel();
      }
    });
  });
}
