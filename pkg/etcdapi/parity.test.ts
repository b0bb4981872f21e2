/**
 * The etcd v3 API at the gRPC level, one script run against the facade and against a real
 * etcd 3.4: every expectation below is etcd's own behaviour (revisions are relative to the
 * start, member-specific header fields are left out, see normalize.ts).
 */
import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startEtcd } from '../../test/lib/etcd.ts';
import { openEtcdBackend } from '../kv/etcd/backend.ts';
import { startEtcdApiServer } from './server.ts';
import { healthServiceDefinition } from './health.ts';
import { mismatch, normalize } from './normalize.ts';
import { b, startFacade, testClient, type TestClient } from './testkit.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- responses are checked against literal shapes */

interface Target {
  endpoint: string;
  stop(): Promise<void>;
}

describe('etcd v3 gRPC API: facade', () => {
  suite('facade', () => startFacade());
});

describe('etcd v3 gRPC API: real etcd 3.4 (the reference)', { skip: fs.existsSync('/usr/bin/etcd') ? false : '/usr/bin/etcd is missing (apt-get install etcd-server)' }, () => {
  suite('etcd', async () => {
    const etcd = await startEtcd();
    return { endpoint: etcd.endpoint, stop: () => etcd.stop() };
  });
});

describe('etcd v3 gRPC API: facade over the etcd backend, in front of a real etcd 3.4', { skip: fs.existsSync('/usr/bin/etcd') ? false : '/usr/bin/etcd is missing (apt-get install etcd-server)' }, () => {
  suite('facade-etcd', async () => {
    const etcd = await startEtcd();
    try {
      const backend = await openEtcdBackend({ endpoints: [etcd.endpoint], tls: false });
      const server = await startEtcdApiServer(backend, { listenUrl: 'http://127.0.0.1:0' });
      return {
        endpoint: server.address,
        stop: async () => {
          await server.close();
          await backend.close();
          await etcd.stop();
        },
      };
    } catch (err) {
      await etcd.stop();
      throw err;
    }
  });
});

function suite(kind: 'facade' | 'etcd' | 'facade-etcd', start: () => Promise<Target>): void {
  let target: Target;
  let client: TestClient;
  let base = 0;
  /** The absolute revision `n` writes after the start. */
  const rev = (n: number) => base + n;
  const norm = (v: unknown) => normalize(v, base) as any;
  const call = async (service: 'KV' | 'Lease' | 'Maintenance' | 'Cluster', method: string, req: object) => norm(await client.call(service, method, req));
  const fail = async (service: 'KV' | 'Lease' | 'Maintenance' | 'Cluster', method: string, req: object) => {
    try {
      const res = await client.call(service, method, req);
      return { unexpected: res };
    } catch (err) {
      return { code: (err as { code: number }).code, details: (err as { details: string }).details };
    }
  };
  const like = (actual: unknown, expected: unknown) => {
    const m = mismatch(actual, expected);
    assert.ok(m === undefined, `${kind}: ${m}`);
  };
  const kv = (key: string, value: string, create: number, mod: number, version: number, lease = 0) =>
    ({ key, value, create_revision: create, mod_revision: mod, version, lease });
  const keys = (res: any) => res.kvs.map((k: any) => k.key);
  const watchStream = () => {
    const s = client.stream('Watch', 'Watch');
    const next = async (pred: (r: any) => boolean, from = 0) => norm(await s.next((r) => pred(norm(r)), 15_000, from));
    return { s, next };
  };

  before(async () => {
    target = await start();
    client = testClient(target.endpoint, { 'grpc.max_receive_message_length': 16 * 1024 * 1024 });
    base = (await client.call('KV', 'Range', { key: b('base') })).header.revision;
  });
  after(async () => {
    client?.close();
    await target?.stop();
  });

  it('puts and ranges: limits, counts, sorting, revision filters, old revisions', async () => {
    like(await call('KV', 'Put', { key: b('a'), value: b('1') }), { header: { revision: 1 }, prev_kv: null });
    like(await call('KV', 'Put', { key: b('a'), value: b('2'), prev_kv: true }), { header: { revision: 2 }, prev_kv: kv('a', '1', 1, 1, 1) });
    await call('KV', 'Put', { key: b('b'), value: b('1') });
    await call('KV', 'Put', { key: b('c'), value: b('3') });
    await call('KV', 'Put', { key: b('d'), value: b('2') });
    const all = { key: b('a'), range_end: b('e') };
    like(await call('KV', 'Range', { key: b('a') }), { header: { revision: 5 }, kvs: [kv('a', '2', 1, 2, 2)], more: false, count: 1 });
    like(await call('KV', 'Range', all), { kvs: [kv('a', '2', 1, 2, 2), kv('b', '1', 3, 3, 1), kv('c', '3', 4, 4, 1), kv('d', '2', 5, 5, 1)], count: 4, more: false });
    like(await call('KV', 'Range', { key: b('a'), range_end: b('\0') }), { count: 4 });
    like(await call('KV', 'Range', { ...all, limit: 2 }), { kvs: [{ key: 'a' }, { key: 'b' }], more: true, count: 4 });
    like(await call('KV', 'Range', { ...all, limit: 4 }), { more: false, count: 4 });
    like(await call('KV', 'Range', { ...all, count_only: true }), { kvs: [], count: 4, more: false });
    like(await call('KV', 'Range', { ...all, count_only: true, limit: 1 }), { kvs: [], count: 4, more: false });
    like(await call('KV', 'Range', { ...all, keys_only: true, limit: 1 }), { kvs: [kv('a', '', 1, 2, 2)] });
    // etcd sorts by a non-key target only the keys its limit let through (limit+1 in key order).
    like(await call('KV', 'Range', { ...all, sort_target: 'VALUE', limit: 2 }), { kvs: [{ key: 'b' }, { key: 'a' }], more: true, count: 4 });
    like(await call('KV', 'Range', { ...all, sort_target: 'MOD', sort_order: 'DESCEND', limit: 2 }), { kvs: [{ key: 'd' }, { key: 'c' }], more: true });
    like(await call('KV', 'Range', { ...all, sort_target: 'CREATE', sort_order: 'ASCEND' }), { kvs: [{ key: 'a' }, { key: 'b' }, { key: 'c' }, { key: 'd' }] });
    like(await call('KV', 'Range', { ...all, sort_target: 'KEY', sort_order: 'DESCEND', limit: 3 }), { kvs: [{ key: 'd' }, { key: 'c' }, { key: 'b' }], more: true, count: 4 });
    like(await call('KV', 'Range', { ...all, sort_target: 'VERSION', sort_order: 'DESCEND', limit: 1 }), { kvs: [{ key: 'a' }], more: true });
    like(await call('KV', 'Range', { ...all, min_mod_revision: rev(4) }), { kvs: [{ key: 'c' }, { key: 'd' }], count: 4, more: false });
    like(await call('KV', 'Range', { ...all, max_mod_revision: rev(3) }), { kvs: [{ key: 'a' }, { key: 'b' }], count: 4 });
    like(await call('KV', 'Range', { ...all, min_create_revision: rev(3), limit: 2 }), { kvs: [{ key: 'b' }, { key: 'c' }], count: 4, more: true });
    like(await call('KV', 'Range', { ...all, max_create_revision: rev(1) }), { kvs: [{ key: 'a' }] });
    like(await call('KV', 'Range', { ...all, revision: rev(1) }), { header: { revision: 5 }, kvs: [kv('a', '1', 1, 1, 1)], count: 1 });
    like(await call('KV', 'Range', { key: b('d'), range_end: b('a') }), { kvs: [], count: 0 });
    like(await call('KV', 'Range', { key: b('a'), serializable: true }), { kvs: [{ key: 'a' }] });
    like(await fail('KV', 'Range', { key: b('a'), revision: rev(100) }), { code: 11, details: 'etcdserver: mvcc: required revision is a future revision' });
    like(await fail('KV', 'Range', { key: b('') }), { code: 3, details: 'etcdserver: key is not provided' });
    like(await fail('KV', 'Range', {}), { code: 3, details: 'etcdserver: key is not provided' });
  });

  it('puts with ignore_value and ignore_lease, and refuses what etcd refuses', async () => {
    like(await call('KV', 'Put', { key: b('a'), ignore_value: true, prev_kv: true }), { header: { revision: 6 }, prev_kv: { value: '2', version: 2 } });
    like(await call('KV', 'Range', { key: b('a') }), { kvs: [kv('a', '2', 1, 6, 3)] });
    like(await fail('KV', 'Put', { key: b('a'), value: b('x'), ignore_value: true }), { code: 3, details: 'etcdserver: value is provided' });
    like(await fail('KV', 'Put', { key: b('zz'), ignore_value: true }), { code: 3, details: 'etcdserver: key not found' });
    like(await fail('KV', 'Put', { key: b('a'), lease: 5, ignore_lease: true }), { code: 3, details: 'etcdserver: lease is provided' });
    like(await fail('KV', 'Put', { key: b('a'), value: b('x'), lease: 123456 }), { code: 5, details: 'etcdserver: requested lease not found' });
    like(await fail('KV', 'Put', { key: b('a'), value: b('x'), lease: '9223372036854775807' }), { code: 5, details: 'etcdserver: requested lease not found' });
    like(await fail('KV', 'Put', { key: b(''), value: b('x') }), { code: 3, details: 'etcdserver: key is not provided' });
    like(await fail('KV', 'Put', { key: b('big'), value: Buffer.alloc(1600 * 1024) }), { code: 3, details: 'etcdserver: request is too large' });
    like(await fail('KV', 'Put', { key: b('big'), value: Buffer.alloc(2200 * 1024) }), { code: 8 });
    like(await call('KV', 'Range', { key: b('a'), range_end: b('\0'), count_only: true }), { header: { revision: 6 }, count: 4 });
  });

  it('deletes single keys and ranges, with previous values', async () => {
    await call('KV', 'Put', { key: b('x/1'), value: b('1') });
    await call('KV', 'Put', { key: b('x/2'), value: b('2') });
    like(await call('KV', 'DeleteRange', { key: b('x/1'), prev_kv: true }), { header: { revision: 9 }, deleted: 1, prev_kvs: [kv('x/1', '1', 7, 7, 1)] });
    like(await call('KV', 'DeleteRange', { key: b('x/'), range_end: b('x0') }), { header: { revision: 10 }, deleted: 1, prev_kvs: [] });
    like(await call('KV', 'DeleteRange', { key: b('x/'), range_end: b('x0') }), { header: { revision: 10 }, deleted: 0 });
    like(await fail('KV', 'DeleteRange', { key: b('') }), { code: 3, details: 'etcdserver: key is not provided' });
  });

  it('runs txns: compares, both branches, nested txns, and etcd\'s checks', async () => {
    const put = (key: string, value: string) => ({ request_put: { key: b(key), value: b(value) } });
    const get = (key: string, end?: string) => ({ request_range: end ? { key: b(key), range_end: b(end) } : { key: b(key) } });
    const del = (key: string) => ({ request_delete_range: { key: b(key) } });
    const cmp = (key: string, target: string, result: string, operand: object) => ({ key: b(key), target, result, ...operand });

    const t1 = await call('KV', 'Txn', {
      compare: [cmp('a', 'VERSION', 'EQUAL', { version: 3 }), cmp('a', 'VALUE', 'EQUAL', { value: b('2') }), cmp('a', 'MOD', 'GREATER', { mod_revision: rev(5) })],
      success: [put('e', '1'), get('e'), del('nothing'), { request_txn: { compare: [cmp('a', 'VALUE', 'EQUAL', { value: b('x') })], success: [get('a')], failure: [get('b')] } }],
      failure: [put('never', '1')],
    });
    like(t1, {
      header: { revision: 11 },
      succeeded: true,
      responses: [
        { response_put: { header: { revision: 11 } } },
        { response_range: { header: { revision: 11 }, kvs: [kv('e', '1', 11, 11, 1)], count: 1 } },
        { response_delete_range: { header: { revision: 11 }, deleted: 0 } },
        // A nested txn's header is empty in etcd; its ops' headers carry the revision.
        { response_txn: { header: { revision: 0 }, succeeded: false, responses: [{ response_range: { header: { revision: 11 }, kvs: [{ key: 'b' }] } }] } },
      ],
    });
    like(await call('KV', 'Txn', { compare: [cmp('a', 'CREATE', 'LESS', { create_revision: rev(1) })], success: [put('never', '1')], failure: [get('a'), get('nothing')] }), {
      header: { revision: 11 }, succeeded: false, responses: [{ response_range: { kvs: [{ key: 'a' }] } }, { response_range: { kvs: [], count: 0 } }],
    });
    // On a missing key version/create/mod/lease compare as 0; a value compare always fails.
    like(await call('KV', 'Txn', { compare: [cmp('missing', 'VERSION', 'EQUAL', { version: 0 }), cmp('missing', 'LEASE', 'EQUAL', { lease: 0 })] }), { succeeded: true, responses: [] });
    like(await call('KV', 'Txn', { compare: [cmp('missing', 'VALUE', 'EQUAL', { value: b('') })] }), { succeeded: false });
    like(await call('KV', 'Txn', { compare: [cmp('missing', 'VALUE', 'NOT_EQUAL', { value: b('x') })] }), { succeeded: false });
    // A range compare holds for every key in the range.
    like(await call('KV', 'Txn', { compare: [{ ...cmp('a', 'MOD', 'LESS', { mod_revision: rev(11) }), range_end: b('e') }] }), { succeeded: true });
    like(await call('KV', 'Txn', { compare: [{ ...cmp('a', 'MOD', 'LESS', { mod_revision: rev(11) }), range_end: b('f') }] }), { succeeded: false });
    like(await call('KV', 'Txn', { compare: [cmp('a', 'VERSION', 'EQUAL', { value: b('3') })] }), { succeeded: false });
    like(await call('KV', 'Txn', { success: [put('e', '2'), { request_txn: { success: [put('f', '1')], failure: [put('f', '2')] } }] }), { header: { revision: 12 }, succeeded: true });
    like(await call('KV', 'Range', { key: b('e'), range_end: b('g') }), { kvs: [kv('e', '2', 11, 12, 2), kv('f', '1', 12, 12, 1)] });

    const dup = { code: 3, details: 'etcdserver: duplicate key given in txn request' };
    like(await fail('KV', 'Txn', { success: [put('e', '1'), put('e', '2')] }), dup);
    like(await fail('KV', 'Txn', { success: [put('e', '1'), { request_delete_range: { key: b('a'), range_end: b('z') } }] }), dup);
    like(await fail('KV', 'Txn', { success: [put('e', '1'), { request_txn: { success: [put('e', '2')] } }] }), dup);
    like(await call('KV', 'Txn', { success: [del('e'), del('e')], failure: [put('e', '1')] }), { header: { revision: 13 }, succeeded: true });
    like(await fail('KV', 'Txn', { success: [{}] }), { code: 3, details: 'etcdserver: key not found' });
    like(await fail('KV', 'Txn', { compare: [cmp('', 'VERSION', 'EQUAL', { version: 0 })] }), { code: 3, details: 'etcdserver: key is not provided' });
    like(await fail('KV', 'Txn', { success: [put('', '1')] }), { code: 3, details: 'etcdserver: key is not provided' });
    like(await fail('KV', 'Txn', { failure: Array.from({ length: 129 }, (_, i) => get(`k${i}`)) }), { code: 3, details: 'etcdserver: too many operations in txn request' });
    like(await call('KV', 'Txn', { failure: Array.from({ length: 128 }, (_, i) => get(`k${i}`)) }), { succeeded: true });
    like(await call('KV', 'Range', { key: b('e') }), { header: { revision: 13 }, kvs: [] });
  });

  it('compacts, and refuses compacted and future revisions', async () => {
    like(await fail('KV', 'Compact', { revision: rev(100) }), { code: 11, details: 'etcdserver: mvcc: required revision is a future revision' });
    like(await call('KV', 'Compact', { revision: rev(3) }), { header: { revision: 13 } });
    like(await fail('KV', 'Compact', { revision: rev(3) }), { code: 11, details: 'etcdserver: mvcc: required revision has been compacted' });
    like(await fail('KV', 'Compact', { revision: rev(2) }), { code: 11, details: 'etcdserver: mvcc: required revision has been compacted' });
    like(await fail('KV', 'Range', { key: b('a'), revision: rev(2) }), { code: 11, details: 'etcdserver: mvcc: required revision has been compacted' });
    like(await call('KV', 'Range', { key: b('a'), revision: rev(3) }), { kvs: [kv('a', '2', 1, 2, 2)] });
    like(await call('KV', 'Compact', { revision: rev(4), physical: true }), { header: { revision: 13 } });
    like(await call('KV', 'Range', { key: b('a'), range_end: b('z') }), { count: 5 });
  });

  it('grants, renews, inspects and revokes leases', async () => {
    like(await call('Lease', 'LeaseGrant', { TTL: 60, ID: 77 }), { ID: 77, TTL: 60, error: '', header: { revision: 13 } });
    like(await fail('Lease', 'LeaseGrant', { TTL: 60, ID: 77 }), { code: 9, details: 'etcdserver: lease already exists' });
    like(await fail('Lease', 'LeaseGrant', { TTL: 9_000_000_001 }), { code: 11, details: 'etcdserver: too large lease TTL' });
    await call('KV', 'Put', { key: b('l/1'), value: b('v'), lease: 77 });
    await call('KV', 'Put', { key: b('l/2'), value: b('v'), lease: 77 });
    like(await call('KV', 'Range', { key: b('l/1') }), { kvs: [kv('l/1', 'v', 14, 14, 1, 77)] });
    const ttl = await call('Lease', 'LeaseTimeToLive', { ID: 77, keys: true });
    // etcd lists a lease's keys in no particular order.
    ttl.keys.sort();
    like(ttl, { header: { revision: 15 }, ID: 77, grantedTTL: 60, keys: ['l/1', 'l/2'] });
    assert.ok(ttl.TTL > 0 && ttl.TTL <= 60, `TTL ${ttl.TTL}`);
    like(await call('Lease', 'LeaseTimeToLive', { ID: 78, keys: true }), { ID: 78, TTL: -1, grantedTTL: 0, keys: [] });
    assert.ok((await call('Lease', 'LeaseLeases', {})).leases.some((l: any) => l.ID === 77));

    const ka = client.stream('Lease', 'LeaseKeepAlive');
    ka.send({ ID: 77 });
    ka.send({ ID: 78 });
    ka.send({ ID: '9223372036854775807' });
    await ka.next(() => ka.responses.length >= 3);
    like(ka.responses.map(norm), [{ ID: 77, TTL: 60, header: { revision: 15 } }, { ID: 78, TTL: 0 }, { TTL: 0 }]);
    ka.end();

    like(await call('Lease', 'LeaseRevoke', { ID: 77 }), { header: { revision: 16 } });
    like(await call('KV', 'Range', { key: b('l/'), range_end: b('l0') }), { kvs: [] });
    like(await fail('Lease', 'LeaseRevoke', { ID: 77 }), { code: 5, details: 'etcdserver: requested lease not found' });
    like(await fail('Lease', 'LeaseRevoke', { ID: '9223372036854775807' }), { code: 5, details: 'etcdserver: requested lease not found' });
    // etcd raises a TTL below its minimum (a few seconds) to that minimum.
    const short = await call('Lease', 'LeaseGrant', { TTL: 1, ID: 79 });
    assert.ok(short.ID === 79 && short.TTL >= 1, JSON.stringify(short));
    like(await call('Lease', 'LeaseRevoke', { ID: 79 }), { header: { revision: 16 } });
  });

  it('multiplexes watches on one stream: created first, filters, prev_kv, progress, cancel', async () => {
    const { s, next } = watchStream();
    s.send({ create_request: { key: b('w') } });
    like(await next((r) => r.created), { watch_id: 0, created: true, canceled: false, header: { revision: 16 } });
    s.send({ create_request: { key: b('w'), prev_kv: true, watch_id: 10 } });
    like(await next((r) => r.created && r.watch_id === 10), { canceled: false });
    s.send({ create_request: { key: b('p'), range_end: b('q'), filters: ['NODELETE'] } });
    like(await next((r) => r.created && r.watch_id === 1), { canceled: false });
    s.send({ create_request: { key: b('w'), watch_id: 10 } });
    like(await next((r) => r.watch_id === -1 && r.created), { canceled: true, cancel_reason: 'mvcc: duplicate watch ID provided on the WatchStream' });
    const mark = s.responses.length;
    s.send({ create_request: { key: b('z'), range_end: b('a') } });
    like(await next((r) => r.watch_id === -1 && r.created, mark), { canceled: true, cancel_reason: 'mvcc: watcher range is empty' });

    await call('KV', 'Put', { key: b('w'), value: b('1') });
    await call('KV', 'Put', { key: b('p1'), value: b('1') });
    await call('KV', 'DeleteRange', { key: b('p1') });
    await call('KV', 'Put', { key: b('w'), value: b('2') });
    await call('KV', 'DeleteRange', { key: b('w') });
    await next((r) => r.watch_id === 10 && r.events[0]?.type === 'DELETE');
    await next((r) => r.watch_id === 0 && r.events[0]?.type === 'DELETE');
    const of = (id: number) => s.responses.map(norm).filter((r: any) => r.watch_id === id && !r.created && r.events.length > 0);
    like(of(0), [
      { header: { revision: 17 }, events: [{ type: 'PUT', kv: kv('w', '1', 17, 17, 1), prev_kv: null }] },
      { header: { revision: 20 }, events: [{ type: 'PUT', kv: kv('w', '2', 17, 20, 2), prev_kv: null }] },
      { header: { revision: 21 }, events: [{ type: 'DELETE', kv: kv('w', '', 0, 21, 0), prev_kv: null }] },
    ]);
    like(of(10), [
      { events: [{ type: 'PUT', kv: { value: '1' }, prev_kv: null }] },
      { events: [{ type: 'PUT', kv: { value: '2' }, prev_kv: kv('w', '1', 17, 17, 1) }] },
      { events: [{ type: 'DELETE', kv: { key: 'w', mod_revision: 21 }, prev_kv: kv('w', '2', 17, 20, 2) }] },
    ]);
    like(of(1), [{ header: { revision: 18 }, events: [{ type: 'PUT', kv: kv('p1', '1', 18, 18, 1) }] }]);

    const beforeProgress = s.responses.length;
    s.send({ progress_request: {} });
    like(await next((r) => r.watch_id === -1 && !r.created, beforeProgress), { header: { revision: 21 }, events: [], canceled: false });

    const beforeCancel = s.responses.length;
    s.send({ cancel_request: { watch_id: 99 } });
    s.send({ cancel_request: { watch_id: 10 } });
    like(await next((r) => r.canceled, beforeCancel), { watch_id: 10, created: false, canceled: true, cancel_reason: '', header: { revision: 21 } });
    await call('KV', 'Put', { key: b('w'), value: b('3') });
    await next((r) => r.watch_id === 0 && r.events.length > 0, beforeCancel);
    assert.ok(!s.responses.slice(beforeCancel).map(norm).some((r: any) => r.watch_id === 99 || (r.watch_id === 10 && r.events.length > 0)));
    s.cancel();
  });

  it('watches from past revisions, and ends compacted ones as etcd does', async () => {
    const { s, next } = watchStream();
    s.send({ create_request: { key: b('w'), start_revision: rev(17), prev_kv: true } });
    like(await next((r) => r.created), { watch_id: 0, header: { revision: 22 } });
    await next((r) => r.events.some((e: any) => e.kv.mod_revision === 22));
    const events = s.responses.map(norm).flatMap((r: any) => r.events);
    like(events.map((e: any) => [e.type, e.kv.mod_revision, e.prev_kv?.value ?? null]), [['PUT', 17, null], ['PUT', 20, '1'], ['DELETE', 21, '2'], ['PUT', 22, null]]);

    s.send({ create_request: { key: b('w'), start_revision: rev(3), watch_id: 5 } });
    like(await next((r) => r.watch_id === 5 && r.created), { canceled: false, header: { revision: 22 } });
    // etcd 3.4 sends the compaction with revision 0 in the header and no cancel reason.
    like(await next((r) => r.watch_id === 5 && r.canceled), { created: false, compact_revision: 4, cancel_reason: '', header: { revision: 0 }, events: [] });
    // The ID stays taken until the client cancels it.
    const mark = s.responses.length;
    s.send({ create_request: { key: b('w'), watch_id: 5 } });
    like(await next((r) => r.created, mark), { watch_id: -1, canceled: true });
    s.send({ cancel_request: { watch_id: 5 } });
    like(await next((r) => r.canceled && r.watch_id === 5 && !r.compact_revision, mark), { header: { revision: 22 } });
    s.send({ create_request: { key: b('w'), watch_id: 5 } });
    like(await next((r) => r.created && r.watch_id === 5, mark), { canceled: false });
    s.cancel();
  });

  it('fragments large responses only for watches that ask', async () => {
    const { s, next } = watchStream();
    s.send({ create_request: { key: b('f/'), range_end: b('f0'), prev_kv: true, fragment: true } });
    await next((r) => r.created && r.watch_id === 0);
    s.send({ create_request: { key: b('f/'), range_end: b('f0'), prev_kv: true } });
    await next((r) => r.created && r.watch_id === 1);
    // etcd fragments beyond --max-request-bytes plus its 512 KiB gRPC allowance (2 MiB in all).
    const value = Buffer.alloc(400 * 1024, 'v');
    for (let i = 0; i < 6; i++) await call('KV', 'Put', { key: b(`f/${i}`), value });
    const del = await call('KV', 'DeleteRange', { key: b('f/'), range_end: b('f0') });
    const at = del.header.revision;
    await next((r) => r.watch_id === 0 && r.header.revision === at && !r.fragment);
    await next((r) => r.watch_id === 1 && r.header.revision === at);
    const shape = (id: number) => s.responses.map(norm).filter((r: any) => r.watch_id === id && r.header.revision === at).map((r: any) => [r.events.length, r.fragment]);
    like(shape(0), [[5, true], [1, false]]);
    like(shape(1), [[6, false]]);
    s.cancel();
  });

  it('reports status, alarms and members', async () => {
    const st = await client.call('Maintenance', 'Status', {});
    assert.equal(st.leader, st.header.member_id);
    assert.match(st.version, /^3\.\d+\.\d+/);
    assert.ok(st.dbSize > 0 && st.dbSizeInUse > 0 && st.raftIndex > 0);
    like(await call('Maintenance', 'Alarm', { action: 'GET' }), { alarms: [] });
    const members = await client.call('Cluster', 'MemberList', {});
    assert.equal(members.members.length, 1);
    assert.equal(members.members[0].ID, st.header.member_id);
    assert.deepEqual(members.members[0].clientURLs, [`http://${target.endpoint}`]);
    const h1 = await client.call('Maintenance', 'HashKV', { revision: 0 });
    const h2 = await client.call('Maintenance', 'HashKV', { revision: 0 });
    assert.equal(h1.hash, h2.hash);
    like(norm(h1), { compact_revision: 4 });
  });

  it('keeps the lease with ignore_lease and the value with ignore_value', async () => {
    await call('Lease', 'LeaseGrant', { TTL: 60, ID: 80 });
    const first = await call('KV', 'Put', { key: b('il'), value: b('v1'), lease: 80 });
    const at = first.header.revision;
    like(await call('KV', 'Put', { key: b('il'), value: b('v2'), ignore_lease: true, prev_kv: true }), { header: { revision: at + 1 }, prev_kv: kv('il', 'v1', at, at, 1, 80) });
    like(await call('KV', 'Range', { key: b('il') }), { kvs: [kv('il', 'v2', at, at + 1, 2, 80)] });
    like(await call('KV', 'Put', { key: b('il'), ignore_value: true }), { header: { revision: at + 2 } });
    // ignore_value without a lease detaches it, as etcd does.
    like(await call('KV', 'Range', { key: b('il') }), { kvs: [kv('il', 'v2', at, at + 2, 3, 0)] });
    like(await call('Lease', 'LeaseTimeToLive', { ID: 80, keys: true }), { keys: [] });
    await call('Lease', 'LeaseRevoke', { ID: 80 });
    like(await call('KV', 'Range', { key: b('il') }), { kvs: [{ key: 'il' }] });
  });

  it('answers gRPC health checks as etcd does', async () => {
    const Health = grpc.makeGenericClientConstructor(healthServiceDefinition(), 'Health');
    const health = new Health(target.endpoint, grpc.credentials.createInsecure()) as any;
    try {
      const check = (service: string) => new Promise<any>((resolve) => {
        health.Check({ service }, (err: grpc.ServiceError | null, res: any) => resolve(err ? { code: err.code, details: err.details } : res));
      });
      like(await check(''), { status: 'SERVING' });
      like(await check('etcdserverpb.KV'), { code: grpc.status.NOT_FOUND, details: 'unknown service' });
      const watch = health.Watch({ service: '' });
      const first = await new Promise<any>((resolve, reject) => {
        watch.once('data', resolve);
        watch.once('error', reject);
      });
      like(first, { status: 'SERVING' });
      watch.on('error', () => {});
      watch.cancel();
    } finally {
      health.close();
    }
  });

  it('evaluates nested compares before applying any op, as etcd does', async () => {
    const put = (key: string, value: string) => ({ request_put: { key: b(key), value: b(value) } });
    const res = await call('KV', 'Txn', {
      success: [put('nested', '1'), { request_txn: { compare: [{ key: b('nested'), target: 'VALUE', result: 'EQUAL', value: b('1') }], success: [put('nested-then', '1')] } }],
    });
    // Against the store before the txn "nested" did not exist, so the nested compare failed.
    // (Last in the suite: the two answers write different numbers of revisions.)
    like(res, { succeeded: true, responses: [{}, { response_txn: { succeeded: false, responses: [] } }] });
  });
}
