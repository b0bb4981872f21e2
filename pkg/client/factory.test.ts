import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../api/types.ts';
import type { Client } from './client.ts';
import { byNodeName, byOwnerUid, InformerFactory, InformerPool } from './factory.ts';

type Event = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KObject };

/** A client serving one list and then the events pushed into it, counting lists. */
function fakeClient(items: KObject[]) {
  const listed: string[] = [];
  const watchers: ((e: Event) => void)[] = [];
  const client = {
    async list(path: string) {
      listed.push(path);
      return { metadata: { resourceVersion: '10' }, items };
    },
    watch() {
      const queue: Event[] = [];
      let wake: (() => void) | undefined;
      let stopped = false;
      watchers.push((e) => {
        queue.push(e);
        wake?.();
      });
      return {
        stop() {
          stopped = true;
          wake?.();
        },
        async *[Symbol.asyncIterator]() {
          while (!stopped) {
            if (queue.length === 0) await new Promise<void>((r) => (wake = r));
            while (queue.length > 0) yield queue.shift()!;
          }
        },
      };
    },
  };
  return { client: client as unknown as Client, listed, push: (e: Event) => watchers.forEach((w) => w(e)) };
}

const pod = (name: string, rv: string, nodeName?: string, owner?: string): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'ns', resourceVersion: rv, ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: owner, controller: true }] } : {}) },
  spec: nodeName ? { nodeName } : {},
});

describe('InformerFactory', () => {
  it('shares one informer per resource and keeps indexes current', async (t) => {
    const { client, listed, push } = fakeClient([pod('a', '1', 'n1', 'u1'), pod('b', '2', 'n2', 'u1'), pod('c', '3')]);
    // Nothing but promises is pending while the fake watch waits: keep the loop alive.
    const keepAlive = setInterval(() => {}, 1000);
    const factory = new InformerFactory(client);
    t.after(() => {
      clearInterval(keepAlive);
      factory.stop();
    });
    const pods = factory.informerFor({ version: 'v1', resource: 'pods' });
    assert.equal(factory.informerFor({ version: 'v1', resource: 'pods' }), pods);
    assert.notEqual(factory.informerFor({ version: 'v1', resource: 'pods', fieldSelector: 'spec.nodeName=n1' }), pods);
    pods.addIndex('node', byNodeName).addIndex('owner', byOwnerUid);
    factory.start();
    await factory.waitForSync();
    assert.deepEqual(listed.sort(), ['/api/v1/pods', '/api/v1/pods']);
    assert.deepEqual(pods.byIndex('node', 'n1').map((p) => p.metadata.name), ['a']);
    assert.deepEqual(pods.byIndex('owner', 'u1').map((p) => p.metadata.name).sort(), ['a', 'b']);

    const moved = new Promise<void>((resolve) => pods.onUpdate(() => resolve()));
    push({ type: 'MODIFIED', object: pod('a', '4', 'n2', 'u1') });
    await moved;
    assert.deepEqual(pods.byIndex('node', 'n1'), []);
    assert.deepEqual(pods.byIndex('node', 'n2').map((p) => p.metadata.name).sort(), ['a', 'b']);

    const gone = new Promise<void>((resolve) => pods.onDelete(() => resolve()));
    push({ type: 'DELETED', object: pod('b', '5', 'n2', 'u1') });
    await gone;
    assert.deepEqual(pods.byIndex('owner', 'u1').map((p) => p.metadata.name), ['a']);
    assert.throws(() => pods.byIndex('missing', 'x'), /has no index missing/);
  });
});

describe('InformerPool', () => {
  it('serves factories from one list+watch, each with its own handlers, until the last one stops', async (t) => {
    const { client, listed, push } = fakeClient([pod('a', '1', 'n1')]);
    const keepAlive = setInterval(() => {}, 1000);
    const pool = new InformerPool(client);
    const first = new InformerFactory(client, pool);
    const second = new InformerFactory(client, pool);
    t.after(() => {
      clearInterval(keepAlive);
      first.stop();
      second.stop();
    });
    const seen = { first: [] as string[], second: [] as string[] };
    const p1 = first.informerFor({ version: 'v1', resource: 'pods' }).onAdd((p) => seen.first.push(p.metadata.name!));
    first.start();
    await first.waitForSync();
    // A factory that starts later gets what the shared cache holds as adds, like a late client-go handler.
    const p2 = second.informerFor({ version: 'v1', resource: 'pods' });
    p2.onAdd((p) => seen.second.push(p.metadata.name!)).addIndex('node', byNodeName);
    second.start();
    await second.waitForSync();
    assert.deepEqual(seen, { first: ['a'], second: ['a'] });
    assert.deepEqual(listed, ['/api/v1/pods'], 'one list for both');
    assert.deepEqual(p1.byIndex('node', 'n1').map((p) => p.metadata.name), ['a'], 'indexes are shared too');

    first.stop();
    const added = new Promise<void>((resolve) => p2.onAdd((p) => p.metadata.name === 'b' && resolve()));
    push({ type: 'ADDED', object: pod('b', '2') });
    await added;
    assert.deepEqual(seen.first, ['a'], 'a stopped factory hears nothing more');
    assert.deepEqual(seen.second, ['a', 'b']);
    assert.equal(p1.get('ns/b')?.metadata.name, 'b', 'a stopped view still reads the shared cache');

    // Nobody follows any more: the next factory gets a new list+watch.
    second.stop();
    const third = new InformerFactory(client, pool);
    t.after(() => third.stop());
    third.informerFor({ version: 'v1', resource: 'pods' });
    third.start();
    await third.waitForSync();
    assert.deepEqual(listed, ['/api/v1/pods', '/api/v1/pods']);
  });
});
