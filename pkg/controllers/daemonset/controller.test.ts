import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { fakeContext } from '../replicaset/testing.ts';
import { DaemonSetController } from './controller.ts';

const node = (name: string): KObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: {} }, spec: {} });

const daemonSet: KObject = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'agent', namespace: 'default', uid: 'ds-uid', generation: 1, annotations: { 'deprecated.daemonset.template.generation': '1' } },
  spec: {
    selector: { matchLabels: { app: 'agent' } },
    template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
    revisionHistoryLimit: 10,
  },
};

describe('DaemonSet controller (fakes)', () => {
  it('creates one pod per node once, even while its cache lags, and records revision, events and status', async () => {
    const { ctx, informers, client, events } = fakeContext();
    const controller = new DaemonSetController();
    controller.init(ctx);
    for (const n of ['a', 'b']) informers.get('nodes')!.upsert(node(n));
    informers.get('daemonsets')!.upsert(daemonSet);

    assert.equal(await controller.reconcile('default/agent'), true);
    const created = client.writes.filter((w) => w.verb === 'create' && w.path.endsWith('/pods')).map((w) => w.body as KObject);
    assert.deepEqual(created.map((p) => p.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values[0]).sort(), ['a', 'b']);
    assert.equal(client.count('create', '/controllerrevisions'), 1);
    assert.deepEqual(events.events.map((e) => e.reason), ['SuccessfulCreate', 'SuccessfulCreate']);
    const status = client.writes.find((w) => w.path.endsWith('/daemonsets/agent/status'))!.body as KObject;
    assert.deepEqual([status.status.desiredNumberScheduled, status.status.currentNumberScheduled, status.status.observedGeneration], [2, 0, 1]);

    // The informer has not shown the new pods yet: the controller must not create them again.
    await controller.reconcile('default/agent');
    assert.equal(client.count('create', '/pods'), 2);

    // Once the pods (and the revision) arrive, nothing is left to do.
    for (const [path, obj] of client.objects) {
      if (path.includes('/pods/')) informers.get('pods')!.upsert({ ...obj, spec: { ...obj.spec, nodeName: obj.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values[0] } });
      if (path.includes('/controllerrevisions/')) informers.get('controllerrevisions')!.upsert(obj);
    }
    informers.get('nodes')!.upsert(node('c'));
    await controller.reconcile('default/agent');
    assert.equal(client.count('create', '/pods'), 3);
    // The lagging reconcile met its own revision under the same name and took it.
    assert.equal([...client.objects.keys()].filter((k) => k.includes('/controllerrevisions/')).length, 1);
    controller.stop();
  });

  it('backs a node off after replacing a failed pod there', async () => {
    const { ctx, informers, client, events } = fakeContext();
    const controller = new DaemonSetController();
    controller.init(ctx);
    informers.get('nodes')!.upsert(node('a'));
    informers.get('daemonsets')!.upsert(daemonSet);
    const failedPod = (uid: string): KObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `agent-${uid}`, namespace: 'default', uid, labels: { app: 'agent', 'pod-template-generation': '1' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'ds-uid', controller: true }] },
      spec: { nodeName: 'a' },
      status: { phase: 'Failed' },
    });
    informers.get('pods')!.upsert(failedPod('p1'));
    await controller.reconcile('default/agent');
    assert.equal(client.count('delete', '/pods/agent-p1'), 1);
    assert.deepEqual(events.events.map((e) => e.reason), ['FailedDaemonPod', 'SuccessfulDelete']);
    // Its deletion shows, and the replacement failed as well: it waits out the backoff.
    informers.get('pods')!.remove(failedPod('p1'));
    informers.get('pods')!.upsert(failedPod('p2'));
    const outcome = await controller.reconcile('default/agent');
    assert.equal(client.count('delete', '/pods/agent-p2'), 0);
    assert.ok(typeof outcome === 'number' && outcome > 0 && outcome <= 1000);
    controller.stop();
  });
});
