/**
 * Concurrent patches of one object: Kubernetes retries a patch that lost a race against
 * another write (the patch is re-applied to the new object), unless the patch itself names a
 * resourceVersion, which is then a precondition (409 once stale).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KObject } from '../pkg/api/types.ts';
import { Client, isClientError } from '../pkg/client/client.ts';
import { startCluster, type TestCluster } from './lib/cluster.ts';

let cluster: TestCluster;
let client: Client;
before(async () => {
  cluster = await startCluster(['--disable-scheduler', '--disable-controller-manager']);
  client = Client.fromKubeconfig(cluster.kubeconfig);
});
after(async () => {
  client?.close();
  await cluster?.stop();
});

const path = '/api/v1/namespaces/default/configmaps';

describe('concurrent patches', () => {
  it('all succeed and all land when none names a resourceVersion', async () => {
    await client.create(path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'raced' } } as KObject);
    const n = 40;
    await Promise.all(Array.from({ length: n }, (_, i) => client.patch(`${path}/raced`, { metadata: { labels: { [`k${i}`]: 'v' } } }, 'merge')));
    const final = await client.get(`${path}/raced`);
    assert.equal(Object.keys(final.metadata.labels ?? {}).length, n);
  });

  it('refuse a patch whose resourceVersion is stale', async () => {
    const cm = await client.create(path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'guarded' } } as KObject);
    const stale = cm.metadata.resourceVersion;
    await client.patch(`${path}/guarded`, { data: { a: '1' } }, 'merge');
    await assert.rejects(
      client.patch(`${path}/guarded`, { metadata: { resourceVersion: stale }, data: { b: '2' } }, 'merge'),
      (err: unknown) => isClientError(err) && err.code === 409 && /the object has been modified/.test(err.message),
    );
  });
});
