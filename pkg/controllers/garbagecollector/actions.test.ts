import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject, OwnerReference } from '../../api/types.ts';
import type { Client } from '../../client/client.ts';
import { ClientError } from '../../client/errors.ts';
import { OwnerLookupCache, removeFinalizer, removeOwnerReferences, unblockOwnerReferences } from './actions.ts';
import { kindKey, type ApiResource, type Discovery } from './discovery.ts';
import { OwnershipGraph } from './graph.ts';

const configmaps: ApiResource = { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true, verbs: ['get', 'list', 'watch', 'delete'] };
const nodes: ApiResource = { group: '', version: 'v1', resource: 'nodes', kind: 'Node', namespaced: false, verbs: ['get', 'list', 'watch', 'delete'] };
const discovery: Discovery = { preferred: [configmaps, nodes], byKind: new Map([[kindKey('v1', 'ConfigMap'), configmaps], [kindKey('v1', 'Node'), nodes]]), failures: [] };

const ref = (name: string, uid: string, kind = 'ConfigMap'): OwnerReference => ({ apiVersion: 'v1', kind, name, uid });
const cm = (name: string, uid: string, meta: Partial<KObject['metadata']> = {}): KObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', uid, ...meta } });

/** A client whose GETs answer from `objects` by path (404 otherwise) and that records every call. */
function fakeClient(objects: Record<string, KObject> = {}) {
  const calls: { method: string; path: string; body?: unknown }[] = [];
  const client = {
    async get(path: string) {
      calls.push({ method: 'GET', path });
      const obj = objects[path];
      if (!obj) throw new ClientError(404, { reason: 'NotFound', message: 'not found' });
      return obj;
    },
    async patch(path: string, body: unknown) {
      calls.push({ method: 'PATCH', path, body });
      return {};
    },
  };
  return { client: client as unknown as Client, calls };
}

describe('owner lookup', () => {
  it('trusts the cache for a live owner, and checks live before calling one gone', async () => {
    const graph = new OwnershipGraph();
    graph.upsert(configmaps, cm('alive', 'u-alive'));
    const { client, calls } = fakeClient();
    const lookup = new OwnerLookupCache(client, graph, () => discovery);
    const classes = await lookup.classify(cm('dep', 'u-dep', { ownerReferences: [ref('alive', 'u-alive'), ref('gone', 'u-gone')] }));
    assert.deepEqual(classes.solid.map((r) => r.name), ['alive']);
    assert.deepEqual(classes.dangling.map((r) => r.name), ['gone']);
    assert.deepEqual(calls, [{ method: 'GET', path: '/api/v1/namespaces/ns/configmaps/gone' }]);
    // Remembered as absent: no second GET.
    await lookup.classify(cm('dep2', 'u-dep2', { ownerReferences: [ref('gone', 'u-gone')] }));
    assert.equal(calls.length, 1);
  });

  it('an owner missing from the cache but found live is solid; another uid by that name is gone', async () => {
    const { client } = fakeClient({
      '/api/v1/namespaces/ns/configmaps/late': cm('late', 'u-late'),
      '/api/v1/namespaces/ns/configmaps/reborn': cm('reborn', 'u-new'),
    });
    const lookup = new OwnerLookupCache(client, new OwnershipGraph(), () => discovery);
    const classes = await lookup.classify(cm('dep', 'u-dep', { ownerReferences: [ref('late', 'u-late'), ref('reborn', 'u-old')] }));
    assert.deepEqual(classes.solid.map((r) => r.name), ['late']);
    assert.deepEqual(classes.dangling.map((r) => r.name), ['reborn']);
  });

  it('an owner being deleted in the foreground is waiting, checked live', async () => {
    const deleting = cm('fg', 'u-fg', { deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['foregroundDeletion'] });
    const graph = new OwnershipGraph();
    graph.upsert(configmaps, deleting);
    const { client, calls } = fakeClient({ '/api/v1/namespaces/ns/configmaps/fg': deleting });
    const classes = await new OwnerLookupCache(client, graph, () => discovery).classify(cm('dep', 'u-dep', { ownerReferences: [ref('fg', 'u-fg')] }));
    assert.deepEqual(classes.waiting.map((r) => r.name), ['fg']);
    assert.equal(calls.length, 1);
  });

  it('cluster-scoped owners are looked up without a namespace', async () => {
    const { client, calls } = fakeClient();
    const classes = await new OwnerLookupCache(client, new OwnershipGraph(), () => discovery).classify(cm('dep', 'u-dep', { ownerReferences: [ref('n1', 'u-n1', 'Node')] }));
    assert.deepEqual(classes.dangling.map((r) => r.name), ['n1']);
    assert.equal(calls[0].path, '/api/v1/nodes/n1');
  });

  it('never calls an owner of an unknown kind gone, and leaves a cluster-scoped object with a namespaced owner alone', async () => {
    const { client, calls } = fakeClient();
    const invalid: string[] = [];
    const lookup = new OwnerLookupCache(client, new OwnershipGraph(), () => discovery, (obj, r) => invalid.push(`${obj.metadata.name}->${r.name}`));
    await assert.rejects(lookup.classify(cm('dep', 'u-dep', { ownerReferences: [{ apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', uid: 'u-w' }] })), /not served/);
    const clusterScoped: KObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n', uid: 'u-n', ownerReferences: [ref('cm', 'u-cm')] } };
    assert.deepEqual((await lookup.classify(clusterScoped)).solid.map((r) => r.name), ['cm']);
    assert.equal(calls.length, 0);
    assert.deepEqual(invalid, ['n->cm'], 'reported as OwnerRefInvalidNamespace');
  });

  it('an owner uid living in another namespace is absent here, and reported', async () => {
    const graph = new OwnershipGraph();
    graph.upsert(configmaps, { ...cm('elsewhere', 'u-else'), metadata: { name: 'elsewhere', namespace: 'other', uid: 'u-else' } });
    const { client, calls } = fakeClient();
    const invalid: string[] = [];
    const lookup = new OwnerLookupCache(client, graph, () => discovery, (obj, r) => invalid.push(`${obj.metadata.name}->${r.name}`));
    assert.deepEqual((await lookup.classify(cm('dep', 'u-dep', { ownerReferences: [ref('elsewhere', 'u-else')] }))).dangling.map((r) => r.name), ['elsewhere']);
    assert.deepEqual(calls, [{ method: 'GET', path: '/api/v1/namespaces/ns/configmaps/elsewhere' }]);
    assert.deepEqual(invalid, ['dep->elsewhere']);
  });

  it('absent in one namespace is not absent in its own', async () => {
    const owner = { ...cm('owner', 'u-o'), metadata: { name: 'owner', namespace: 'other', uid: 'u-o', deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['foregroundDeletion'] } };
    const graph = new OwnershipGraph();
    graph.upsert(configmaps, owner);
    const { client } = fakeClient({ '/api/v1/namespaces/other/configmaps/owner': owner });
    const lookup = new OwnerLookupCache(client, graph, () => discovery);
    assert.equal((await lookup.classify(cm('stray', 'u-s', { ownerReferences: [ref('owner', 'u-o')] }))).dangling.length, 1);
    const home = { ...cm('home', 'u-h'), metadata: { name: 'home', namespace: 'other', uid: 'u-h', ownerReferences: [ref('owner', 'u-o')] } };
    assert.deepEqual((await lookup.classify(home)).waiting.map((r) => r.name), ['owner']);
  });
});

describe('writes', () => {
  it('remove owner references and finalizers by tested JSON patches', async () => {
    const { client, calls } = fakeClient();
    const obj = cm('dep', 'u-dep', { ownerReferences: [ref('a', 'u-a'), ref('b', 'u-b'), ref('c', 'u-c')], finalizers: ['x', 'orphan'] });
    await removeOwnerReferences(client, { resource: configmaps, obj }, ['u-a', 'u-c']);
    assert.deepEqual(calls[0].body, [
      { op: 'test', path: '/metadata/uid', value: 'u-dep' },
      { op: 'test', path: '/metadata/ownerReferences/2/uid', value: 'u-c' },
      { op: 'remove', path: '/metadata/ownerReferences/2' },
      { op: 'test', path: '/metadata/ownerReferences/0/uid', value: 'u-a' },
      { op: 'remove', path: '/metadata/ownerReferences/0' },
    ]);
    await removeFinalizer(client, { resource: configmaps, obj }, 'orphan');
    assert.deepEqual(calls[1].body, [
      { op: 'test', path: '/metadata/uid', value: 'u-dep' },
      { op: 'test', path: '/metadata/finalizers/1', value: 'orphan' },
      { op: 'remove', path: '/metadata/finalizers/1' },
    ]);
    await removeFinalizer(client, { resource: configmaps, obj }, 'foregroundDeletion');
    assert.equal(calls.length, 2, 'nothing to remove, nothing sent');
    const blocking = cm('dep', 'u-dep', { ownerReferences: [ref('a', 'u-a'), { ...ref('b', 'u-b'), blockOwnerDeletion: true }] });
    await unblockOwnerReferences(client, { resource: configmaps, obj: blocking });
    assert.deepEqual(calls[2].body, [
      { op: 'test', path: '/metadata/uid', value: 'u-dep' },
      { op: 'test', path: '/metadata/ownerReferences/1/uid', value: 'u-b' },
      { op: 'replace', path: '/metadata/ownerReferences/1/blockOwnerDeletion', value: false },
    ]);
  });
});

describe('ownership graph', () => {
  it('follows owner references through updates and removals', () => {
    const graph = new OwnershipGraph();
    graph.upsert(configmaps, cm('owner', 'o'));
    graph.upsert(configmaps, cm('a', 'a', { ownerReferences: [{ ...ref('owner', 'o'), blockOwnerDeletion: true }] }));
    graph.upsert(configmaps, cm('b', 'b', { ownerReferences: [ref('owner', 'o')] }));
    assert.deepEqual(graph.dependentsOf('o').map((n) => n.obj.metadata.name).sort(), ['a', 'b']);
    assert.deepEqual(graph.blockingDependentsOf('o').map((n) => n.obj.metadata.name), ['a']);
    graph.upsert(configmaps, cm('a', 'a'));
    assert.deepEqual(graph.dependentsOf('o').map((n) => n.obj.metadata.name), ['b']);
    graph.remove('b');
    assert.deepEqual(graph.dependentsOf('o'), []);
    assert.deepEqual(graph.nodesOf(configmaps).sort(), ['a', 'o']);
  });
});
