/**
 * Contract: transactions. Compares on version/create/mod/value/lease with = != > <, on
 * missing keys and over ranges; success and failure branches; nested txns; the
 * duplicate-key and too-many-ops rules; prevKv; delete ranges; ignoreValue/ignoreLease.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prefixEnd } from '../keys.ts';
import type { Compare, CompareResult, CompareTarget, OpResult } from '../types.ts';
import { buf, get, put, putOne, rejectsWith, type Harness } from './harness.ts';

export function txnContract(h: Harness): void {
  const holds = async (c: Compare) => (await h.backend.txn({ compare: [c] })).succeeded;

  describe('txn compares', () => {
    it('compares version, create, mod and lease of an existing key with = != > <', async () => {
      const b = h.backend;
      const k = h.key('cmp/k');
      const c1 = (await putOne(b, k, 'b')).revision;
      const m2 = (await putOne(b, k, 'b')).revision;
      const cases: Array<[CompareTarget, number]> = [['version', 2], ['create', c1], ['mod', m2], ['lease', 0]];
      for (const [target, actual] of cases) {
        const expect: Array<[CompareResult, number, boolean]> = [
          ['=', actual, true], ['=', actual + 1, false],
          ['!=', actual, false], ['!=', actual + 1, true],
          ['>', actual - 1, true], ['>', actual, false],
          ['<', actual + 1, true], ['<', actual, false],
        ];
        for (const [result, value, want] of expect) {
          assert.equal(await holds({ key: k, target, result, value }), want, `${target} ${actual} ${result} ${value}`);
        }
      }
    });

    it('compares values as bytes', async () => {
      const b = h.backend;
      const k = h.key('cmp/v');
      await putOne(b, k, 'b');
      const expect: Array<[CompareResult, string, boolean]> = [
        ['=', 'b', true], ['=', 'bb', false], ['!=', 'b', false], ['!=', 'c', true],
        ['>', 'a', true], ['>', 'az', true], ['>', 'b', false], ['<', 'ba', true], ['<', 'c', true], ['<', 'b', false],
        ['>', '', true], ['=', '', false],
      ];
      for (const [result, value, want] of expect) {
        assert.equal(await holds({ key: k, target: 'value', result, value: buf(value) }), want, `value 'b' ${result} '${value}'`);
      }
      await putOne(b, k, Buffer.from([0xff]));
      assert.equal(await holds({ key: k, target: 'value', result: '>', value: Buffer.from([0x7f]) }), true, 'bytes compare unsigned');
    });

    it('compares a missing key as version/create/mod/lease 0, and fails every value compare on it', async () => {
      const k = h.key('cmp/missing');
      for (const target of ['version', 'create', 'mod', 'lease'] as const) {
        assert.equal(await holds({ key: k, target, result: '=', value: 0 }), true, `${target} = 0`);
        assert.equal(await holds({ key: k, target, result: '<', value: 1 }), true, `${target} < 1`);
        assert.equal(await holds({ key: k, target, result: '>', value: 0 }), false, `${target} > 0`);
        assert.equal(await holds({ key: k, target, result: '!=', value: 0 }), false, `${target} != 0`);
      }
      // etcd: a missing value cannot be compared, whatever the operator.
      for (const result of ['=', '!=', '>', '<'] as const) {
        for (const v of ['', 'a']) {
          assert.equal(await holds({ key: k, target: 'value', result, value: buf(v) }), false, `missing value ${result} '${v}'`);
        }
      }
    });

    it('requires every compare to hold, and a range compare to hold for every key in [key, end)', async () => {
      const b = h.backend;
      const p = h.key('cmp/range/');
      const r = (await b.txn({ success: [put(p + 'a', '1'), put(p + 'b', '2')] })).revision;
      const end = prefixEnd(p);
      assert.equal(await holds({ key: p, end, target: 'version', result: '=', value: 1 }), true, 'all at version 1');
      assert.equal(await holds({ key: p, end, target: 'value', result: '>', value: buf('1') }), false, "'1' > '1' fails for one key");
      assert.equal(await holds({ key: p, end, target: 'value', result: '>', value: buf('0') }), true);
      assert.equal(await holds({ key: p, end, target: 'mod', result: '=', value: r }), true);
      const empty = h.key('cmp/empty-range/');
      assert.equal(await holds({ key: empty, end: prefixEnd(empty), target: 'version', result: '=', value: 0 }), true, 'an empty range compares as a missing key');
      const two = await b.txn({
        compare: [{ key: p + 'a', target: 'version', result: '=', value: 1 }, { key: p + 'b', target: 'version', result: '=', value: 2 }],
      });
      assert.equal(two.succeeded, false, 'one false compare fails the txn');
    });
  });

  describe('txn branches', () => {
    it('runs success or failure, returns each op result in order, and reads its own writes', async () => {
      const b = h.backend;
      const k = h.key('br/k');
      const created = await b.txn({
        compare: [{ key: k, target: 'create', result: '=', value: 0 }],
        success: [put(k, 'first'), { type: 'range', key: k }],
        failure: [{ type: 'range', key: k }],
      });
      assert.equal(created.succeeded, true);
      assert.deepEqual(created.responses.map((r) => r.type), ['put', 'range']);
      const read = created.responses[1] as Extract<OpResult, { type: 'range' }>;
      assert.deepEqual(read.kvs.map((kv) => [kv.value.toString(), kv.modRevision]), [['first', created.revision]], 'a range after a put in one txn sees the put');

      const again = await b.txn({
        compare: [{ key: k, target: 'create', result: '=', value: 0 }],
        success: [put(k, 'second')],
        failure: [{ type: 'range', key: k }, put(h.key('br/other'), 'x')],
      });
      assert.equal(again.succeeded, false);
      assert.deepEqual(again.responses.map((r) => r.type), ['range', 'put']);
      assert.equal((again.responses[0] as Extract<OpResult, { type: 'range' }>).kvs[0]?.value.toString(), 'first');
      assert.equal((await get(b, k))?.value.toString(), 'first', 'the success branch did not run');
      assert.equal((await get(b, h.key('br/other')))?.modRevision, again.revision, 'the failure branch wrote at the txn revision');
    });

    it('runs a nested txn at the outer revision, with its own compares and branch', async () => {
      const b = h.backend;
      const k = h.key('nest/k');
      await putOne(b, k, 'v');
      const res = await b.txn({
        success: [
          put(h.key('nest/outer'), 'o'),
          { type: 'txn', txn: { compare: [{ key: k, target: 'value', result: '=', value: buf('nope') }], success: [put(h.key('nest/yes'), 'y')], failure: [put(h.key('nest/no'), 'n')] } },
        ],
      });
      assert.equal(res.succeeded, true);
      const inner = res.responses[1];
      assert.equal(inner?.type, 'txn');
      assert.ok(inner?.type === 'txn');
      assert.equal(inner.succeeded, false, 'the inner compare failed');
      assert.equal(inner.revision, res.revision, "a nested txn's result carries the outer revision");
      assert.deepEqual(inner.responses.map((r) => [r.type, r.revision]), [['put', res.revision]]);
      assert.equal(await get(b, h.key('nest/yes')), undefined);
      assert.equal((await get(b, h.key('nest/no')))?.modRevision, res.revision);
      assert.equal((await get(b, h.key('nest/outer')))?.modRevision, res.revision);
    });

    it("rejects a txn that writes one key twice with 'duplicate-key', and writes nothing", async () => {
      const b = h.backend;
      const k = h.key('dup/k');
      const cases: Array<[string, Parameters<typeof b.txn>[0]]> = [
        ['two puts', { success: [put(k, '1'), put(k, '2')] }],
        ['a put inside a delete range', { success: [put(k, '1'), { type: 'delete', key: h.key('dup/'), end: prefixEnd(h.key('dup/')) }] }],
        ['an outer and a nested put', { success: [put(k, '1'), { type: 'txn', txn: { success: [put(k, '2')] } }] }],
        ['two puts in the failure branch, even when success runs', { success: [], failure: [put(k, '1'), put(k, '2')] }],
      ];
      for (const [what, req] of cases) {
        await rejectsWith(b.txn(req), 'duplicate-key', what);
      }
      assert.equal(await get(b, k), undefined, 'nothing written');
      // Allowed: the same key in the two branches of a nested txn, and deleting a key twice.
      const ok = await b.txn({ success: [{ type: 'txn', txn: { success: [put(k, 's')], failure: [put(k, 'f')] } }] });
      assert.equal(ok.succeeded, true);
      const twice = await b.txn({ success: [{ type: 'delete', key: k }, { type: 'delete', key: k }] });
      assert.deepEqual(twice.responses.map((r) => r.type === 'delete' && r.deleted), [1, 0]);
    });

    it("rejects more than 128 ops in a branch with 'too-many-ops'", async () => {
      const b = h.backend;
      const ops = (n: number) => Array.from({ length: n }, (_, i) => put(h.key(`many/${i}`), 'x'));
      await rejectsWith(b.txn({ success: ops(129) }), 'too-many-ops', '129 puts');
      assert.equal((await b.range(h.key('many/'), { end: prefixEnd(h.key('many/')), countOnly: true })).count, 0, 'nothing written');
      assert.equal((await b.txn({ success: ops(128) })).succeeded, true, '128 puts are allowed');
    });
  });

  describe('puts and deletes', () => {
    it('returns prevKv on put when asked, none for a new key', async () => {
      const b = h.backend;
      const k = h.key('prev/k');
      const first = await b.txn({ success: [put(k, 'one', { prevKv: true })] });
      assert.equal((first.responses[0] as Extract<OpResult, { type: 'put' }>).prevKv, undefined, 'no prevKv for a new key');
      const second = await b.txn({ success: [put(k, 'two', { prevKv: true })] });
      assert.deepEqual((second.responses[0] as Extract<OpResult, { type: 'put' }>).prevKv, {
        key: k, value: buf('one'), createRevision: first.revision, modRevision: first.revision, version: 1, lease: 0,
      });
      const quiet = await b.txn({ success: [put(k, 'three')] });
      assert.equal((quiet.responses[0] as Extract<OpResult, { type: 'put' }>).prevKv, undefined, 'no prevKv unless asked');
    });

    it('deletes a key, a range and a prefix, counting and returning what it deleted', async () => {
      const b = h.backend;
      const p = h.key('del/');
      const w = await b.txn({ success: ['a', 'b', 'c', 'd/1', 'd/2', 'e'].map((n) => put(p + n, n)) });
      const range = await b.txn({ success: [{ type: 'delete', key: p + 'a', end: p + 'c', prevKv: true }] });
      const d = range.responses[0] as Extract<OpResult, { type: 'delete' }>;
      assert.equal(d.deleted, 2, '[a, c) holds a and b');
      assert.deepEqual(d.prevKvs?.map((kv) => [kv.key.slice(p.length), kv.value.toString(), kv.modRevision]), [['a', 'a', w.revision], ['b', 'b', w.revision]]);
      const prefix = await b.txn({ success: [{ type: 'delete', key: p + 'd/', end: prefixEnd(p + 'd/') }] });
      const pd = prefix.responses[0] as Extract<OpResult, { type: 'delete' }>;
      assert.equal(pd.deleted, 2);
      assert.ok(!pd.prevKvs || pd.prevKvs.length === 0, 'no prevKvs unless asked');
      const left = await b.range(p, { end: prefixEnd(p) });
      assert.deepEqual(left.kvs.map((kv) => kv.key.slice(p.length)), ['c', 'e']);
      const history = await b.range(p, { end: prefixEnd(p), revision: w.revision });
      assert.equal(history.count, 6, 'deleted keys stay readable at earlier revisions');
    });

    it('keeps the value with ignoreValue and the lease with ignoreLease', async () => {
      const b = h.backend;
      const k = h.key('ignore/k');
      const lease = await b.leaseGrant(60);
      try {
        await putOne(b, k, 'kept');
        await b.txn({ success: [{ type: 'put', key: k, value: Buffer.alloc(0), lease: lease.id, ignoreValue: true }] });
        let kv = await get(b, k);
        assert.deepEqual([kv?.value.toString(), kv?.lease, kv?.version], ['kept', lease.id, 2], 'ignoreValue: new lease, same value');
        await b.txn({ success: [{ type: 'put', key: k, value: buf('new'), ignoreLease: true }] });
        kv = await get(b, k);
        assert.deepEqual([kv?.value.toString(), kv?.lease, kv?.version], ['new', lease.id, 3], 'ignoreLease: new value, same lease');
        await rejectsWith(b.txn({ success: [{ type: 'put', key: h.key('ignore/missing'), value: Buffer.alloc(0), ignoreValue: true }] }), 'empty-key', 'ignoreValue on a missing key (etcd: key not found)');
      } finally {
        await b.leaseRevoke(lease.id);
      }
    });
  });
}
