/**
 * What only the facade does beyond etcd's script (parity.test.ts): bounded buffering for slow
 * watch clients, configurable progress notifications, progress answers that wait for
 * catching-up watches, no leaked store watches, clean shutdown, and garbage on the wire.
 */
import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Backend, Watch } from '../kv/types.ts';
import { b, spawnEtcdctl, startFacade, testClient, type Facade, type TestClient } from './testkit.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- responses are plain decoded messages */

/** Counts the store watches the facade holds open. */
function countWatches(backend: Backend): { open: () => number } {
  let open = 0;
  const original = backend.watch.bind(backend);
  backend.watch = (key, options, handler) => {
    open++;
    let done = false;
    const end = () => {
      if (!done) open--;
      done = true;
    };
    const w: Watch = original(key, options, (batch) => {
      if (batch.error) end();
      handler(batch);
    });
    return { cancel: () => { end(); w.cancel(); }, requestProgress: () => w.requestProgress() };
  };
  return { open: () => open };
}

async function until(what: string, cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('etcd facade watch streams', () => {
  let facade: Facade | undefined;
  let client: TestClient | undefined;
  afterEach(async () => {
    client?.close();
    await facade?.stop();
    client = undefined;
    facade = undefined;
  });

  it('cancels the watch that would overflow a slow client\'s stream, and keeps serving the stream', async () => {
    facade = await startFacade({ watchStreamBufferBytes: 1024 * 1024 });
    client = testClient(facade.endpoint, { 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
    const s = client.stream('Watch', 'Watch');
    s.send({ create_request: { key: b('big/'), range_end: b('big0') } });
    await s.next((r) => r.created && r.watch_id === 0);
    s.send({ create_request: { key: b('small') } });
    await s.next((r) => r.created && r.watch_id === 1);

    s.raw.pause();
    const value = Buffer.alloc(256 * 1024, 'x');
    for (let i = 0; i < 64; i++) await client.call('KV', 'Put', { key: b(`big/${i}`), value });
    s.raw.resume();

    const canceled = await s.next((r) => r.watch_id === 0 && r.canceled);
    assert.match(canceled.cancel_reason, /^tsk: watch 0 canceled: the client reads its stream too slowly \(more than 1048576 bytes queued\); watch again from revision \d+$/);
    const delivered = s.responses.filter((r) => r.watch_id === 0 && r.events.length > 0).length;
    assert.ok(delivered < 64, `all ${delivered} responses were queued`);
    // The stream and its other watch still work.
    const put = await client.call('KV', 'Put', { key: b('small'), value: b('1') });
    const ev = await s.next((r) => r.watch_id === 1 && r.events.length > 0);
    assert.equal(ev.header.revision, put.header.revision);
    // Events after the cancellation are not sent for the canceled watch.
    const cancelAt = s.responses.indexOf(canceled);
    assert.ok(!s.responses.slice(cancelAt + 1).some((r) => r.watch_id === 0 && r.events.length > 0));
    s.cancel();
  });

  it('sends progress notifications at the configured interval to idle watches that asked', async () => {
    facade = await startFacade({ progressNotifyIntervalMs: 100 });
    client = testClient(facade.endpoint);
    const s = client.stream('Watch', 'Watch');
    s.send({ create_request: { key: b('p'), progress_notify: true } });
    await s.next((r) => r.created && r.watch_id === 0);
    s.send({ create_request: { key: b('q') } });
    await s.next((r) => r.created && r.watch_id === 1);
    const put = await client.call('KV', 'Put', { key: b('unrelated'), value: b('1') });
    const progress = await s.next((r) => r.watch_id === 0 && !r.created && r.events.length === 0 && r.header.revision === put.header.revision);
    assert.equal(progress.canceled, false);
    assert.ok(!s.responses.some((r) => r.watch_id === 1 && !r.created), 'a watch without progress_notify got a notification');
    s.cancel();
  });

  it('answers a progress request only with a revision every watch of the stream has reached', async () => {
    // A small in-memory ring makes the watch page its history from disk, over many ticks.
    facade = await startFacade({}, { watchRingEvents: 100 });
    client = testClient(facade.endpoint, { 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
    const value = Buffer.alloc(1024, 'h');
    const writes = [];
    for (let i = 0; i < 3000; i++) writes.push(client.call('KV', 'Put', { key: b(`hist/${i % 50}`), value }));
    const last = (await Promise.all(writes)).reduce((max, r) => Math.max(max, r.header.revision), 0);
    const s = client.stream('Watch', 'Watch');
    s.send({ create_request: { key: b('hist/'), range_end: b('hist0'), start_revision: 1 } });
    s.send({ progress_request: {} });
    const progress = await s.next((r) => r.watch_id === -1);
    const at = s.responses.indexOf(progress);
    const seen = s.responses.slice(0, at).flatMap((r) => r.events).map((e: any) => e.kv.mod_revision);
    // Every event at or below the promised revision came before the promise.
    const promised = progress.header.revision;
    assert.ok(promised > 0);
    for (let rev = 1; rev <= Math.min(promised, last); rev++) assert.ok(seen.includes(rev), `revision ${rev} <= ${promised} was not sent first`);
    s.cancel();
  });

  it('answers a progress request even when the store never reports progress, with what was sent', async () => {
    facade = await startFacade();
    const original = facade.backend.watch.bind(facade.backend);
    facade.backend.watch = (key, options, handler) => ({ ...original(key, options, handler), requestProgress: () => {} });
    client = testClient(facade.endpoint);
    await client.call('KV', 'Put', { key: b('quiet'), value: b('1') });
    const s = client.stream('Watch', 'Watch');
    s.send({ create_request: { key: b('quiet') } });
    const created = await s.next((r) => r.created);
    s.send({ progress_request: {} });
    const progress = await s.next((r) => r.watch_id === -1);
    assert.equal(progress.header.revision, created.header.revision);
    s.cancel();
  });

  it('ends the store watches of a stream the client cancels or closes', async () => {
    facade = await startFacade();
    const watches = countWatches(facade.backend);
    client = testClient(facade.endpoint);
    const one = client.stream('Watch', 'Watch');
    const two = client.stream('Watch', 'Watch');
    for (let i = 0; i < 5; i++) one.send({ create_request: { key: b(`k${i}`) } });
    two.send({ create_request: { key: b('x') } });
    await one.next(() => one.responses.filter((r) => r.created).length === 5);
    await two.next((r) => r.created);
    assert.equal(watches.open(), 6);
    one.send({ cancel_request: { watch_id: 3 } });
    await one.next((r) => r.canceled);
    assert.equal(watches.open(), 5);
    one.cancel();
    await until('the canceled stream\'s watches to end', () => watches.open() === 1);
    // A client that only half-closes keeps its watches, as with etcd.
    two.end();
    await client.call('KV', 'Put', { key: b('x'), value: b('1') });
    await two.next((r) => r.events.length === 1);
    assert.equal(watches.open(), 1);
    two.cancel();
    await until('the second stream\'s watch to end', () => watches.open() === 0);
    // A client process that dies: its connection drops without any cancel.
    const ctl = spawnEtcdctl(facade.endpoint, ['watch', 'gone']);
    try {
      await until('etcdctl\'s watch to open', () => watches.open() === 1);
    } finally {
      await ctl.kill();
    }
    await until('the dead client\'s watch to end', () => watches.open() === 0);
  });

  it('ends open streams with "server stopped" on close, and closes promptly', async () => {
    facade = await startFacade();
    client = testClient(facade.endpoint);
    const s = client.stream('Watch', 'Watch');
    s.send({ create_request: { key: b('a') } });
    await s.next((r) => r.created);
    const ka = client.stream('Lease', 'LeaseKeepAlive');
    const lease = await client.call('Lease', 'LeaseGrant', { TTL: 60 });
    ka.send({ ID: lease.ID });
    await ka.next((r) => r.TTL === 60);
    await facade.server.close();
    await until('the watch stream to end', () => s.error !== undefined);
    assert.equal(s.error!.code, grpc.status.UNAVAILABLE);
    assert.equal(s.error!.details, 'etcdserver: server stopped');
    await until('the keep-alive stream to end', () => ka.error !== undefined);
  });

  it('survives garbage on the wire and keeps the data', async () => {
    facade = await startFacade();
    client = testClient(facade.endpoint);
    await client.call('KV', 'Put', { key: b('keep'), value: b('me') });
    const raw = new grpc.Client(facade.endpoint, grpc.credentials.createInsecure());
    try {
      for (const method of ['/etcdserverpb.KV/Put', '/etcdserverpb.KV/Txn', '/etcdserverpb.Lease/LeaseGrant', '/etcdserverpb.KV/Range']) {
        const err = await new Promise<grpc.ServiceError | null>((resolve) => {
          raw.makeUnaryRequest(method, (x: Buffer) => x, (x: Buffer) => x, Buffer.from([0xff, 0xff, 0xff, 0x0f, 0x12]), (e) => resolve(e));
        });
        assert.ok(err, `${method} accepted garbage`);
        assert.equal(err.code, grpc.status.INTERNAL);
      }
      const watch = raw.makeBidiStreamRequest('/etcdserverpb.Watch/Watch', (x: Buffer) => x, (x: Buffer) => x);
      const ended = new Promise<grpc.ServiceError>((resolve) => watch.on('error', resolve));
      watch.write(Buffer.from([0x0a, 0xff, 0xff]));
      assert.equal((await ended).code, grpc.status.INTERNAL);
    } finally {
      raw.close();
    }
    const res = await client.call('KV', 'Range', { key: b('keep') });
    assert.equal(res.kvs[0].value.toString(), 'me');
  });
});
