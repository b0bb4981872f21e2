/**
 * Auto-deployed manifests with two servers on one etcd: only the server holding the
 * kube-system/tsk-deploy Lease applies its folder; when it dies the other takes the Lease and
 * applies its own, and leaves the objects of the dead server's files alone (they are in that
 * server's folder, not gone). About 20 s: the survivor waits out the 15 s Lease.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { startCluster, type TestCluster } from './lib/cluster.ts';
import { startEtcd, type EtcdProcess } from './lib/etcd.ts';
import { joinToken } from './lib/simulate.ts';
import { until } from './lib/until.ts';

let etcd: EtcdProcess | undefined;
let first: TestCluster | undefined;
let second: TestCluster | undefined;
const dirs: string[] = [];

after(async () => {
  await first?.stop();
  await second?.stop();
  await etcd?.stop();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A data dir whose manifests folder holds one ConfigMap named `name`. */
function dataDirWith(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-manifests-ha-'));
  dirs.push(dir);
  fs.mkdirSync(path.join(dir, 'server', 'manifests'), { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(dir, 'server', 'manifests', `${name}.yaml`), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  from: ${name}\n`);
  return dir;
}

async function get(c: TestCluster, args: string[]): Promise<any> {
  const r = await c.kubectl(['get', ...args, '-o', 'json']);
  if (r.code === 0) return JSON.parse(r.stdout);
  assert.match(r.stderr, /NotFound|not found/, r.stderr);
  return undefined;
}

test('only the Lease holder applies; the survivor of a dead leader applies its folder and keeps the dead one\'s objects', async () => {
  etcd = await startEtcd();
  const datastore = ['--datastore-endpoint', `etcd://${etcd.endpoint}`];
  const dirA = dataDirWith('from-a');
  const dirB = dataDirWith('from-b');
  first = await startCluster(datastore, { dataDir: dirA });
  await until('from-a', () => get(first!, ['configmap', 'from-a']));
  second = await startCluster([...datastore, '--server', first.url, '--token', joinToken(first)], { dataDir: dirB });
  await second.server.waitForLog(/deploy .*watching .*manifests/);

  const lease = await get(second, ['lease', 'tsk-deploy', '-n', 'kube-system']);
  assert.ok(lease.spec.holderIdentity.startsWith(`${os.hostname()}:${path.join(dirA, 'server', 'manifests')}_`), lease.spec.holderIdentity);
  assert.equal(await get(second, ['configmap', 'from-b']), undefined);
  assert.doesNotMatch(second.server.stderr(), /deploy .*leading/);

  await first.server.kill();
  const fromB = await until('the survivor applies its folder', () => get(second!, ['configmap', 'from-b']), 90_000);
  assert.equal(fromB.data.from, 'from-b');
  assert.match(second.server.stderr(), /deploy .*leading: applying/);
  await second.server.waitForLog(/from-a\.yaml was applied by server \S+ and is not in \S+: leaving its objects/);
  assert.equal((await get(second, ['configmap', 'from-a'])).data.from, 'from-a');
});
