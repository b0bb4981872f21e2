/**
 * Contract: revisions and reads. One global revision, bumped once per write txn; per key
 * createRevision, modRevision and version; ranges by key, [key, end), prefix and "\0";
 * limit, count, more, keysOnly, countOnly; reads at past revisions; input errors.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prefixEnd, RANGE_END_ALL } from '../keys.ts';
import { buf, currentRevision, deleteOne, get, put, putOne, rejectsWith, type Harness } from './harness.ts';

export function kvContract(h: Harness): void {
  describe('revisions', () => {
    it('counts createRevision, modRevision and version per key; a delete ends the history and a re-create starts at version 1', async () => {
      const b = h.backend;
      const k = h.key('rev/k');
      const before = await currentRevision(b);
      const r1 = (await putOne(b, k, 'v1')).revision;
      if (!h.shared) assert.equal(r1, before + 1, 'a put bumps the global revision by exactly one');
      assert.ok(r1 > before, 'a put moves the revision forward');
      assert.deepEqual(await get(b, k), { key: k, value: buf('v1'), createRevision: r1, modRevision: r1, version: 1, lease: 0 });

      const r2 = (await putOne(b, k, 'v2')).revision;
      assert.ok(r2 > r1);
      if (!h.shared) assert.equal(r2, r1 + 1);
      assert.deepEqual(await get(b, k), { key: k, value: buf('v2'), createRevision: r1, modRevision: r2, version: 2, lease: 0 });
      const r3 = (await putOne(b, k, 'v3')).revision;
      assert.equal((await get(b, k))?.version, 3);

      const del = await deleteOne(b, k);
      const r4 = del.revision;
      assert.ok(r4 > r3);
      assert.equal(del.responses[0]?.type, 'delete');
      assert.equal(del.responses[0]?.type === 'delete' && del.responses[0].deleted, 1);
      const gone = await b.range(k);
      assert.deepEqual([gone.kvs, gone.count, gone.more], [[], 0, false], 'a deleted key is absent');
      assert.ok(gone.revision >= r4, 'the read is served at or after the delete');

      const r5 = (await putOne(b, k, 'again')).revision;
      assert.deepEqual(await get(b, k), { key: k, value: buf('again'), createRevision: r5, modRevision: r5, version: 1, lease: 0 });

      // History: each past revision reads as it was.
      assert.deepEqual(await get(b, k, r1), { key: k, value: buf('v1'), createRevision: r1, modRevision: r1, version: 1, lease: 0 });
      assert.deepEqual(await get(b, k, r2), { key: k, value: buf('v2'), createRevision: r1, modRevision: r2, version: 2, lease: 0 });
      assert.equal((await get(b, k, r3))?.value.toString(), 'v3');
      assert.equal(await get(b, k, r4), undefined, 'absent at the revision of its delete');
      // (Revision 0 would mean "latest": a fresh sqlite store writes its first key at 1, etcd at 2.)
      if (before > 0) assert.equal(await get(b, k, before), undefined, 'absent before its creation');
      const atR2 = await b.range(k, { revision: r2 });
      assert.ok(atR2.revision >= r5, 'the header revision of a past read is the current revision, not the one asked for');
    });

    it('gives every op of a txn the same revision', async () => {
      const b = h.backend;
      const before = await currentRevision(b);
      const res = await b.txn({ success: [put(h.key('rev/t1'), 'a'), put(h.key('rev/t2'), 'b'), put(h.key('rev/t3'), 'c')] });
      if (!h.shared) assert.equal(res.revision, before + 1, 'a txn with three puts is one revision');
      assert.deepEqual(res.responses.map((r) => [r.type, r.revision]), [['put', res.revision], ['put', res.revision], ['put', res.revision]]);
      const all = await b.range(h.key('rev/t'), { end: prefixEnd(h.key('rev/t')) });
      assert.deepEqual(all.kvs.map((kv) => [kv.createRevision, kv.modRevision, kv.version]), Array(3).fill([res.revision, res.revision, 1]));
    });

    it('leaves the revision unchanged for a txn that writes nothing', async (t) => {
      if (h.shared) return t.skip('needs a store with no other writers');
      const b = h.backend;
      const k = h.key('rev/noop');
      await putOne(b, k, 'x');
      const before = await currentRevision(b);
      const readOnly = await b.txn({ success: [{ type: 'range', key: k }] });
      assert.equal(readOnly.revision, before, 'a read-only txn');
      const failed = await b.txn({ compare: [{ key: k, target: 'version', result: '=', value: 99 }], success: [put(k, 'no')] });
      assert.deepEqual([failed.succeeded, failed.revision, failed.responses], [false, before, []], 'a failed compare with an empty failure branch');
      const missing = await deleteOne(b, h.key('rev/never-written'));
      assert.equal(missing.revision, before, 'a delete that matches no key');
      assert.equal(missing.responses[0]?.type === 'delete' && missing.responses[0].deleted, 0);
      assert.equal((await b.txn({})).revision, before, 'an empty txn');
      assert.equal(await currentRevision(b), before);
    });

    it("rejects a read at a revision not written yet with 'future-revision'", async () => {
      const b = h.backend;
      const now = await currentRevision(b);
      await rejectsWith(b.range(h.key('rev/k'), { revision: now + 1_000_000_000 }), 'future-revision', 'range far in the future');
    });
  });

  describe('ranges', () => {
    const names = ['a', 'b', 'c', 'd/1', 'd/2', 'e', 'z', '\x80', '\xff'];
    /** Writes `names` under r/<tag>/ in one txn; keysOf strips that prefix again. */
    const setup = async (tag: string) => {
      const b = h.backend;
      const k = (n: string) => h.key(`r/${tag}/${n}`);
      const res = await b.txn({ success: names.map((n) => put(k(n), `value-${n}`)) });
      const keysOf = (kvs: Array<{ key: string }>) => kvs.map((kv) => kv.key.slice(k('').length));
      return { b, rev: res.revision, k, keysOf };
    };

    it('reads one key, [key, end), a prefix, and key..end-of-keyspace in byte order', async () => {
      const { b, k, keysOf } = await setup('shapes');
      const one = await b.range(k('b'));
      assert.deepEqual([keysOf(one.kvs), one.count, one.more, one.kvs[0]?.value.toString()], [['b'], 1, false, 'value-b']);
      assert.deepEqual(keysOf((await b.range(k('b'), { end: k('d/2') })).kvs), ['b', 'c', 'd/1'], '[b, d/2) excludes its end');
      assert.deepEqual(keysOf((await b.range(k('d/'), { end: prefixEnd(k('d/')) })).kvs), ['d/1', 'd/2'], 'prefix d/');
      // Keys are bytes: 'z' (0x7a) < 0x80 < 0xff.
      const whole = await b.range(k(''), { end: prefixEnd(k('')) });
      assert.deepEqual(keysOf(whole.kvs), names, 'the whole prefix, in byte order');
      assert.equal(whole.count, names.length);
      assert.equal(whole.kvs.at(-1)?.value.toString(), 'value-\xff');

      // "\0" means to the end of the keyspace: other runs' keys may follow ours.
      const rest = await b.range(k('e'), { end: RANGE_END_ALL });
      assert.ok(rest.kvs.every((kv) => kv.key >= k('e')), 'nothing below the start key');
      assert.deepEqual(keysOf(rest.kvs.filter((kv) => kv.key.startsWith(k('')))), ['e', 'z', '\x80', '\xff']);
      assert.equal(rest.count, rest.kvs.length);
      const sorted = [...rest.kvs.map((kv) => kv.key)].sort();
      assert.deepEqual(rest.kvs.map((kv) => kv.key), sorted, 'sorted by key');

      const none = await b.range(k('missing'));
      assert.deepEqual([none.kvs, none.count, none.more], [[], 0, false]);
      assert.deepEqual((await b.range(k('c'), { end: k('a') })).kvs, [], 'an end below the key is an empty range');
    });

    it('applies limit with count and more; keysOnly and countOnly', async () => {
      const { b, k, keysOf } = await setup('limits');
      const end = prefixEnd(k(''));
      const two = await b.range(k(''), { end, limit: 2 });
      assert.deepEqual([keysOf(two.kvs), two.count, two.more], [['a', 'b'], names.length, true], 'limit 2: the first two, the full count, more');
      const exact = await b.range(k(''), { end, limit: names.length });
      assert.deepEqual([exact.kvs.length, exact.more], [names.length, false], 'a limit equal to the count leaves nothing out');
      assert.equal((await b.range(k(''), { end, limit: 0 })).kvs.length, names.length, 'limit 0 is no limit');

      const keysOnly = await b.range(k('a'), { end: k('c'), keysOnly: true });
      assert.deepEqual(keysOf(keysOnly.kvs), ['a', 'b']);
      for (const kv of keysOnly.kvs) {
        assert.equal(kv.value.length, 0, 'keysOnly leaves values out');
        assert.ok(kv.modRevision > 0 && kv.createRevision > 0 && kv.version === 1, 'keysOnly keeps revisions and version');
      }
      const counted = await b.range(k(''), { end, countOnly: true });
      assert.deepEqual([counted.kvs, counted.count, counted.more], [[], names.length, false], 'countOnly: no kvs, the count');
      const countedLimited = await b.range(k(''), { end, countOnly: true, limit: 1 });
      assert.deepEqual([countedLimited.kvs, countedLimited.count], [[], names.length], 'countOnly ignores limit');
    });

    it('reads a range as of a past revision', async () => {
      const { b, rev, k, keysOf } = await setup('past');
      const r2 = (await b.txn({ success: [put(k('b'), 'changed'), { type: 'delete', key: k('c') }, put(k('c2'), 'new')] })).revision;
      const end = prefixEnd(k(''));
      const past = await b.range(k(''), { end, revision: rev });
      assert.deepEqual(keysOf(past.kvs), names);
      assert.equal(past.kvs[1]?.value.toString(), 'value-b');
      const now = await b.range(k(''), { end, revision: r2 });
      assert.deepEqual(keysOf(now.kvs), ['a', 'b', 'c2', 'd/1', 'd/2', 'e', 'z', '\x80', '\xff']);
      assert.deepEqual([now.kvs[1]?.value.toString(), now.kvs[1]?.version], ['changed', 2]);
      const pastLimited = await b.range(k(''), { end, revision: rev, limit: 3 });
      assert.deepEqual([keysOf(pastLimited.kvs), pastLimited.count, pastLimited.more], [['a', 'b', 'c'], names.length, true]);
    });

    it('round-trips binary values and keys with every byte', async () => {
      const b = h.backend;
      const value = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const key = h.key('bin/') + '\x00\x01\x7f\x80\xfe\xff';
      await putOne(b, key, value);
      const kv = await get(b, key);
      assert.equal(kv?.key, key);
      assert.ok(kv?.value.equals(value), 'value bytes unchanged');
      const empty = h.key('bin/empty');
      await putOne(b, empty, Buffer.alloc(0));
      assert.deepEqual([(await get(b, empty))?.value.length, (await get(b, empty))?.version], [0, 1], 'an empty value is a value');
    });
  });

  describe('input errors', () => {
    it("rejects an empty key with 'empty-key'", async () => {
      const b = h.backend;
      await rejectsWith(b.txn({ success: [put('', 'x')] }), 'empty-key', 'put with an empty key');
      await rejectsWith(b.range(''), 'empty-key', 'range with an empty key');
      await rejectsWith(b.txn({ success: [{ type: 'delete', key: '' }] }), 'empty-key', 'delete with an empty key');
    });

    it("rejects a request over 1.5 MiB with 'request-too-large' and accepts one just under", async () => {
      const b = h.backend;
      await rejectsWith(b.txn({ success: [put(h.key('big/over'), Buffer.alloc(1.5 * 1024 * 1024 + 1))] }), 'request-too-large', 'a 1.5 MiB + 1 byte value');
      assert.equal(await get(b, h.key('big/over')), undefined, 'nothing written');
      await putOne(b, h.key('big/under'), Buffer.alloc(1.5 * 1024 * 1024 - 1024));
    });
  });
}
