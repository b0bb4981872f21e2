/**
 * Contract: watches. From now and from a past revision; one key, a range, a prefix; prevKv;
 * noPut/noDelete; ordering under concurrent writers (increasing, complete, no repeats; one
 * txn's events in one batch); cancel; progress requests; the shape of a delete event.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prefixEnd } from '../keys.ts';
import type { WatchOptions } from '../types.ts';
import { buf, currentRevision, deleteOne, put, putOne, Recorder, summarize, waitFor, type Harness } from './harness.ts';

export function watchContract(h: Harness): void {
  const watch = (key: string, options: WatchOptions = {}) => {
    const rec = new Recorder(h.waitLimitMs);
    const w = h.backend.watch(key, options, rec.handler);
    return { rec, w };
  };

  describe('watch', () => {
    it('from now: sees writes issued after watch() returns, none before, with put and delete shapes', async () => {
      const b = h.backend;
      const p = h.key('w/now/');
      await putOne(b, p + 'before', 'old');
      const { rec, w } = watch(p, { end: prefixEnd(p) });
      try {
        const r1 = (await putOne(b, p + 'x', 'x1')).revision;
        const r2 = (await putOne(b, p + 'x', 'x2')).revision;
        const r3 = (await deleteOne(b, p + 'x')).revision;
        const events = await rec.waitForEvents(3);
        assert.deepEqual(summarize(events, h), [['put', 'w/now/x', 'x1', r1], ['put', 'w/now/x', 'x2', r2], ['delete', 'w/now/x', '', r3]]);
        assert.deepEqual(events[1]!.kv, { key: p + 'x', value: buf('x2'), createRevision: r1, modRevision: r2, version: 2, lease: 0 });
        // etcd's delete event: the key, the delete's revision, everything else zero or empty.
        assert.deepEqual(events[2]!.kv, { key: p + 'x', value: Buffer.alloc(0), createRevision: 0, modRevision: r3, version: 0, lease: 0 });
        assert.equal(events[0]!.prevKv, undefined, 'no prevKv unless asked');
        for (const batch of rec.batches) assert.ok(batch.revision >= Math.max(0, ...batch.events.map((e) => e.kv.modRevision)), 'a batch revision covers its events');
      } finally {
        w.cancel();
      }
    });

    it('from a past startRevision: replays history from exactly that revision, then continues live', async () => {
      const b = h.backend;
      const k = h.key('w/resume/k');
      const revs: number[] = [];
      for (let i = 1; i <= 5; i++) revs.push((await putOne(b, k, `v${i}`)).revision);
      const { rec, w } = watch(k, { startRevision: revs[2] });
      try {
        await rec.waitForEvents(3, 'the replayed history');
        const r6 = (await putOne(b, k, 'v6')).revision;
        const events = await rec.waitForRevision(r6);
        assert.deepEqual(summarize(events, h), [
          ['put', 'w/resume/k', 'v3', revs[2]], ['put', 'w/resume/k', 'v4', revs[3]], ['put', 'w/resume/k', 'v5', revs[4]], ['put', 'w/resume/k', 'v6', r6],
        ]);
        assert.deepEqual(events.map((e) => e.kv.version), [3, 4, 5, 6]);
      } finally {
        w.cancel();
      }
    });

    it('watches one key, a range, or a prefix, and nothing outside', async () => {
      const b = h.backend;
      const p = h.key('w/scope/');
      const one = watch(p + 'b');
      const range = watch(p + 'b', { end: p + 'd' });
      const prefix = watch(p + 'b', { end: prefixEnd(p + 'b') });
      try {
        const res = await b.txn({ success: ['a', 'b', 'b/1', 'bb', 'c', 'd', 'e'].map((n) => put(p + n, n)) });
        for (const [rec, want] of [[one.rec, ['b']], [range.rec, ['b', 'b/1', 'bb', 'c']], [prefix.rec, ['b', 'b/1', 'bb']]] as const) {
          const events = await rec.waitForRevision(res.revision);
          assert.deepEqual(events.map((e) => e.kv.key.slice(p.length)), want);
        }
      } finally {
        for (const x of [one, range, prefix]) x.w.cancel();
      }
    });

    it('carries prevKv when asked, for puts and deletes', async () => {
      const b = h.backend;
      const k = h.key('w/prev/k');
      const { rec, w } = watch(k, { prevKv: true });
      try {
        const r1 = (await putOne(b, k, 'a')).revision;
        const r2 = (await putOne(b, k, 'b')).revision;
        await deleteOne(b, k);
        const events = await rec.waitForEvents(3);
        assert.equal(events[0]!.prevKv, undefined, 'a creation has no previous value');
        assert.deepEqual(events[1]!.prevKv, { key: k, value: buf('a'), createRevision: r1, modRevision: r1, version: 1, lease: 0 });
        assert.deepEqual(events[2]!.prevKv, { key: k, value: buf('b'), createRevision: r1, modRevision: r2, version: 2, lease: 0 });
      } finally {
        w.cancel();
      }
    });

    it('filters puts with noPut and deletes with noDelete', async () => {
      const b = h.backend;
      const p = h.key('w/filter/');
      const end = prefixEnd(p);
      const deletesOnly = watch(p, { end, noPut: true });
      const putsOnly = watch(p, { end, noDelete: true });
      try {
        await putOne(b, p + 'a', '1');
        await deleteOne(b, p + 'a');
        await putOne(b, p + 'b', '2');
        const last = (await deleteOne(b, p + 'b')).revision;
        const dels = await deletesOnly.rec.waitForRevision(last);
        assert.deepEqual(dels.map((e) => [e.type, e.kv.key.slice(p.length)]), [['delete', 'a'], ['delete', 'b']]);
        const sentinel = (await putOne(b, p + 'c', '3')).revision;
        const puts = await putsOnly.rec.waitForRevision(sentinel);
        assert.deepEqual(puts.map((e) => [e.type, e.kv.key.slice(p.length)]), [['put', 'a'], ['put', 'b'], ['put', 'c']]);
      } finally {
        deletesOnly.w.cancel();
        putsOnly.w.cancel();
      }
    });

    it('delivers concurrent writes in revision order, complete, without repeats, one txn per batch', async () => {
      const b = h.backend;
      const p = h.key('w/order/');
      const { rec, w } = watch(p, { end: prefixEnd(p) });
      try {
        const written = new Map<number, number>(); // revision → events it wrote
        await Promise.all(Array.from({ length: 16 }, async (_, writer) => {
          for (let i = 0; i < 12; i++) {
            const multi = i % 4 === 3;
            const ops = multi ? [0, 1, 2].map((j) => put(`${p}${writer}/${i}/${j}`, 'm')) : [put(`${p}${writer}/${i}`, 's')];
            written.set((await b.txn({ success: ops })).revision, ops.length);
          }
        }));
        const maxRev = Math.max(...written.keys());
        const total = [...written.values()].reduce((a, n) => a + n, 0);
        const events = await rec.waitForEvents(total, `all ${total} events`);
        await rec.waitForRevision(maxRev);
        const revs = events.map((e) => e.kv.modRevision);
        for (let i = 1; i < revs.length; i++) assert.ok(revs[i]! >= revs[i - 1]!, `revisions never go back (${revs[i - 1]} then ${revs[i]})`);
        const perRev = new Map<number, number>();
        for (const r of revs) perRev.set(r, (perRev.get(r) ?? 0) + 1);
        assert.deepEqual([...perRev.entries()].sort((a, b) => a[0] - b[0]), [...written.entries()].sort((a, b) => a[0] - b[0]), 'exactly the written revisions, each with all its events, none twice');
        for (const batch of rec.batches) {
          for (const r of new Set(batch.events.map((e) => e.kv.modRevision))) {
            assert.equal(batch.events.filter((e) => e.kv.modRevision === r).length, written.get(r), `revision ${r} is whole in one batch`);
          }
        }
        const batchRevs = rec.batches.map((x) => x.revision);
        for (let i = 1; i < batchRevs.length; i++) assert.ok(batchRevs[i]! >= batchRevs[i - 1]!, 'batch revisions never go back');
      } finally {
        w.cancel();
      }
    });

    it('delivers nothing after cancel returns', async () => {
      const b = h.backend;
      const k = h.key('w/cancel/k');
      const cancelled = watch(k);
      const sentinel = watch(k);
      try {
        const r1 = (await putOne(b, k, 'seen')).revision;
        await cancelled.rec.waitForRevision(r1);
        cancelled.w.cancel();
        const countAtCancel = cancelled.rec.batches.length;
        const r2 = (await putOne(b, k, 'unseen')).revision;
        await sentinel.rec.waitForRevision(r2);
        assert.equal(cancelled.rec.batches.length, countAtCancel, 'no batch after cancel');
        assert.deepEqual(summarize(cancelled.rec.events, h), [['put', 'w/cancel/k', 'seen', r1]]);
        cancelled.w.cancel(); // a second cancel is harmless
      } finally {
        sentinel.w.cancel();
      }
    });

    it('answers requestProgress with an empty batch at the current revision', async () => {
      const b = h.backend;
      const k = h.key('w/progress/k');
      const { rec, w } = watch(k);
      try {
        const r1 = (await putOne(b, k, 'v')).revision;
        await rec.waitForRevision(r1);
        const before = rec.batches.length;
        const now = await currentRevision(b);
        w.requestProgress();
        const progress = await waitFor(() => rec.batches.slice(before).find((x) => x.events.length === 0), 'a progress notification', h.waitLimitMs);
        assert.equal(progress.error, undefined);
        assert.ok(progress.revision >= now, `progress revision ${progress.revision} is at least the revision read before asking (${now})`);
        if (!h.shared) assert.equal(progress.revision, now, 'with no other writer, exactly the current revision');
      } finally {
        w.cancel();
      }
    });

    it('starts at a future startRevision without error and delivers from there', async () => {
      const b = h.backend;
      const k = h.key('w/future/k');
      const now = (await putOne(b, k, 'v0')).revision;
      const { rec, w } = watch(k, { startRevision: now + 2 });
      try {
        const writes: number[] = [];
        while ((writes.at(-1) ?? 0) < now + 2) writes.push((await putOne(b, k, `v${writes.length + 1}`)).revision);
        const last = writes.at(-1)!;
        const events = await rec.waitForRevision(last);
        assert.ok(events.every((e) => e.kv.modRevision >= now + 2), 'nothing before the start revision');
        assert.equal(events.at(-1)!.kv.modRevision, last);
      } finally {
        w.cancel();
      }
    });
  });
}
