import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { openBackend } from '../../kv/open.ts';
import type { Backend } from '../../kv/types.ts';
import { setLogSink } from '../../log/log.ts';
import { WatchCache, type CacheEvent } from './watchcache.ts';

/** Bounded wait for the cache; a test fails rather than hangs when the datastore never delivers. */
const WAIT_MS = 10_000;

let dir: string;
let backend: Backend;
let restoreLog: (line: string) => void;
const caches: WatchCache[] = [];

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-watchcache-'));
  backend = await openBackend({ dataDir: dir });
  // Undecodable values are logged and skipped; keep the test output clean.
  restoreLog = setLogSink(() => {});
});

after(async () => {
  setLogSink(restoreLog);
  await backend.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  for (const c of caches.splice(0)) c.stop();
});

let prefixCounter = 0;
/** Each test gets storage paths of its own in the shared store. */
function unique(name: string): string {
  return `${name}${++prefixCounter}`;
}

function object(name: string, namespace: string | undefined, data: Record<string, string> = {}): Buffer {
  return Buffer.from(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(namespace ? { namespace } : {}) }, data }));
}

async function put(key: string, value: Buffer): Promise<number> {
  return (await backend.txn({ success: [{ type: 'put', key, value }] })).revision;
}

async function del(key: string): Promise<number> {
  return (await backend.txn({ success: [{ type: 'delete', key }] })).revision;
}

async function startCache(paths: string[], ringCapacity?: number): Promise<WatchCache> {
  const cache = new WatchCache(backend, ringCapacity ? { ringCapacity } : {});
  caches.push(cache);
  await cache.start(paths);
  return cache;
}

async function caughtUp(cache: WatchCache, revision: number): Promise<void> {
  assert.equal(await cache.waitFor(revision, WAIT_MS), true, `cache reached revision ${revision}`);
}

function recorder(): { sink: (events: CacheEvent[], revision: number) => void; events: CacheEvent[]; ends: number } {
  const r = {
    events: [] as CacheEvent[],
    ends: 0,
    sink: (events: CacheEvent[], revision: number) => {
      if (revision === -1) r.ends++;
      r.events.push(...events);
    },
  };
  return r;
}

describe('watch cache over a sqlite datastore', () => {
  it('loads what is stored, with resourceVersion = modRevision, in key order', async () => {
    const cm = unique('configmaps');
    const rb = await put(`/registry/${cm}/ns2/b`, object('b', 'ns2'));
    const ra = await put(`/registry/${cm}/ns1/a`, object('a', 'ns1'));
    await put(`/registry/${cm}/ns1/broken`, Buffer.from('{not json'));
    const cache = await startCache([cm]);
    assert.ok(cache.revision >= ra);
    const all = cache.list(cm);
    assert.deepEqual(all.map((c) => c.key), [`/registry/${cm}/ns1/a`, `/registry/${cm}/ns2/b`], 'undecodable values are skipped');
    assert.equal(all[0]!.obj.metadata.resourceVersion, String(ra));
    assert.equal(all[1]!.revision, rb);
    assert.deepEqual(cache.list(cm, `/registry/${cm}/ns2/`).map((c) => c.obj.metadata.name), ['b']);
    assert.equal(cache.get(cm, `/registry/${cm}/ns1/a`)?.obj.metadata.name, 'a');
    assert.equal(cache.count(cm), 2);
  });

  it('delivers ADDED, MODIFIED and DELETED in revision order, DELETED with the last state at the delete revision', async () => {
    const cm = unique('configmaps');
    const other = unique('secrets');
    const cache = await startCache([cm, other]);
    const rec = recorder();
    const sub = cache.subscribe(cm, cache.revision, rec.sink);
    assert.ok(sub);
    assert.deepEqual(sub.backlog, []);
    const key = `/registry/${cm}/ns/a`;
    const r1 = await put(key, object('a', 'ns', { v: '1' }));
    await put(`/registry/${other}/ns/s`, object('s', 'ns'));
    const r2 = await put(key, object('a', 'ns', { v: '2' }));
    const r3 = await del(key);
    await caughtUp(cache, r3);
    assert.deepEqual(rec.events.map((e) => [e.type, e.revision]), [['ADDED', r1], ['MODIFIED', r2], ['DELETED', r3]]);
    const [added, modified, deleted] = rec.events;
    assert.equal(added!.object.obj.metadata.resourceVersion, String(r1));
    assert.equal(modified!.prev?.obj.data.v, '1');
    assert.equal(modified!.object.obj.data.v, '2');
    assert.equal(deleted!.object.obj.data.v, '2', 'DELETED carries the last state');
    assert.equal(deleted!.object.obj.metadata.resourceVersion, String(r3), "at the delete's revision");
    assert.equal(deleted!.prev?.obj.metadata.resourceVersion, String(r2), 'the cached object is not changed');
    assert.equal(cache.get(cm, key), undefined);
    sub.cancel();
    const r4 = await put(key, object('a', 'ns'));
    await caughtUp(cache, r4);
    assert.equal(rec.events.length, 3, 'nothing after cancel');
  });

  it('gives a late subscriber the events after its revision as backlog', async () => {
    const cm = unique('configmaps');
    const cache = await startCache([cm]);
    const r1 = await put(`/registry/${cm}/ns/a`, object('a', 'ns'));
    const r2 = await put(`/registry/${cm}/ns/b`, object('b', 'ns'));
    const r3 = await del(`/registry/${cm}/ns/a`);
    await caughtUp(cache, r3);
    const sub = cache.subscribe(cm, r1, () => {});
    assert.ok(sub);
    assert.deepEqual(sub.backlog.map((e) => [e.type, e.object.obj.metadata.name, e.revision]), [['ADDED', 'b', r2], ['DELETED', 'a', r3]]);
    assert.deepEqual(cache.subscribe(cm, r3, () => {})?.backlog, []);
  });

  it('answers undefined (410 Expired) once the ring no longer holds the revision', async () => {
    const cm = unique('configmaps');
    const cache = await startCache([cm], 2);
    const start = cache.revision;
    const revs: number[] = [];
    for (const name of ['a', 'b', 'c', 'd']) revs.push(await put(`/registry/${cm}/ns/${name}`, object(name, 'ns')));
    await caughtUp(cache, revs[3]!);
    assert.equal(cache.subscribe(cm, start, () => {}), undefined);
    assert.equal(cache.subscribe(cm, revs[0]!, () => {}), undefined);
    assert.equal(cache.oldestRevision(cm), revs[1]);
    const sub = cache.subscribe(cm, revs[1]!, () => {});
    assert.deepEqual(sub?.backlog.map((e) => e.revision), [revs[2], revs[3]]);
  });

  it('refuses a revision older than its start', async () => {
    const cm = unique('configmaps');
    const before = await put(`/registry/${cm}/ns/a`, object('a', 'ns'));
    await put(`/registry/${cm}/ns/b`, object('b', 'ns'));
    const cache = await startCache([cm]);
    assert.equal(cache.subscribe(cm, before - 1, () => {}), undefined);
    assert.deepEqual(cache.subscribe(cm, cache.revision, () => {})?.backlog, []);
  });

  it('waitFor() sees a write outside /registry/ through a progress notification', async () => {
    const cache = await startCache([unique('configmaps')]);
    const outside = await put(`/tsk-test/${unique('x')}`, Buffer.from('1'));
    await caughtUp(cache, outside);
    assert.ok(cache.revision >= outside);
    assert.equal(await cache.waitFor(outside + 1000, 50), false, 'a revision that does not come times out');
  });

  it('register() adopts keys stored before and after start for a storage path added later', async () => {
    const widgets = `example.com/${unique('widgets')}`;
    const early = await put(`/registry/${widgets}/ns/w1`, object('w1', 'ns'));
    const cache = await startCache([unique('configmaps')]);
    const late = await put(`/registry/${widgets}/ns/w2`, object('w2', 'ns'));
    await caughtUp(cache, late);
    assert.deepEqual(cache.list(widgets), []);
    cache.register(widgets);
    assert.deepEqual(cache.list(widgets).map((c) => [c.obj.metadata.name, c.revision]), [['w1', early], ['w2', late]]);
    const rec = recorder();
    cache.subscribe(widgets, cache.revision, rec.sink);
    const r = await put(`/registry/${widgets}/ns/w3`, object('w3', 'ns'));
    await caughtUp(cache, r);
    assert.deepEqual(rec.events.map((e) => [e.type, e.object.obj.metadata.name]), [['ADDED', 'w3']]);
  });

  it('unregister() ends watchers and keeps the objects for a later register()', async () => {
    const widgets = `example.com/${unique('widgets')}`;
    const cache = await startCache([widgets]);
    const r = await put(`/registry/${widgets}/w1`, object('w1', undefined));
    await caughtUp(cache, r);
    const rec = recorder();
    cache.subscribe(widgets, cache.revision, rec.sink);
    cache.unregister(widgets);
    assert.equal(rec.ends, 1);
    assert.deepEqual(cache.list(widgets), []);
    cache.register(widgets);
    assert.deepEqual(cache.list(widgets).map((c) => [c.obj.metadata.name, c.obj.metadata.resourceVersion]), [['w1', String(r)]]);
  });

  it('files keys under two-segment storage paths without confusing them with namespaces', async () => {
    const services = unique('services');
    const specs = `${services}/specs`;
    const endpoints = unique('endpoints');
    const cache = await startCache([specs, endpoints, services]);
    const r1 = await put(`/registry/${specs}/default/kubernetes`, object('kubernetes', 'default'));
    const r2 = await put(`/registry/${endpoints}/specs/e1`, object('e1', 'specs'));
    const r3 = await put(`/registry/${services}/ns/plain`, object('plain', 'ns'));
    await caughtUp(cache, Math.max(r1, r2, r3));
    assert.deepEqual(cache.list(specs).map((c) => c.obj.metadata.name), ['kubernetes']);
    assert.deepEqual(cache.list(endpoints).map((c) => c.obj.metadata.name), ['e1'], "a namespace named 'specs' stays in its resource");
    assert.deepEqual(cache.list(services).map((c) => c.obj.metadata.name), ['plain']);
  });

  it('stop() ends every watcher', async () => {
    const cm = unique('configmaps');
    const cache = await startCache([cm]);
    const rec = recorder();
    cache.subscribe(cm, cache.revision, rec.sink);
    cache.stop();
    assert.equal(rec.ends, 1);
  });
});
