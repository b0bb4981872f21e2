/**
 * Contract: leases. Grant (TTL, chosen id), attach keys, keep alive, time to live (with
 * keys; -1 for a missing lease), list, revoke (keys deleted in one revision, with delete
 * events), expiry after the TTL, and 'lease-not-found' / 'lease-exists' / 'invalid-ttl'.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import { prefixEnd } from '../keys.ts';
import { get, put, putOne, Recorder, rejectsWith, waitFor, type Harness } from './harness.ts';

/** A random id in [2^40, 2^53): unlikely to collide with a shared store's other leases. */
function randomId(): number {
  return 2 ** 40 + crypto.randomInt(2 ** 46) * 64 + crypto.randomInt(64);
}

export function leaseContract(h: Harness, options: { expiry: boolean }): void {
  describe('leases', () => {
    it('grants with a TTL and a safe positive id; lists it; reports its time to live and keys', async () => {
      const b = h.backend;
      const lease = await b.leaseGrant(60);
      try {
        assert.ok(Number.isSafeInteger(lease.id) && lease.id > 0, `id ${lease.id} is a positive safe integer`);
        assert.equal(lease.ttl, 60);
        assert.ok((await b.leaseList()).includes(lease.id), 'listed');
        const p = h.key('lease/keys/');
        await b.txn({ success: [put(p + 'b', '1', { lease: lease.id }), put(p + 'a', '2', { lease: lease.id })] });
        assert.equal((await get(b, p + 'a'))?.lease, lease.id, 'the key carries its lease');
        const ttl = await b.leaseTimeToLive(lease.id, true);
        assert.equal(ttl.id, lease.id);
        assert.equal(ttl.grantedTtl, 60);
        assert.ok(ttl.ttl > 0 && ttl.ttl <= 60, `0 < remaining ${ttl.ttl} <= 60`);
        assert.deepEqual(ttl.keys, [p + 'a', p + 'b'], 'attached keys, sorted');
        assert.deepEqual((await b.leaseTimeToLive(lease.id)).keys, [], 'keys only when asked');
        const renewed = await b.leaseKeepAlive(lease.id);
        assert.deepEqual(renewed, { id: lease.id, ttl: 60 }, 'a renewal answers with the granted TTL');
        // Moving a key to no lease detaches it.
        await putOne(b, p + 'a', 'free');
        assert.deepEqual((await b.leaseTimeToLive(lease.id, true)).keys, [p + 'b']);
        assert.equal((await get(b, p + 'a'))?.lease, 0);
      } finally {
        await b.leaseRevoke(lease.id);
      }
    });

    it("grants a chosen id, and refuses it again with 'lease-exists'", async () => {
      const b = h.backend;
      const id = randomId();
      const lease = await b.leaseGrant(30, id);
      try {
        assert.deepEqual(lease, { id, ttl: 30 });
        await rejectsWith(b.leaseGrant(30, id), 'lease-exists', 'the same id twice');
      } finally {
        await b.leaseRevoke(id);
      }
    });

    it('grants at least the TTL asked for (etcd raises small TTLs to its minimum)', async () => {
      const b = h.backend;
      const lease = await b.leaseGrant(1);
      try {
        assert.ok(lease.ttl >= 1, `granted ${lease.ttl}`);
        assert.equal((await b.leaseTimeToLive(lease.id)).grantedTtl, lease.ttl);
      } finally {
        await b.leaseRevoke(lease.id).catch(() => undefined); // it may already have expired
      }
    });

    it("rejects an absurd TTL with 'invalid-ttl'", async () => {
      await rejectsWith(h.backend.leaseGrant(9_000_000_001), 'invalid-ttl', 'TTL above 9e9 s');
    });

    it('revokes: deletes every attached key in one revision, with delete events', async () => {
      const b = h.backend;
      const p = h.key('lease/revoke/');
      const lease = await b.leaseGrant(60);
      const other = await b.leaseGrant(60);
      const rec = new Recorder(h.waitLimitMs);
      const w = b.watch(p, { end: prefixEnd(p), prevKv: true }, rec.handler);
      try {
        const names = Array.from({ length: 20 }, (_, i) => `k${String(i).padStart(2, '0')}`);
        await b.txn({ success: names.map((n) => put(p + n, n, { lease: lease.id })) });
        await putOne(b, p + 'other', 'x', { lease: other.id });
        await putOne(b, p + 'plain', 'x');
        await b.leaseRevoke(lease.id);
        const left = await b.range(p, { end: prefixEnd(p) });
        assert.deepEqual(left.kvs.map((kv) => kv.key.slice(p.length)), ['other', 'plain'], 'only the revoked lease\'s keys are gone');
        const events = await rec.waitForEvents(names.length + 2 + names.length);
        const deletes = events.filter((e) => e.type === 'delete');
        assert.deepEqual(deletes.map((e) => e.kv.key.slice(p.length)).sort(), names);
        assert.equal(new Set(deletes.map((e) => e.kv.modRevision)).size, 1, 'one revision for the whole revoke');
        assert.ok(deletes.every((e) => e.prevKv?.lease === lease.id), 'prevKv shows the lease');
        assert.deepEqual(await b.leaseTimeToLive(lease.id, true), { id: lease.id, ttl: -1, grantedTtl: 0, keys: [] }, 'a revoked lease does not exist');
        assert.ok(!(await b.leaseList()).includes(lease.id), 'no longer listed');
      } finally {
        w.cancel();
        await b.leaseRevoke(other.id);
      }
    });

    it("answers 'lease-not-found' for a lease that does not exist, and writes nothing", async () => {
      const b = h.backend;
      const id = randomId();
      await rejectsWith(b.leaseRevoke(id), 'lease-not-found', 'revoke');
      await rejectsWith(b.leaseKeepAlive(id), 'lease-not-found', 'keepAlive');
      await rejectsWith(b.txn({ success: [put(h.key('lease/none'), 'x', { lease: id })] }), 'lease-not-found', 'put with it');
      assert.equal(await get(b, h.key('lease/none')), undefined);
      assert.deepEqual(await b.leaseTimeToLive(id, true), { id, ttl: -1, grantedTtl: 0, keys: [] }, 'timeToLive: ttl -1, not an error');
      // A put with a missing lease in the branch that does not run is fine.
      const skipped = await b.txn({ compare: [{ key: h.key('lease/none'), target: 'version', result: '=', value: 0 }], failure: [put(h.key('lease/none'), 'x', { lease: id })] });
      assert.equal(skipped.succeeded, true);
    });

    it('expires a lease after its TTL, deleting its keys with delete events', { skip: !options.expiry && 'lease expiry not run' }, async () => {
      const b = h.backend;
      const k = h.key('lease/expire/k');
      const lease = await b.leaseGrant(2);
      const rec = new Recorder(h.waitLimitMs);
      const w = b.watch(k, {}, rec.handler);
      try {
        const r = (await putOne(b, k, 'doomed', { lease: lease.id })).revision;
        const events = await rec.waitForEvents(2, `the key to expire with its ${lease.ttl} s lease`);
        assert.deepEqual(events.map((e) => e.type), ['put', 'delete']);
        assert.ok(events[1]!.kv.modRevision > r);
        assert.equal(await get(b, k), undefined);
        await waitFor(async () => ((await b.leaseTimeToLive(lease.id)).ttl === -1 ? true : undefined), 'the expired lease to be gone', h.waitLimitMs);
        await rejectsWith(b.leaseKeepAlive(lease.id), 'lease-not-found', 'keepAlive after expiry');
      } finally {
        w.cancel();
      }
    });
  });
}
