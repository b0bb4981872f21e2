import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { ClientError } from '../../client/errors.ts';
import type { ControllerContext } from '../manager.ts';
import { PodGarbageCollector } from './controller.ts';

/** Just what the controller reads of an informer: a keyed store with handlers and one index. */
class FakeInformer {
  readonly store = new Map<string, KObject>();
  private readonly deletes: ((o: KObject) => void)[] = [];
  constructor(objects: KObject[]) {
    for (const o of objects) this.store.set(o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name!, o);
  }
  addIndex() {
    return this;
  }
  onAdd() {
    return this;
  }
  onUpdate() {
    return this;
  }
  onDelete(h: (o: KObject) => void) {
    this.deletes.push(h);
    return this;
  }
  get(key: string) {
    return this.store.get(key);
  }
  list() {
    return [...this.store.values()];
  }
  byIndex(_: string, node: string) {
    return this.list().filter((p) => (p as { spec?: { nodeName?: string } }).spec?.nodeName === node);
  }
}

const pod = (name: string, created: string, phase: string, nodeName = 'n1'): KObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns', uid: `u-${name}`, creationTimestamp: created }, spec: { nodeName }, status: { phase } }) as KObject;

function setup(pods: KObject[], nodes: KObject[]) {
  const calls: string[] = [];
  const client = {
    async get(path: string) {
      calls.push(`GET ${path}`);
      throw new ClientError(404, { reason: 'NotFound' });
    },
    async patch(path: string, body: unknown) {
      calls.push(`PATCH ${path} ${JSON.stringify(body)}`);
      return {};
    },
    async delete(path: string, opts: unknown) {
      calls.push(`DELETE ${path} ${JSON.stringify(opts)}`);
      return {};
    },
  };
  const informers = { pods: new FakeInformer(pods), nodes: new FakeInformer(nodes) };
  const ctx = {
    informers: { informerFor: (ref: { resource: string }) => (ref.resource === 'pods' ? informers.pods : informers.nodes) },
    clientFor: () => client,
  } as unknown as ControllerContext;
  return { ctx, calls };
}

const settle = () => new Promise((r) => setTimeout(r, 50));

describe('pod garbage collector', () => {
  it('deletes the oldest terminated pods beyond the threshold, at once', async () => {
    const node: KObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } };
    const { ctx, calls } = setup(
      [pod('new', '2026-01-03T00:00:00Z', 'Succeeded'), pod('old', '2026-01-01T00:00:00Z', 'Failed'), pod('mid', '2026-01-02T00:00:00Z', 'Succeeded'), pod('running', '2025-01-01T00:00:00Z', 'Running')],
      [node],
    );
    const gc = new PodGarbageCollector(2);
    gc.init(ctx);
    gc.run();
    await settle();
    gc.stop();
    assert.deepEqual(calls, ['DELETE /api/v1/namespaces/ns/pods/old {"gracePeriodSeconds":0,"preconditions":{"uid":"u-old"}}']);
  });

  it('a pod on a missing node waits out the quarantine before anything is deleted', async () => {
    const { ctx, calls } = setup([pod('stranded', '2026-01-01T00:00:00Z', 'Running', 'gone')], []);
    const gc = new PodGarbageCollector();
    gc.init(ctx);
    gc.run();
    await settle();
    gc.stop();
    assert.deepEqual(calls, [], 'no node check and no delete inside the quarantine');
  });

  it('unscheduled pods being deleted are marked Failed and force-deleted', async () => {
    const terminating = { ...pod('never-placed', '2026-01-01T00:00:00Z', 'Pending', ''), metadata: { ...pod('never-placed', '', '').metadata, deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['x'] } } as KObject;
    const { ctx, calls } = setup([terminating], []);
    const gc = new PodGarbageCollector();
    gc.init(ctx);
    gc.run();
    await settle();
    gc.stop();
    assert.deepEqual(calls, [
      'PATCH /api/v1/namespaces/ns/pods/never-placed/status {"metadata":{"uid":"u-never-placed"},"status":{"phase":"Failed"}}',
      'DELETE /api/v1/namespaces/ns/pods/never-placed {"gracePeriodSeconds":0,"preconditions":{"uid":"u-never-placed"}}',
    ]);
  });
});
