import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { fakeContext } from '../replicaset/testing.ts';
import { DeploymentController } from './controller.ts';
import { computeHash, equalIgnoreHash } from './hash.ts';
import { maxSurge, maxUnavailable } from './util.ts';

const template = (image: string) => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } });

function deployment(spec: Record<string, unknown> = {}, status: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'd-uid', generation: 1, resourceVersion: '3' },
    spec: {
      replicas: 4,
      selector: { matchLabels: { app: 'web' } },
      template: template('busybox:1'),
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      ...spec,
    },
    status,
  };
}

function ownedSet(d: KObject, image: string, replicas: number, available: number, revision: number, created: string, extra: Record<string, string> = {}): KObject {
  const hash = computeHash(template(image));
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `web-${hash}`,
      namespace: 'default',
      uid: `rs-${image}`,
      generation: 1,
      resourceVersion: '7',
      creationTimestamp: created,
      labels: { app: 'web', 'pod-template-hash': hash },
      annotations: { 'deployment.kubernetes.io/revision': String(revision), ...extra },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata.uid!, controller: true }],
    },
    spec: { replicas, selector: { matchLabels: { app: 'web', 'pod-template-hash': hash } }, template: { ...template(image), metadata: { labels: { app: 'web', 'pod-template-hash': hash } } } },
    status: { replicas, readyReplicas: available, availableReplicas: available, observedGeneration: 1 },
  };
}

function setup(d: KObject, sets: KObject[]) {
  const f = fakeContext();
  const c = new DeploymentController();
  c.init(f.ctx);
  f.informers.get('deployments')!.upsert(d);
  for (const rs of sets) f.informers.get('replicasets')!.upsert(rs);
  const updates = (part: string) => f.client.writes.filter((w) => w.verb === 'update' && w.path.includes(part)).map((w) => w.body as KObject);
  return { ...f, c, updates };
}

describe('pod-template-hash', () => {
  it('is stable, safe-encoded, and changes with the template and the collision count', () => {
    const h = computeHash(template('a'));
    assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    assert.equal(computeHash(template('a')), h);
    assert.notEqual(computeHash(template('b')), h);
    assert.notEqual(computeHash(template('a'), 1), h);
  });

  it('template equality ignores the hash label and empty values clients add', () => {
    const stored = { metadata: { labels: { app: 'web', 'pod-template-hash': 'abc' } }, spec: { containers: [{ name: 'c', image: 'x' }] } };
    const fromKubectl = { metadata: { creationTimestamp: null, labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x', resources: {} }] } };
    assert.ok(equalIgnoreHash(stored, fromKubectl));
    assert.ok(!equalIgnoreHash(stored, template('y')));
  });
});

describe('maxSurge and maxUnavailable', () => {
  it('round percentages up for surge and down for unavailability, and never both to 0', () => {
    const d = (replicas: number, surge: unknown, unavailable: unknown) => deployment({ replicas, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } } });
    assert.deepEqual([maxSurge(d(10, '25%', '25%')), maxUnavailable(d(10, '25%', '25%'))], [3, 2]);
    assert.deepEqual([maxSurge(d(1, '10%', '10%')), maxUnavailable(d(1, '10%', '10%'))], [1, 0]);
    assert.deepEqual([maxSurge(d(3, 0, '10%')), maxUnavailable(d(3, 0, '10%'))], [0, 1]);
    assert.deepEqual([maxSurge(d(5, 2, 7)), maxUnavailable(d(5, 2, 7))], [2, 5]);
    assert.equal(maxSurge(deployment({ strategy: { type: 'Recreate' } })), 0);
  });
});

describe('Deployment controller', () => {
  it('creates the first ReplicaSet with the hash in its name, labels, selector and annotations', async () => {
    const { c, client, events, updates } = setup(deployment(), []);
    await c.reconcile('default/web');
    const create = client.writes.find((w) => w.verb === 'create')!.body as KObject;
    const hash = computeHash(template('busybox:1'));
    assert.equal(create.metadata.name, `web-${hash}`);
    assert.equal(create.spec.replicas, 4);
    assert.deepEqual(create.spec.selector.matchLabels, { app: 'web', 'pod-template-hash': hash });
    assert.equal(create.spec.template.metadata.labels['pod-template-hash'], hash);
    assert.deepEqual(create.metadata.annotations, { 'deployment.kubernetes.io/revision': '1', 'deployment.kubernetes.io/desired-replicas': '4', 'deployment.kubernetes.io/max-replicas': '5' });
    assert.equal(create.metadata.ownerReferences![0]!.uid, 'd-uid');
    assert.ok(events.events.some((e) => e.message === `Scaled up replica set web-${hash} from 0 to 4`));
    const status = updates('/deployments/web/status')[0]!;
    assert.equal(status.metadata.annotations!['deployment.kubernetes.io/revision'], '1');
    assert.equal(status.status.conditions.find((x: { type: string }) => x.type === 'Progressing').reason, 'NewReplicaSetCreated');
  });

  it('rolls within maxSurge and maxUnavailable, as Kubernetes steps 4 replicas at 25%/25%', async () => {
    const d = deployment({ template: template('busybox:2') }, { replicas: 4, availableReplicas: 4, updatedReplicas: 4 });
    const annotations = { 'deployment.kubernetes.io/desired-replicas': '4', 'deployment.kubernetes.io/max-replicas': '5' };
    const old = ownedSet(d, 'busybox:1', 4, 4, 1, '2026-01-01T00:00:00Z', annotations);
    // Pass 1: the new set starts at the surge (1 of 4); one old pod may go (4 available, 3 must stay).
    const first = setup(d, [old]);
    await first.c.reconcile('default/web');
    const created = first.client.writes.find((w) => w.verb === 'create')!.body as KObject;
    assert.equal(created.spec.replicas, 1);
    assert.equal(created.metadata.annotations!['deployment.kubernetes.io/revision'], '2');
    assert.deepEqual(first.updates('/replicasets/').map((rs) => `${rs.metadata.name}=${rs.spec.replicas}`), [`${old.metadata.name}=3`]);
    assert.ok(first.events.events.some((e) => e.message === `Scaled down replica set ${old.metadata.name} from 4 to 3`));

    // Pass 2: the new pod is not available yet, so no old pod may go; the new set grows into the freed surge.
    const shrunk = { ...old, spec: { ...old.spec, replicas: 3 }, status: { ...old.status, replicas: 3, availableReplicas: 3 } };
    const fresh = ownedSet(d, 'busybox:2', 1, 0, 2, '2026-01-02T00:00:00Z', annotations);
    const second = setup(d, [shrunk, fresh]);
    await second.c.reconcile('default/web');
    assert.deepEqual(second.updates('/replicasets/').map((rs) => `${rs.metadata.name}=${rs.spec.replicas}`), [`${fresh.metadata.name}=2`]);
  });

  it('shares a scale-up among active sets in proportion to their size during a rollout', async () => {
    const d = deployment({ replicas: 20, template: template('busybox:2') }, { replicas: 13 });
    const annotations = { 'deployment.kubernetes.io/desired-replicas': '10', 'deployment.kubernetes.io/max-replicas': '13' };
    const old = ownedSet(d, 'busybox:1', 8, 8, 1, '2026-01-01T00:00:00Z', annotations);
    const fresh = ownedSet(d, 'busybox:2', 5, 0, 2, '2026-01-02T00:00:00Z', annotations);
    const { c, updates } = setup(d, [old, fresh]);
    await c.reconcile('default/web');
    const sizes = Object.fromEntries(updates('/replicasets/').map((rs) => [rs.metadata.name, rs.spec.replicas]));
    // 20 + 5 surge = 25 allowed, 13 there: 12 to add, 8×25/13 → 15 and 5×25/13 → 10 (rounded), leftovers to the largest.
    assert.deepEqual(sizes, { [old.metadata.name!]: 15, [fresh.metadata.name!]: 10 });
    for (const rs of updates('/replicasets/')) assert.equal(rs.metadata.annotations!['deployment.kubernetes.io/desired-replicas'], '20');
  });

  it('reports ProgressDeadlineExceeded once the deadline passed without progress, and says when to look again before', async () => {
    const hash = computeHash(template('busybox:1'));
    const progressing = (at: string) => ({
      replicas: 4,
      updatedReplicas: 4,
      unavailableReplicas: 4,
      observedGeneration: 1,
      conditions: [
        { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.', lastUpdateTime: at, lastTransitionTime: at },
        { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "web-${hash}" is progressing.`, lastUpdateTime: at, lastTransitionTime: at },
      ],
    });
    const annotations = { 'deployment.kubernetes.io/desired-replicas': '4', 'deployment.kubernetes.io/max-replicas': '5' };
    const stuck = (status: Record<string, unknown>) => {
      const d = deployment({ progressDeadlineSeconds: 60 }, status);
      d.metadata.annotations = { 'deployment.kubernetes.io/revision': '1' };
      return { d, rs: ownedSet(d, 'busybox:1', 4, 0, 1, '2026-01-01T00:00:00Z', annotations) };
    };
    const late = stuck(progressing(new Date(Date.now() - 120_000).toISOString().replace(/\.\d+Z$/, 'Z')));
    const a = setup(late.d, [late.rs]);
    assert.equal(await a.c.reconcile('default/web'), true);
    const written = a.updates('/deployments/web/status').at(-1)!;
    const cond = written.status.conditions.find((x: { type: string }) => x.type === 'Progressing');
    assert.deepEqual([cond.status, cond.reason, cond.message], ['False', 'ProgressDeadlineExceeded', `ReplicaSet "web-${hash}" has timed out progressing.`]);

    const early = stuck(progressing(new Date(Date.now() - 10_000).toISOString().replace(/\.\d+Z$/, 'Z')));
    const b = setup(early.d, [early.rs]);
    const again = await b.c.reconcile('default/web');
    assert.equal(b.updates('/deployments/web/status').length, 0, 'nothing changed yet');
    assert.equal(typeof again, 'number');
    assert.ok((again as number) > 40_000 && (again as number) <= 52_000, `look again at the deadline (${again} ms)`);
  });

  it('counts a hash collision (the name taken by a set that is not ours) and hashes again next time', async () => {
    const d = deployment();
    const { c, client, updates } = setup(d, []);
    const name = `web-${computeHash(template('busybox:1'))}`;
    client.objects.set(`/apis/apps/v1/namespaces/default/replicasets/${name}`, { metadata: { name, uid: 'someone-else', namespace: 'default' }, spec: { template: template('other') } });
    await assert.rejects(c.reconcile('default/web'), /already exists/);
    assert.equal(updates('/deployments/web/status').at(-1)!.status.collisionCount, 1);
    assert.notEqual(computeHash(template('busybox:1'), 1), computeHash(template('busybox:1')));
  });

  it('Recreate creates no new set while an old pod still runs', async () => {
    const d = deployment({ template: template('busybox:2'), strategy: { type: 'Recreate' } }, { replicas: 0 });
    const old = ownedSet(d, 'busybox:1', 0, 0, 1, '2026-01-01T00:00:00Z');
    old.status.replicas = 0;
    const { c, client, informers } = setup(d, [old]);
    informers.get('pods')!.upsert({ metadata: { name: 'p', namespace: 'default', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: old.metadata.name!, uid: old.metadata.uid!, controller: true }] }, status: { phase: 'Running' } });
    await c.reconcile('default/web');
    assert.equal(client.count('create'), 0);
    informers.get('pods')!.remove(informers.get('pods')!.list()[0]!);
    await c.reconcile('default/web');
    const created = client.writes.find((w) => w.verb === 'create')!.body as KObject;
    assert.equal(created.spec.replicas, 4, 'Recreate brings the new set up at once');
  });
});
