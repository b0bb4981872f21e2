import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../../api/types.ts';
import type { Client } from '../../client/client.ts';
import { ClientError } from '../../client/errors.ts';
import { applyRevision, currentRevision, hashOf, templatePatch, truncateHistory } from './revision.ts';

/** Just enough of the API client for revisions: objects by path, 409 on a taken name. */
function fakeClient() {
  const objects = new Map<string, KObject>();
  const client = {
    async create(path: string, obj: KObject) {
      const key = `${path}/${obj.metadata.name}`;
      if (objects.has(key)) throw new ClientError(409, { reason: 'AlreadyExists' });
      objects.set(key, structuredClone(obj));
      return structuredClone(obj);
    },
    async get(path: string) {
      const obj = objects.get(path);
      if (!obj) throw new ClientError(404, { reason: 'NotFound' });
      return structuredClone(obj);
    },
    async patch(path: string, body: Record<string, unknown>) {
      const obj = { ...objects.get(path)!, ...body };
      objects.set(path, obj);
      return structuredClone(obj);
    },
    async delete(path: string) {
      if (!objects.delete(path)) throw new ClientError(404, { reason: 'NotFound' });
      return {};
    },
  };
  return { client: client as unknown as Client, objects };
}

function parent(image: string): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'ns', uid: 'u1' },
    spec: { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } } },
  };
}

describe('controller revisions', () => {
  it('hash ignores key order and changes with the collision count', () => {
    assert.equal(hashOf({ a: 1, b: [1, { c: 2, d: 3 }] }), hashOf({ b: [1, { d: 3, c: 2 }], a: 1 }));
    assert.notEqual(hashOf({ a: 1 }), hashOf({ a: 1 }, 1));
    assert.match(hashOf({ a: 1 }), /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  });

  it('records the template as the patch kubectl rollout undo applies, and applies it back', () => {
    const p = parent('v1');
    const data = templatePatch(p);
    assert.deepEqual(data, { spec: { template: { ...p.spec.template, $patch: 'replace' } } });
    const rolledBack = applyRevision(parent('v2'), { metadata: {}, data });
    assert.equal(rolledBack.spec.template.spec.containers[0].image, 'v1');
    assert.equal(rolledBack.spec.template.$patch, undefined);
  });

  it('creates a revision once, reuses it, renumbers a template that comes back, resolves hash collisions', async () => {
    const { client, objects } = fakeClient();
    const first = await currentRevision(client, parent('v1'), [], 0);
    assert.equal(first.revision.revision, 1);
    assert.equal(first.revision.metadata.name, `web-${first.revision.metadata.labels!['controller-revision-hash']}`);
    // A stale cache that misses it: the create collides with our own revision, which is reused.
    const again = await currentRevision(client, parent('v1'), [], 0);
    assert.deepEqual([again.revision.metadata.name, again.collisionCount, objects.size], [first.revision.metadata.name, 0, 1]);
    const second = await currentRevision(client, parent('v2'), [first.revision], 0);
    assert.equal(second.revision.revision, 2);
    const back = await currentRevision(client, parent('v1'), [first.revision, second.revision], 0);
    assert.deepEqual([back.revision.metadata.name, back.revision.revision, objects.size], [first.revision.metadata.name, 3, 2]);
    // Someone else's object under the name our hash gives: the collision count moves the name.
    const taken = `/apis/apps/v1/namespaces/ns/controllerrevisions/web-${hashOf(templatePatch(parent('v9')))}`;
    objects.set(taken, { metadata: { name: 'x' }, data: {} });
    const collided = await currentRevision(client, parent('v9'), [], 0);
    assert.equal(collided.collisionCount, 1);
    assert.equal(collided.revision.metadata.name, `web-${hashOf(templatePatch(parent('v9')), 1)}`);
  });

  it('truncates the oldest revisions that no pod uses beyond the limit', async () => {
    const { client, objects } = fakeClient();
    const revs: KObject[] = [];
    for (let i = 1; i <= 4; i++) revs.push((await currentRevision(client, parent(`v${i}`), revs, 0)).revision);
    await truncateHistory(client, revs, (r) => r === revs[0] || r === revs[3], 1);
    assert.deepEqual([...objects.values()].map((r) => r.revision).sort(), [1, 3, 4]);
  });
});
