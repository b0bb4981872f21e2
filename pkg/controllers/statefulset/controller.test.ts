import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { fakeContext } from '../replicaset/testing.ts';
import { StatefulSetController } from './controller.ts';

const set: KObject = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'web', namespace: 'default', uid: 'sts-uid', generation: 1 },
  spec: {
    replicas: 2,
    serviceName: 'web',
    podManagementPolicy: 'OrderedReady',
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
    persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    revisionHistoryLimit: 10,
  },
};

describe('StatefulSet controller (fakes)', () => {
  it('creates the claim before the pod, one ordinal at a time, and shrugs off its own lagging cache', async () => {
    const { ctx, informers, client, events } = fakeContext();
    const controller = new StatefulSetController();
    controller.init(ctx);
    informers.get('statefulsets')!.upsert(set);

    await controller.reconcile('default/web');
    const creates = client.writes.filter((w) => w.verb === 'create' && !w.path.includes('controllerrevisions')).map((w) => `${w.path.split('/').at(-1)} ${(w.body as KObject).metadata.name}`);
    assert.deepEqual(creates, ['persistentvolumeclaims www-web-0', 'pods web-0']);
    assert.deepEqual(events.events.map((e) => e.message), ['create Claim www-web-0 Pod web-0 in StatefulSet web success', 'create Pod web-0 in StatefulSet web successful']);

    // Not in the cache yet: the repeated creates meet AlreadyExists, which is not an error.
    assert.equal(await controller.reconcile('default/web'), true);
    assert.equal(client.count('create', '/pods'), 2);
    assert.equal(events.events.length, 2);

    // web-0 shows up Running and Ready: now web-1 follows.
    const web0 = client.objects.get('/api/v1/namespaces/default/pods/web-0')!;
    informers.get('pods')!.upsert({ ...web0, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
    await controller.reconcile('default/web');
    assert.ok(client.objects.has('/api/v1/namespaces/default/pods/web-1'));
    controller.stop();
  });
});
