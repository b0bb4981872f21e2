/**
 * Contract: compaction. Reads at and above the compact revision work, below it fail with
 * 'compacted'; current data is untouched; compacting again or backwards fails; watches
 * from below the compact revision end with 'compacted' and the compact revision, while live
 * watches go on. Compaction is global, so this section needs a store of its own.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { currentRevision, deleteOne, get, putOne, Recorder, rejectsWith, summarize, type Harness } from './harness.ts';

export function compactionContract(h: Harness): void {
  describe('compaction', () => {
    it('keeps reads at and above the compact revision, fails those below, and keeps current data', async () => {
      const b = h.backend;
      const k = h.key('compact/k');
      const old = h.key('compact/old');
      const rOld = (await putOne(b, old, 'written once')).revision;
      const r1 = (await putOne(b, k, 'v1')).revision;
      const r2 = (await putOne(b, k, 'v2')).revision;
      const r3 = (await putOne(b, k, 'v3')).revision;
      const r4 = (await deleteOne(b, k)).revision;
      const r5 = (await putOne(b, k, 'v5')).revision;
      const live = new Recorder(h.waitLimitMs);
      const liveWatch = b.watch(k, {}, live.handler);
      try {
        await b.compact(r3);
        assert.equal((await get(b, k, r3))?.value.toString(), 'v3', 'readable at the compact revision itself');
        assert.equal(await get(b, k, r4), undefined, 'deleted at r4');
        assert.equal((await get(b, k, r5))?.value.toString(), 'v5');
        await rejectsWith(b.range(k, { revision: r2 }), 'compacted', 'a read just below the compact revision');
        await rejectsWith(b.range(k, { revision: r1 }), 'compacted', 'a read well below');
        await rejectsWith(b.range(old, { revision: rOld }), 'compacted', 'any key, below the compact revision');

        const now = await get(b, k);
        assert.deepEqual([now?.value.toString(), now?.createRevision, now?.version], ['v5', r5, 1], 'current data intact');
        const survivor = await get(b, old);
        assert.deepEqual([survivor?.value.toString(), survivor?.modRevision], ['written once', rOld], 'a key last written below the compact revision is intact');
        assert.equal((await get(b, old, r3))?.value.toString(), 'written once', 'and readable at the compact revision');

        const status = await b.status();
        assert.equal(status.compactRevision, r3, 'status reports the compact revision');
        assert.ok(status.revision >= r5);

        const again = await rejectsWith(b.compact(r3), 'compacted', 'compacting at the same revision again');
        if (again.compactRevision !== undefined) assert.equal(again.compactRevision, r3, 'a compacted error that names the compact revision names the right one');
        await rejectsWith(b.compact(r2), 'compacted', 'compacting backwards');
        await rejectsWith(b.compact((await currentRevision(b)) + 1_000_000), 'future-revision', 'compacting the future');

        // A watch that was live before the compaction goes on.
        const r6 = (await putOne(b, k, 'v6')).revision;
        const events = await live.waitForRevision(r6);
        assert.deepEqual(summarize(events, h), [['put', 'compact/k', 'v6', r6]]);
      } finally {
        liveWatch.cancel();
      }
    });

    it("ends a watch from below the compact revision with 'compacted' and the compact revision", async () => {
      const b = h.backend;
      const k = h.key('compact/watch');
      const r1 = (await putOne(b, k, 'a')).revision;
      const r2 = (await putOne(b, k, 'b')).revision;
      const r3 = (await deleteOne(b, k)).revision;
      const r4 = (await putOne(b, k, 'd')).revision;
      await b.compact(r2);

      const below = new Recorder(h.waitLimitMs);
      const w1 = b.watch(k, { startRevision: r1 }, below.handler);
      const error = await below.waitForError();
      w1.cancel();
      assert.equal(error.code, 'compacted');
      assert.equal(error.compactRevision, r2, 'the error carries the compact revision');
      assert.deepEqual(below.events, [], 'no events before the error');
      assert.equal(below.batches.length, 1, 'the error batch ends the watch');

      // etcd keeps the compact revision itself watchable (a put there is still in history).
      const at = new Recorder(h.waitLimitMs);
      const w2 = b.watch(k, { startRevision: r2 }, at.handler);
      const above = new Recorder(h.waitLimitMs);
      const w3 = b.watch(k, { startRevision: r2 + 1 }, above.handler);
      try {
        assert.deepEqual(summarize(await at.waitForRevision(r4), h), [['put', 'compact/watch', 'b', r2], ['delete', 'compact/watch', '', r3], ['put', 'compact/watch', 'd', r4]]);
        assert.deepEqual(summarize(await above.waitForRevision(r4), h), [['delete', 'compact/watch', '', r3], ['put', 'compact/watch', 'd', r4]]);
      } finally {
        w2.cancel();
        w3.cancel();
      }
    });
  });
}
