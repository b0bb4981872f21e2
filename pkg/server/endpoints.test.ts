import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KObject } from '../api/types.ts';
import { ClientError, type Client } from '../client/client.ts';
import { leaseNameOf, startEndpointReconciler, subsetsOf } from './endpoints.ts';

test('subsetsOf groups the live servers by port, addresses sorted and unique', () => {
  assert.deepEqual(subsetsOf([{ address: '10.0.0.2', port: 6443 }, { address: '10.0.0.1', port: 6443 }, { address: '10.0.0.1', port: 6443 }, { address: '10.0.0.3', port: 5443 }]), [
    { addresses: [{ ip: '10.0.0.3' }], ports: [{ name: 'https', port: 5443, protocol: 'TCP' }] },
    { addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] },
  ]);
  assert.deepEqual(subsetsOf([]), []);
});

test('a server keeps its Lease name across restarts; two servers on one host get two', () => {
  assert.equal(leaseNameOf('10.0.0.1', 6443, 'h'), leaseNameOf('10.0.0.1', 6443, 'h'));
  assert.notEqual(leaseNameOf('10.0.0.1', 6443, 'h'), leaseNameOf('10.0.0.1', 7443, 'h'));
  assert.match(leaseNameOf('10.0.0.1', 6443, 'h'), /^apiserver-[0-9a-f]{24}$/);
});

test('a failed pass does not stop the next ones: the Lease is renewed again once the API answers', async () => {
  const objects = new Map<string, KObject>();
  let failing = true;
  let leaseWrites = 0;
  const refuse = () => {
    if (failing) throw new Error('etcdserver: request timed out');
  };
  const notFound = () => new ClientError(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' });
  const client = {
    async get(path: string) {
      refuse();
      const obj = objects.get(path);
      if (!obj) throw notFound();
      return structuredClone(obj);
    },
    async create(path: string, obj: KObject) {
      refuse();
      if (path.includes('/leases')) leaseWrites++;
      objects.set(`${path}/${obj.metadata.name}`, { ...obj, metadata: { ...obj.metadata, resourceVersion: '1' } });
      return obj;
    },
    async update(path: string, obj: KObject) {
      refuse();
      if (path.includes('/leases/')) leaseWrites++;
      objects.set(path, obj);
      return obj;
    },
    async list(path: string) {
      refuse();
      return { items: [...objects.entries()].filter(([key]) => key.startsWith(`${path}/`)).map(([, obj]) => obj) };
    },
    async delete() {},
    close() {},
  } as unknown as Client;
  const reconciler = await startEndpointReconciler({ client, address: '10.0.0.1', port: 6443, renewMs: 60_000 });
  try {
    await assert.rejects(reconciler.reconcile(), /timed out/);
    failing = false;
    await reconciler.reconcile();
    assert.equal(leaseWrites, 1, 'the pass after the failure renewed the Lease');
    assert.deepEqual((objects.get('/api/v1/namespaces/default/endpoints/kubernetes') as KObject & { subsets: unknown }).subsets, subsetsOf([{ address: '10.0.0.1', port: 6443 }]));
  } finally {
    await reconciler.stop();
  }
});
