/**
 * Odd and hostile input: well-formed requests with values no etcd client sends (negative
 * numbers, unknown enum values, deep nesting) and random bytes. The server must answer each
 * with a response or an error, stay up, and keep its data.
 */
import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { b, startFacade, testClient, type Facade, type TestClient } from './testkit.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded responses */

describe('etcd facade under odd input', () => {
  let facade: Facade;
  let client: TestClient;
  const settle = (p: Promise<any>): Promise<any> => p.then((res) => ({ res }), (err: grpc.ServiceError) => ({ code: err.code, details: err.details }));

  before(async () => {
    facade = await startFacade();
    client = testClient(facade.endpoint);
    await client.call('KV', 'Put', { key: b('keep/a'), value: b('1') });
    await client.call('KV', 'Put', { key: b('keep/b'), value: b('2') });
  });
  after(async () => {
    client?.close();
    await facade?.stop();
  });

  it('answers well-formed requests with strange values', async () => {
    const all = { key: b('keep/'), range_end: b('keep0') };
    const r1 = await client.call('KV', 'Range', { ...all, limit: -5, revision: -1 });
    assert.equal(r1.kvs.length, 2);
    const r2 = await client.call('KV', 'Range', { ...all, sort_order: 7, sort_target: 9, min_mod_revision: -3 });
    assert.equal(r2.count, 2);
    const r3 = await client.call('KV', 'Range', { ...all, limit: Number.MAX_SAFE_INTEGER });
    assert.equal(r3.more, false);

    // As deep as protobufjs lets a client encode: answered, whichever way.
    let txn: any = { success: [{ request_range: { key: b('keep/a') } }] };
    for (let i = 0; i < 30; i++) txn = { success: [{ request_txn: txn }] };
    const deep = await settle(client.call('KV', 'Txn', txn));
    assert.ok('res' in deep ? deep.res.succeeded : deep.code !== undefined, JSON.stringify(deep));
    const odd = await settle(client.call('KV', 'Txn', { compare: [{ key: b('keep/a'), target: 9, result: 12, version: 1 }] }));
    assert.ok('res' in odd || odd.code !== undefined);

    for (const lease of [-1, '-9223372036854775808', '18446744073709551615', '9007199254740993']) {
      assert.equal((await settle(client.call('KV', 'Put', { key: b('keep/c'), value: b('x'), lease }))).code, grpc.status.NOT_FOUND);
      assert.equal((await settle(client.call('Lease', 'LeaseRevoke', { ID: lease }))).code, grpc.status.NOT_FOUND);
      assert.equal((await settle(client.call('Lease', 'LeaseGrant', { TTL: 10, ID: lease }))).code, grpc.status.NOT_FOUND);
      const ttl = await client.call('Lease', 'LeaseTimeToLive', { ID: lease });
      assert.equal(ttl.TTL, -1);
    }
    const grant = await settle(client.call('Lease', 'LeaseGrant', { TTL: -100 }));
    assert.ok('res' in grant && grant.res.TTL > 0, JSON.stringify(grant));

    const s = client.stream('Watch', 'Watch');
    s.send({ create_request: { key: b('keep/a'), start_revision: -7, watch_id: -3, filters: [5, 'NOPUT'] } });
    s.send({ create_request: { key: b(''), range_end: b('') } });
    s.send({ cancel_request: { watch_id: -99 } });
    s.send({});
    const created = await s.next((r) => r.created && r.watch_id === -3);
    assert.equal(created.canceled, false);
    await s.next((r) => r.created && r.watch_id === 0);
    s.cancel();
  });

  it('survives random bytes on every method that cannot delete data', async () => {
    const raw = new grpc.Client(facade.endpoint, grpc.credentials.createInsecure());
    const methods = ['/etcdserverpb.KV/Range', '/etcdserverpb.KV/Put', '/etcdserverpb.Lease/LeaseGrant', '/etcdserverpb.Lease/LeaseTimeToLive',
      '/etcdserverpb.Lease/LeaseLeases', '/etcdserverpb.Maintenance/Status', '/etcdserverpb.Maintenance/Alarm', '/etcdserverpb.Cluster/MemberList'];
    try {
      for (let round = 0; round < 40; round++) {
        await Promise.all(methods.map((method) => new Promise<void>((resolve) => {
          raw.makeUnaryRequest(method, (x: Buffer) => x, (x: Buffer) => x, randomBytes(round * 3), { deadline: Date.now() + 10_000 }, () => resolve());
        })));
        const watch = raw.makeBidiStreamRequest('/etcdserverpb.Watch/Watch', (x: Buffer) => x, (x: Buffer) => x);
        watch.on('error', () => {});
        watch.on('data', () => {});
        watch.write(randomBytes(round * 2));
        watch.end();
        watch.cancel();
      }
    } finally {
      raw.close();
    }
    // A txn nested thousands deep, hand-encoded (no client library would build it).
    const varint = (n: number) => {
      const out: number[] = [];
      while (n >= 0x80) {
        out.push((n & 0x7f) | 0x80);
        n >>>= 7;
      }
      out.push(n);
      return Buffer.from(out);
    };
    let nested = Buffer.alloc(0);
    for (let i = 0; i < 5000; i++) {
      nested = Buffer.concat([Buffer.from([0x22]), varint(nested.length), nested]);
      nested = Buffer.concat([Buffer.from([0x12]), varint(nested.length), nested]);
    }
    const deep = new grpc.Client(facade.endpoint, grpc.credentials.createInsecure());
    try {
      const err = await new Promise<grpc.ServiceError | null>((resolve) => {
        deep.makeUnaryRequest('/etcdserverpb.KV/Txn', (x: Buffer) => x, (x: Buffer) => x, nested, (e) => resolve(e));
      });
      assert.ok(err, 'a 5000-deep txn was accepted');
    } finally {
      deep.close();
    }
    const res = await client.call('KV', 'Range', { key: b('keep/'), range_end: b('keep0') });
    assert.deepEqual(res.kvs.map((kv: any) => [kv.key.toString(), kv.value.toString()]), [['keep/a', '1'], ['keep/b', '2']]);
  });
});
