import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status as GrpcStatus, Metadata, type ServiceError } from '@grpc/grpc-js';
import { freeLoopbackPort, startEtcd, startEtcdCluster, type EtcdProcess } from '../../../test/lib/etcd.ts';
import { runBackendContract } from '../contract.ts';
import { Recorder, rejectsWith } from '../contract/harness.ts';
import { isKvError } from '../errors.ts';
import { prefixEnd } from '../keys.ts';
import { openEtcdBackend } from './backend.ts';
import { fromGrpcError, retryable } from './errors.ts';

let etcd: EtcdProcess;
before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  await etcd?.stop();
});

runBackendContract('etcd 3.4', () => openEtcdBackend({ endpoints: [etcd.endpoint], tls: false }));

function serviceError(code: GrpcStatus, details: string): ServiceError {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: new Metadata() });
}

describe('etcd backend: error mapping', () => {
  it("maps etcd's messages to KvError codes", () => {
    const cases: Array<[GrpcStatus, string, string]> = [
      [GrpcStatus.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted', 'compacted'],
      [GrpcStatus.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision', 'future-revision'],
      [GrpcStatus.NOT_FOUND, 'etcdserver: requested lease not found', 'lease-not-found'],
      [GrpcStatus.FAILED_PRECONDITION, 'etcdserver: lease already exists', 'lease-exists'],
      [GrpcStatus.OUT_OF_RANGE, 'etcdserver: too large lease TTL', 'invalid-ttl'],
      [GrpcStatus.INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request', 'duplicate-key'],
      [GrpcStatus.INVALID_ARGUMENT, 'etcdserver: too many operations in txn request', 'too-many-ops'],
      [GrpcStatus.INVALID_ARGUMENT, 'etcdserver: request is too large', 'request-too-large'],
      [GrpcStatus.INVALID_ARGUMENT, 'etcdserver: key is not provided', 'empty-key'],
      [GrpcStatus.RESOURCE_EXHAUSTED, 'etcdserver: mvcc: database space exceeded', 'unavailable'],
      [GrpcStatus.UNAVAILABLE, 'etcdserver: no leader', 'unavailable'],
      [GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded', 'unavailable'],
    ];
    for (const [code, details, want] of cases) {
      const err = fromGrpcError(serviceError(code, details), 'test');
      assert.ok(isKvError(err), `${details}: a KvError`);
      assert.equal(err.code, want, details);
    }
    const other = fromGrpcError(serviceError(GrpcStatus.PERMISSION_DENIED, 'etcdserver: permission denied'), 'KV.Range');
    assert.ok(!isKvError(other), 'no KvError code fits an auth failure');
    assert.match(other.message, /PERMISSION_DENIED: etcdserver: permission denied/);
  });

  it('retries writes only when they certainly did not apply', () => {
    const notSent = serviceError(GrpcStatus.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1');
    const dropped = serviceError(GrpcStatus.UNAVAILABLE, 'Connection dropped');
    const noLeader = serviceError(GrpcStatus.UNAVAILABLE, 'etcdserver: no leader');
    assert.deepEqual([retryable(notSent, false), retryable(dropped, false), retryable(noLeader, false)], [true, false, true]);
    assert.deepEqual([retryable(dropped, true), retryable(serviceError(GrpcStatus.INVALID_ARGUMENT, 'x'), true)], [true, false]);
  });
});

describe('etcd backend: endpoints', () => {
  it('skips a dead first endpoint', async () => {
    const dead = `127.0.0.1:${await freeLoopbackPort()}`;
    const b = await openEtcdBackend({ endpoints: [dead, etcd.endpoint], tls: false });
    try {
      const res = await b.txn({ success: [{ type: 'put', key: '/failover/first-dead', value: Buffer.from('ok') }] });
      assert.equal(res.succeeded, true);
      assert.equal((await b.range('/failover/first-dead')).kvs[0]?.value.toString(), 'ok');
      const rec = new Recorder(30_000);
      const w = b.watch('/failover/first-dead', {}, rec.handler);
      const r = await b.txn({ success: [{ type: 'put', key: '/failover/first-dead', value: Buffer.from('again') }] });
      await rec.waitForRevision(r.revision);
      w.cancel();
      assert.deepEqual(await b.leaseKeepAlive((await b.leaseGrant(10)).id).then((g) => g.ttl), 10);
    } finally {
      await b.close();
    }
  });

  it("fails with 'unavailable' when no endpoint answers", async () => {
    const dead = [`127.0.0.1:${await freeLoopbackPort()}`, `127.0.0.1:${await freeLoopbackPort()}`];
    await rejectsWith(openEtcdBackend({ endpoints: dead, tls: false, retryBudgetMs: 300 }), 'unavailable', 'open with only dead endpoints');
  });

  it("ends watches with 'unavailable' once no endpoint has answered for the retry budget", async () => {
    const doomed = await startEtcd();
    const b = await openEtcdBackend({ endpoints: [doomed.endpoint], tls: false, retryBudgetMs: 500 });
    try {
      const rec = new Recorder(30_000);
      b.watch('/doomed/k', {}, rec.handler);
      const r = await b.txn({ success: [{ type: 'put', key: '/doomed/k', value: Buffer.from('x') }] });
      await rec.waitForRevision(r.revision);
      await doomed.kill();
      const error = await rec.waitForError();
      assert.equal(error.code, 'unavailable');
      await rejectsWith(b.range('/doomed/k'), 'unavailable', 'a read with the only member dead');
    } finally {
      await b.close();
      await doomed.stop();
    }
  });

  it('speaks TLS with a client certificate', async () => {
    const secure = await startEtcd({ tls: true });
    try {
      const pki = secure.pki!;
      const b = await openEtcdBackend({ endpoints: [secure.endpoint], tls: true, caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile });
      try {
        const rec = new Recorder(30_000);
        const w = b.watch('/tls/k', {}, rec.handler);
        const res = await b.txn({ success: [{ type: 'put', key: '/tls/k', value: Buffer.from('secret') }] });
        assert.equal((await b.range('/tls/k')).kvs[0]?.value.toString(), 'secret');
        await rec.waitForRevision(res.revision);
        w.cancel();
      } finally {
        await b.close();
      }
      // Without a client certificate the server refuses the handshake: no endpoint answers.
      await assert.rejects(openEtcdBackend({ endpoints: [secure.endpoint], tls: true, caFile: pki.caFile, retryBudgetMs: 300 }));
    } finally {
      await secure.stop();
    }
  });

  it('survives the death of the member in use: reads, writes and a watch go on without losing or repeating events', async () => {
    const cluster = await startEtcdCluster(3);
    const b = await openEtcdBackend({ endpoints: cluster.endpoints, tls: false });
    try {
      const p = '/failover/cluster/';
      const lease = await b.leaseGrant(60);
      const rec = new Recorder(60_000);
      const w = b.watch(p, { end: prefixEnd(p) }, rec.handler);
      const revisions: number[] = [];
      // Create-if-absent, retried on 'unavailable': a write in flight when the member dies
      // has an unknown outcome, and this is how a caller settles it.
      const write = async (i: number) => {
        const key = `${p}${String(i).padStart(3, '0')}`;
        for (let attempt = 0; ; attempt++) {
          try {
            const res = await b.txn({
              compare: [{ key, target: 'create', result: '=', value: 0 }],
              success: [{ type: 'put', key, value: Buffer.from(String(i)) }],
              failure: [{ type: 'range', key }],
            });
            const r = res.responses[0];
            revisions.push(res.succeeded ? res.revision : r?.type === 'range' ? r.kvs[0]!.modRevision : -1);
            return;
          } catch (err) {
            if (!isKvError(err, 'unavailable') || attempt >= 5) throw err;
          }
        }
      };
      for (let i = 0; i < 20; i++) await write(i);
      await rec.waitForRevision(revisions.at(-1)!);
      // The backend starts on the first endpoint (pick-first): kill that member.
      await cluster.members[0]!.kill();
      for (let i = 20; i < 40; i++) await write(i);
      await rec.waitForRevision(revisions.at(-1)!);
      w.cancel();
      assert.deepEqual(rec.events.map((e) => e.kv.modRevision), revisions, 'every write once, in order, across the failover');
      assert.equal((await b.range(p, { end: prefixEnd(p), countOnly: true })).count, 40);
      assert.deepEqual(await b.leaseKeepAlive(lease.id), { id: lease.id, ttl: 60 }, 'renewals move to a live member too');
    } finally {
      await b.close();
      await cluster.stop();
    }
  });
});
