import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KObject, ResourceDefinition, StrategyContext } from '../../api/types.ts';
import { openBackend } from '../../kv/open.ts';
import type { Backend } from '../../kv/types.ts';
import { ApiError } from '../errors.ts';
import { encodeForStorage, storageKey } from './codec.ts';
import { Store } from './store.ts';
import { WatchCache } from './watchcache.ts';

let dir: string;
let backend: Backend;
let store: Store;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-store-'));
  backend = await openBackend({ dataDir: dir });
  store = new Store(backend, new WatchCache(backend), { validateMeta: () => [] });
});

after(async () => {
  await backend.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

let counter = 0;

/** A ConfigMap-like kind with an empty strategy, under a storage path of its own per test. */
function configMaps(): ResourceDefinition {
  return {
    group: '',
    version: 'v1',
    kind: 'ConfigMap',
    listKind: 'ConfigMapList',
    plural: 'configmaps',
    singular: 'configmap',
    namespaced: true,
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    schema: 'io.k8s.api.core.v1.ConfigMap',
    strategy: {},
    storagePath: `configmaps-${++counter}`,
  };
}

/** A kind with a spec (generation) and a status subresource. */
function widgets(): ResourceDefinition {
  return { ...configMaps(), group: 'example.com', kind: 'Widget', listKind: 'WidgetList', plural: 'widgets', singular: 'widget', subresources: ['status'], schema: 'com.example.v1.Widget', storagePath: `example.com/widgets-${++counter}` };
}

const NOW = new Date('2024-01-02T03:04:05.678Z');

function ctx(overrides: Partial<StrategyContext> = {}): StrategyContext {
  return { user: { username: 'admin', groups: ['system:masters'] }, now: NOW, dryRun: false, subresource: '', ...overrides };
}

function cm(name: string, data: Record<string, string> = {}, meta: Partial<KObject['metadata']> = {}): KObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', ...meta }, data };
}

async function rejects(promise: Promise<unknown>, code: number, reason: string, message?: string): Promise<ApiError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.code, code, err.message);
    assert.equal(err.reason, reason);
    if (message !== undefined) assert.equal(err.message, message);
    return err;
  }
  assert.fail('expected the call to fail');
}

async function stored(def: ResourceDefinition, name: string): Promise<KObject | undefined> {
  const kv = (await backend.range(storageKey(def, 'ns', name))).kvs[0];
  return kv ? (JSON.parse(kv.value.toString()) as KObject) : undefined;
}

const revision = async (): Promise<number> => (await backend.range('/')).revision;

describe('store: create', () => {
  it('sets uid, creationTimestamp and resourceVersion, and stores no resourceVersion', async () => {
    const def = configMaps();
    const created = await store.create(def, cm('a', { k: 'v' }, { resourceVersion: '99', uid: 'mine' }), ctx());
    assert.match(created.metadata.uid!, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(created.metadata.uid, 'mine');
    assert.equal(created.metadata.creationTimestamp, '2024-01-02T03:04:05Z');
    assert.equal(created.metadata.resourceVersion, String(await revision()));
    assert.equal(created.metadata.generation, undefined, 'core kinds but Pod and RC do not track generation');
    const raw = await stored(def, 'a');
    assert.equal(raw?.metadata.resourceVersion, undefined);
    assert.deepEqual(await store.get(def, 'ns', 'a'), created);
  });

  it('refuses an existing name with AlreadyExists', async () => {
    const def = configMaps();
    await store.create(def, cm('a'), ctx());
    await rejects(store.create(def, cm('a'), ctx()), 409, 'AlreadyExists', 'configmaps "a" already exists');
  });

  it('generates names from generateName with a 5-character suffix', async () => {
    const def = configMaps();
    const one = await store.create(def, cm('', {}, { name: undefined, generateName: 'web-' }), ctx());
    const two = await store.create(def, cm('', {}, { name: undefined, generateName: 'web-' }), ctx());
    assert.match(one.metadata.name!, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.notEqual(one.metadata.name, two.metadata.name);
    assert.equal(one.metadata.generateName, 'web-');
  });

  it('needs a name or generateName', async () => {
    await rejects(store.create(configMaps(), cm('', {}, { name: undefined }), ctx()), 422, 'Invalid', 'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required');
  });

  it('starts generation at 1 for kinds with a spec and drops a status the status subresource owns', async () => {
    const def = widgets();
    const created = await store.create(def, { ...cm('w'), spec: { size: 1 }, status: { ready: true } }, ctx());
    assert.equal(created.metadata.generation, 1);
    assert.equal(created.status, undefined);
  });

  it('writes nothing on dryRun', async () => {
    const def = configMaps();
    const before = await revision();
    const created = await store.create(def, cm('dry'), ctx({ dryRun: true }));
    assert.equal(created.metadata.name, 'dry');
    assert.equal(await stored(def, 'dry'), undefined);
    assert.equal(await revision(), before);
  });

  it('answers AlreadyExists on a dryRun create of an existing name, as Kubernetes does', async () => {
    const def = configMaps();
    await store.create(def, cm('a'), ctx());
    await rejects(store.create(def, cm('a'), ctx({ dryRun: true })), 409, 'AlreadyExists');
  });
});

describe('store: update', () => {
  it('refuses a stale resourceVersion with Conflict', async () => {
    const def = configMaps();
    const created = await store.create(def, cm('a', { v: '1' }), ctx());
    await store.update(def, 'ns', 'a', (cur) => ({ ...cur!, data: { v: '2' } }), ctx());
    await rejects(
      store.update(def, 'ns', 'a', () => ({ ...created, data: { v: '3' } }), ctx()),
      409,
      'Conflict',
      'Operation cannot be fulfilled on configmaps "a": the object has been modified; please apply your changes to the latest version and try again',
    );
    assert.equal((await store.get(def, 'ns', 'a')).data.v, '2');
  });

  it('retries without a resourceVersion when another writer got in between', async () => {
    const def = configMaps();
    await store.create(def, cm('a', { base: '1' }), ctx());
    let calls = 0;
    const result = await store.update(
      def,
      'ns',
      'a',
      async (cur) => {
        calls++;
        if (calls === 1) {
          const other = { ...cur!, data: { ...cur!.data, other: 'x' } };
          await backend.txn({ success: [{ type: 'put', key: storageKey(def, 'ns', 'a'), value: encodeForStorage(other) }] });
        }
        const { resourceVersion: _rv, ...metadata } = cur!.metadata;
        return { ...cur!, metadata, data: { ...cur!.data, mine: 'y' } };
      },
      ctx(),
    );
    assert.equal(calls, 2);
    assert.deepEqual(result.obj.data, { base: '1', other: 'x', mine: 'y' });
    assert.equal(result.obj.metadata.resourceVersion, String(await revision()));
  });

  it('answers Conflict when the resourceVersion it carried was overtaken', async () => {
    const def = configMaps();
    await store.create(def, cm('a'), ctx());
    const update = store.update(
      def,
      'ns',
      'a',
      async (cur) => {
        await backend.txn({ success: [{ type: 'put', key: storageKey(def, 'ns', 'a'), value: encodeForStorage({ ...cur!, data: { other: 'x' } }) }] });
        return { ...cur!, data: { mine: 'y' } };
      },
      ctx(),
    );
    await rejects(update, 409, 'Conflict');
  });

  it('refuses a different uid with a precondition Conflict', async () => {
    const def = configMaps();
    const created = await store.create(def, cm('a'), ctx());
    const err = await rejects(store.update(def, 'ns', 'a', (cur) => ({ ...cur!, metadata: { ...cur!.metadata, uid: 'other' } }), ctx()), 409, 'Conflict');
    assert.equal(err.message, `Operation cannot be fulfilled on configmaps "a": Precondition failed: UID in precondition: other, UID in object meta: ${created.metadata.uid}`);
  });

  it('answers NotFound for a missing object, or creates it when allowed', async () => {
    const def = configMaps();
    await rejects(store.update(def, 'ns', 'nope', () => cm('nope'), ctx()), 404, 'NotFound', 'configmaps "nope" not found');
    const result = await store.update(def, 'ns', 'made', () => cm('made', { k: 'v' }), ctx(), { createIfMissing: true });
    assert.equal(result.created, true);
    assert.equal((await store.get(def, 'ns', 'made')).data.k, 'v');
  });

  it('writes nothing when nothing changed, whatever the key order', async () => {
    const def = configMaps();
    const created = await store.create(def, cm('a', { x: '1', y: '2' }), ctx());
    const before = await revision();
    const result = await store.update(def, 'ns', 'a', (cur) => ({ data: { y: '2', x: '1' }, metadata: cur!.metadata, kind: cur!.kind, apiVersion: cur!.apiVersion }), ctx());
    assert.equal(result.obj.metadata.resourceVersion, created.metadata.resourceVersion);
    assert.equal(await revision(), before);
  });

  it('bumps generation on spec changes only, and keeps status on a main-resource update', async () => {
    const def = widgets();
    await store.create(def, { ...cm('w'), spec: { a: 1, b: 2 } }, ctx());
    const status = await store.update(def, 'ns', 'w', (cur) => ({ ...cur!, status: { ready: true } }), ctx({ subresource: 'status' }));
    assert.equal(status.obj.metadata.generation, 1);
    assert.deepEqual(status.obj.status, { ready: true });
    const reordered = await store.update(def, 'ns', 'w', (cur) => ({ ...cur!, spec: { b: 2, a: 1 }, status: { ready: false } }), ctx());
    assert.equal(reordered.obj.metadata.generation, 1, 'same spec in another key order');
    assert.deepEqual(reordered.obj.status, { ready: true }, 'status belongs to the status subresource');
    const changed = await store.update(def, 'ns', 'w', (cur) => ({ ...cur!, spec: { a: 2, b: 2 } }), ctx());
    assert.equal(changed.obj.metadata.generation, 2);
  });

  it('compares specs after defaulting, so an update that omits defaults keeps generation', async () => {
    const def: ResourceDefinition = {
      ...widgets(),
      strategy: {
        defaults: (obj) => {
          obj.spec.size ??= 1;
        },
      },
    };
    await store.create(def, { ...cm('w'), spec: {} }, ctx());
    const result = await store.update(def, 'ns', 'w', (cur) => ({ ...cur!, spec: {} }), ctx());
    assert.equal(result.obj.metadata.generation, 1);
  });

  it('writes nothing on dryRun', async () => {
    const def = configMaps();
    await store.create(def, cm('a', { v: '1' }), ctx());
    const before = await revision();
    const result = await store.update(def, 'ns', 'a', (cur) => ({ ...cur!, data: { v: '2' } }), ctx({ dryRun: true }));
    assert.equal(result.obj.data.v, '2');
    assert.equal((await stored(def, 'a'))?.data.v, '1');
    assert.equal(await revision(), before);
  });
});

describe('store: delete', () => {
  it('deletes at once without finalizers, returning the last state at the delete revision', async () => {
    const def = configMaps();
    await store.create(def, cm('a', { v: '1' }), ctx());
    const result = await store.delete(def, 'ns', 'a', {}, ctx());
    assert.equal(result.deleted, true);
    assert.equal(result.obj.data.v, '1');
    assert.equal(result.obj.metadata.resourceVersion, String(await revision()));
    await rejects(store.get(def, 'ns', 'a'), 404, 'NotFound');
    await rejects(store.delete(def, 'ns', 'a', {}, ctx()), 404, 'NotFound', 'configmaps "a" not found');
  });

  it('with finalizers marks the object deleting; removing the last finalizer deletes it', async () => {
    const def = configMaps();
    await store.create(def, cm('a', {}, { finalizers: ['example.com/hold'] }), ctx());
    const marked = await store.delete(def, 'ns', 'a', {}, ctx());
    assert.equal(marked.deleted, false);
    assert.equal(marked.obj.metadata.deletionTimestamp, '2024-01-02T03:04:05Z');
    assert.equal(marked.obj.metadata.deletionGracePeriodSeconds, 0);
    assert.deepEqual(marked.obj.metadata.finalizers, ['example.com/hold']);
    assert.equal((await store.get(def, 'ns', 'a')).metadata.deletionTimestamp, '2024-01-02T03:04:05Z');

    const again = await store.delete(def, 'ns', 'a', {}, ctx({ now: new Date('2024-01-02T04:00:00Z') }));
    assert.equal(again.deleted, false);
    assert.equal(again.obj.metadata.deletionTimestamp, '2024-01-02T03:04:05Z', 'a second delete changes nothing');

    const kept = await store.update(def, 'ns', 'a', (cur) => ({ ...cur!, data: { still: 'here' } }), ctx());
    assert.equal(kept.obj.metadata.deletionTimestamp, '2024-01-02T03:04:05Z', 'updates keep the deletion mark');

    const last = await store.update(def, 'ns', 'a', (cur) => ({ ...cur!, metadata: { ...cur!.metadata, finalizers: [] } }), ctx());
    assert.equal(last.obj.metadata.resourceVersion, String(await revision()));
    await rejects(store.get(def, 'ns', 'a'), 404, 'NotFound');
  });

  it('bumps generation when it marks an object deleting, as Kubernetes does', async () => {
    const def = widgets();
    await store.create(def, { ...cm('w', {}, { finalizers: ['example.com/hold'] }), spec: { a: 1 } }, ctx());
    const marked = await store.delete(def, 'ns', 'w', {}, ctx());
    assert.equal(marked.obj.metadata.generation, 2);
  });

  it('checks uid and resourceVersion preconditions', async () => {
    const def = configMaps();
    const created = await store.create(def, cm('a'), ctx());
    await rejects(
      store.delete(def, 'ns', 'a', { preconditions: { uid: 'other' } }, ctx()),
      409,
      'Conflict',
      `Operation cannot be fulfilled on configmaps "a": Precondition failed: UID in precondition: other, UID in object meta: ${created.metadata.uid}`,
    );
    await rejects(
      store.delete(def, 'ns', 'a', { preconditions: { resourceVersion: '1' } }, ctx()),
      409,
      'Conflict',
      `Operation cannot be fulfilled on configmaps "a": Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: ${created.metadata.resourceVersion}`,
    );
    const ok = await store.delete(def, 'ns', 'a', { preconditions: { uid: created.metadata.uid, resourceVersion: created.metadata.resourceVersion } }, ctx());
    assert.equal(ok.deleted, true);
  });

  it('writes nothing on dryRun', async () => {
    const def = configMaps();
    await store.create(def, cm('a'), ctx());
    await store.create(def, cm('held', {}, { finalizers: ['example.com/hold'] }), ctx());
    const before = await revision();
    assert.equal((await store.delete(def, 'ns', 'a', { dryRun: true }, ctx({ dryRun: true }))).deleted, true);
    assert.equal((await store.delete(def, 'ns', 'held', { dryRun: true }, ctx({ dryRun: true }))).obj.metadata.deletionTimestamp, '2024-01-02T03:04:05Z');
    assert.equal(await revision(), before);
    assert.ok(await stored(def, 'a'));
    assert.equal((await stored(def, 'held'))?.metadata.deletionTimestamp, undefined);
  });
});

describe('store: updates read from the watch cache', () => {
  /** A cache that answers every key with what it was handed: stale on purpose. */
  function storeWithCache(entries: Map<string, { obj: KObject; revision: number }>): Store {
    const cache = { get: (_path: string, key: string) => { const e = entries.get(key); return e && { key, obj: e.obj, revision: e.revision }; } };
    return new Store(backend, cache as unknown as WatchCache, { validateMeta: () => [] });
  }

  it('writes over a current cached copy', async () => {
    const def = configMaps();
    const created = await store.create(def, cm('a', { k: 'v1' }), ctx());
    const cached = storeWithCache(new Map([[storageKey(def, 'ns', 'a'), { obj: created, revision: Number(created.metadata.resourceVersion) }]]));
    const { obj } = await cached.update(def, 'ns', 'a', (current) => ({ ...current!, data: { k: 'v2' } }), ctx());
    assert.deepEqual(obj.data, { k: 'v2' });
    assert.deepEqual((await stored(def, 'a'))?.data, { k: 'v2' });
    assert.deepEqual(created.data, { k: 'v1' }, 'the cached object is never changed');
  });

  it('decides again on the datastore copy when the cached one is behind', async () => {
    const def = configMaps();
    const old = await store.create(def, cm('a', { k: 'v1' }), ctx());
    const latest = (await store.update(def, 'ns', 'a', (current) => ({ ...current!, data: { k: 'v2' } }), ctx())).obj;
    const stale = storeWithCache(new Map([[storageKey(def, 'ns', 'a'), { obj: old, revision: Number(old.metadata.resourceVersion) }]]));
    // Back to v1: no change on the stale copy, a change on the stored one.
    const back = await stale.update(def, 'ns', 'a', (current) => ({ ...current!, data: { k: 'v1' } }), ctx());
    assert.deepEqual(back.obj.data, { k: 'v1' });
    assert.deepEqual((await stored(def, 'a'))?.data, { k: 'v1' });
    // The client's resourceVersion is the stored one: no Conflict because the cache is behind.
    const now = (await stored(def, 'a'))!;
    const next = await stale.update(def, 'ns', 'a', (current) => ({ ...current!, metadata: { ...current!.metadata, resourceVersion: now.metadata.resourceVersion }, data: { k: 'v3' } }), ctx());
    assert.deepEqual(next.obj.data, { k: 'v3' });
    assert.notEqual(latest.metadata.resourceVersion, next.obj.metadata.resourceVersion);
  });
});
