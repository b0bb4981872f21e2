/**
 * The API server over an external etcd cluster (the HA datastore): kubectl works the same,
 * objects are where Kubernetes keeps them in etcd, and a second tsk server on the same etcd
 * sees the first one's writes and watches.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { startEtcdCluster, type EtcdCluster } from './lib/etcd.ts';
import { startCluster, type TestCluster } from './lib/cluster.ts';

let etcd: EtcdCluster;
let first: TestCluster;
let second: TestCluster;

before(async () => {
  etcd = await startEtcdCluster(3);
  const endpoint = `etcd://${etcd.endpoints.join(',')}`;
  first = await startCluster(['--datastore-endpoint', endpoint]);
  second = await startCluster(['--datastore-endpoint', endpoint]);
});
after(async () => {
  await first?.stop();
  await second?.stop();
  await etcd?.stop();
});

test('objects written through one server are in etcd and seen by another', async () => {
  const created = await first.kubectl(['create', 'configmap', 'shared', '--from-literal=k=v']);
  assert.equal(created.code, 0, created.stderr);
  const raw = execFileSync('etcdctl', ['--endpoints', etcd.endpoints.join(','), 'get', '/registry/configmaps/default/shared', '--print-value-only'], { env: { ...process.env, ETCDCTL_API: '3' } }).toString();
  assert.equal(JSON.parse(raw).data.k, 'v');
  const read = await second.kubectl(['get', 'configmap', 'shared', '-o', 'jsonpath={.data.k}']);
  assert.equal(read.stdout, 'v', read.stderr);
  // A conflict between the two servers is caught by the datastore's compare-and-swap.
  const obj = JSON.parse((await first.kubectl(['get', 'cm', 'shared', '-o', 'json'])).stdout);
  assert.equal((await second.kubectl(['label', 'cm', 'shared', 'x=1'])).code, 0);
  obj.data.k = 'stale';
  const stale = await first.kubectl(['replace', '-f', '-'], { input: JSON.stringify(obj) });
  assert.match(stale.stderr, /Operation cannot be fulfilled on configmaps "shared": the object has been modified/);
});
