import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { ClientError } from '../../client/errors.ts';
import { ReplicaSetController } from './controller.ts';
import { podsToDelete } from './ranking.ts';
import { slowStart } from './batch.ts';
import { EventBudget } from './eventbudget.ts';
import { fakeContext } from './testing.ts';

function replicaSet(replicas: number, extra: Partial<KObject['spec']> = {}): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web', namespace: 'default', uid: 'rs-uid', generation: 2, resourceVersion: '5' },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web', tier: 'front' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }, ...extra },
  };
}

function pod(name: string, opts: { owner?: string; labels?: Record<string, string>; node?: string; phase?: string; ready?: boolean; created?: string; readySince?: string } = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `${name}-uid`,
      resourceVersion: '1',
      creationTimestamp: opts.created ?? '2026-01-01T00:00:00Z',
      labels: opts.labels ?? { app: 'web', tier: 'front' },
      ownerReferences: opts.owner ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: opts.owner, controller: true }] : undefined,
    },
    spec: { nodeName: opts.node },
    status: { phase: opts.phase ?? 'Running', conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True', lastTransitionTime: opts.readySince ?? '2026-01-01T00:00:00Z' }] },
  };
}

function setup(rs: KObject) {
  const f = fakeContext();
  const c = new ReplicaSetController();
  c.init(f.ctx);
  f.informers.get('replicasets')!.upsert(rs);
  return { ...f, c, pods: f.informers.get('pods')! };
}

describe('ReplicaSet controller', () => {
  it('creates the missing pods from the template, owned by the ReplicaSet, and records events', async () => {
    const { c, client, events } = setup(replicaSet(3));
    assert.equal(await c.reconcile('default/web'), true);
    const creates = client.writes.filter((w) => w.verb === 'create');
    assert.equal(creates.length, 3);
    const body = creates[0]!.body as KObject;
    assert.equal(body.metadata.generateName, 'web-');
    assert.deepEqual(body.metadata.labels, { app: 'web', tier: 'front' });
    assert.deepEqual(body.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }]);
    assert.deepEqual(body.spec, { containers: [{ name: 'c', image: 'busybox' }] });
    assert.equal(events.events.filter((e) => e.reason === 'SuccessfulCreate').length, 3);
    assert.match(events.events[0]!.message, /^Created pod: web-/);
  });

  it('does not create twice while its informer has not shown the pods it created', async () => {
    const { c, client, pods } = setup(replicaSet(3));
    await c.reconcile('default/web');
    await c.reconcile('default/web');
    assert.equal(client.count('create'), 3);
    // The informer catches up: the pods are seen, nothing more to do.
    for (const [path, obj] of client.objects) if (path.includes('/pods/')) pods.upsert(obj);
    await c.reconcile('default/web');
    assert.equal(client.count('create'), 3);
    const status = client.writes.filter((w) => w.path.endsWith('/status')).at(-1)!.body as KObject;
    assert.equal(status.status.replicas, 3);
    assert.equal(status.status.observedGeneration, 2);
  });

  it('creates at most 500 pods per reconcile', async () => {
    const { c, client } = setup(replicaSet(1200));
    await c.reconcile('default/web');
    assert.equal(client.count('create'), 500);
  });

  it('stops after the first failed create, reports ReplicaFailure and a FailedCreate event', async () => {
    const { c, client, events } = setup(replicaSet(10));
    client.fail = (w) => (w.verb === 'create' ? new ClientError(403, { reason: 'Forbidden', message: 'pods "web-x" is forbidden: exceeded quota: q' }) : undefined);
    await assert.rejects(c.reconcile('default/web'), /exceeded quota/);
    assert.equal(client.count('create'), 1);
    const status = (client.writes.find((w) => w.path.endsWith('/status'))!.body as KObject).status;
    assert.equal(status.conditions[0].type, 'ReplicaFailure');
    assert.equal(status.conditions[0].reason, 'FailedCreate');
    assert.ok(events.events.some((e) => e.type === 'Warning' && e.reason === 'FailedCreate' && e.message.startsWith('Error creating: ')));
    // The failed creates are not waited for: the next reconcile tries again.
    client.fail = undefined;
    await c.reconcile('default/web');
    assert.equal(client.count('create'), 11);
  });

  it('adopts matching orphans and releases pods that stopped matching', async () => {
    const { c, client, pods } = setup(replicaSet(2));
    client.objects.set('/apis/apps/v1/namespaces/default/replicasets/web', replicaSet(2));
    pods.upsert(pod('orphan'));
    pods.upsert(pod('mine', { owner: 'rs-uid' }));
    pods.upsert(pod('relabelled', { owner: 'rs-uid', labels: { app: 'other' } }));
    pods.upsert(pod('stranger', { labels: { app: 'other' } }));
    await c.reconcile('default/web');
    const patches = client.writes.filter((w) => w.verb === 'patch');
    assert.equal(patches.length, 2);
    const adopt = patches.find((p) => p.path.endsWith('/orphan'))!.body as KObject;
    assert.equal(adopt.metadata.ownerReferences![0]!.uid, 'rs-uid');
    assert.equal(adopt.metadata.uid, 'orphan-uid');
    const release = patches.find((p) => p.path.endsWith('/relabelled'))!.body as KObject;
    assert.deepEqual(release.metadata.ownerReferences, [{ $patch: 'delete', uid: 'rs-uid' }]);
    assert.equal(client.count('create'), 0, 'the adopted orphan counts as a replica');
  });

  it('scales down the pods Kubernetes would delete first', async () => {
    const { c, client, events, pods } = setup(replicaSet(2));
    pods.upsert(pod('running-old', { owner: 'rs-uid', node: 'n1' }));
    pods.upsert(pod('pending', { owner: 'rs-uid', node: 'n2', phase: 'Pending', ready: false }));
    pods.upsert(pod('unscheduled', { owner: 'rs-uid', phase: 'Pending', ready: false }));
    pods.upsert(pod('running-new', { owner: 'rs-uid', node: 'n3', created: '2026-02-01T00:00:00Z' }));
    await c.reconcile('default/web');
    assert.deepEqual(
      client.writes.filter((w) => w.verb === 'delete').map((w) => w.path.split('/').at(-1)).sort(),
      ['pending', 'unscheduled'],
    );
    assert.ok(events.events.some((e) => e.reason === 'SuccessfulDelete' && e.message === 'Deleted pod: pending'));
    // Until the informer shows the deletions, no more deletes.
    await c.reconcile('default/web');
    assert.equal(client.count('delete'), 2);
  });
});

describe('scale-down order', () => {
  it('unscheduled, pending, not ready, doubled up, newer go first', () => {
    const now = Date.parse('2026-06-01T00:00:00Z');
    const running = pod('running', { owner: 'u', node: 'n1', created: '2026-01-01T00:00:00Z' });
    const newer = pod('newer', { owner: 'u', node: 'n2', created: '2026-05-01T00:00:00Z', readySince: '2026-05-31T23:00:00Z' });
    const notReady = pod('not-ready', { owner: 'u', node: 'n3', ready: false });
    const pending = pod('pending', { owner: 'u', node: 'n4', phase: 'Pending', ready: false });
    const unscheduled = pod('unscheduled', { owner: 'u', phase: 'Pending', ready: false });
    const all = [running, newer, notReady, pending, unscheduled];
    assert.deepEqual(podsToDelete(all, all, 4, now).map((p) => p.metadata.name), ['unscheduled', 'pending', 'not-ready', 'newer']);
  });

  it('a pod on a node crowded with related pods goes before one alone', () => {
    const a = pod('alone', { node: 'n1' });
    const b = pod('crowded', { node: 'n2' });
    const related = [a, b, pod('x', { node: 'n2' }), pod('y', { node: 'n2' })];
    assert.deepEqual(podsToDelete([a, b], related, 1).map((p) => p.metadata.name), ['crowded']);
  });

  it('a lower pod-deletion-cost goes first', () => {
    const cheap = pod('cheap', { node: 'n1' });
    cheap.metadata.annotations = { 'controller.kubernetes.io/pod-deletion-cost': '-5' };
    assert.deepEqual(podsToDelete([pod('dear', { node: 'n1' }), cheap], [], 1).map((p) => p.metadata.name), ['cheap']);
  });
});

describe('slowStart', () => {
  it('widens from one call in flight up to the cap, and starts nothing after a failure', async () => {
    const inFlightSeen: number[] = [];
    let inFlight = 0;
    let calls = 0;
    const ok = await slowStart(50, 4, async () => {
      calls++;
      inFlightSeen.push(++inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
    });
    assert.deepEqual(ok, { successes: 50 });
    assert.equal(calls, 50);
    assert.equal(inFlightSeen[0], 1, 'the first call runs alone');
    assert.equal(Math.max(...inFlightSeen), 4);
    let n = 0;
    const failing = await slowStart(100, 100, async () => {
      const mine = ++n;
      await new Promise((r) => setImmediate(r));
      if (mine > 2) throw new Error('quota');
    });
    assert.equal(failing.successes, 2);
    assert.match(String(failing.error), /quota/);
    assert.ok(n <= 5, `only the calls already in flight ran after the failure (${n})`);
  });
});

describe('EventBudget', () => {
  it('lets 25 events per object through, then one per five minutes', () => {
    let now = 0;
    const seen: string[] = [];
    const budget = new EventBudget({ event: (_o, _t, _r, message) => void seen.push(message) }, () => now);
    const rs = replicaSet(1);
    const other = { ...rs, metadata: { ...rs.metadata, name: 'other', uid: 'other-uid' } };
    for (let i = 0; i < 30; i++) budget.event(rs, 'Normal', 'SuccessfulCreate', `rs ${i}`);
    budget.event(other, 'Normal', 'SuccessfulCreate', 'other 0');
    assert.equal(seen.filter((m) => m.startsWith('rs ')).length, 25);
    assert.ok(seen.includes('other 0'), 'another object has its own budget');
    now += 5 * 60_000;
    budget.event(rs, 'Normal', 'SuccessfulCreate', 'later 1');
    budget.event(rs, 'Normal', 'SuccessfulCreate', 'later 2');
    assert.deepEqual(seen.filter((m) => m.startsWith('later')), ['later 1']);
  });
});
