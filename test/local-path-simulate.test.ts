/**
 * Volume binding without a runtime: the binder, the protection controllers, the scheduler's
 * VolumeBinding and the local-path provisioner against `tsk simulate` nodes (the test gives
 * them a storage folder of its own to find in the volumes). What the node does with the folder
 * is test/local-path.test.ts's. Also: `--disable local-storage` leaves the provisioner out.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clusterPerFile, startCluster, type TestCluster } from './lib/cluster.ts';
import { startSimulate, type SimulateProcess } from './lib/simulate.ts';
import { claim, localPathClass } from './lib/localpath.ts';
import { until } from './lib/until.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const STORAGE = '/srv/tsk-sim/storage';

const podUsing = (name: string, claimName: string, spec: Json = {}): Json => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name },
  spec: { containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }], ...spec },
});

describe('volume binding with simulated nodes', () => {
  const { cluster, ok } = clusterPerFile();
  let sim: SimulateProcess | undefined;
  const get = async (args: string[]): Promise<Json> => JSON.parse(await ok(['get', ...args, '-o', 'json']));
  const eventsOf = async (name: string): Promise<Json[]> => (await get(['events', '--field-selector', `involvedObject.name=${name}`])).items;
  const eventWith = (name: string, reason: string) =>
    until(`a ${reason} event on ${name}`, async () => (await eventsOf(name)).find((e) => e.reason === reason));

  before(async () => {
    sim = await startSimulate(cluster(), { nodes: 2, namePrefix: 'lp-' });
    for (const n of sim.nodeNames) await ok(['annotate', 'node', n, '--overwrite', `tsk.io/local-storage-path=${STORAGE}`]);
    await ok(['apply', '-f', '-'], JSON.stringify(localPathClass()));
  });
  after(async () => {
    await sim?.kill();
  });

  it('leaves a claim without a pod Pending, saying it waits for its first consumer', async () => {
    await ok(['create', '-f', '-'], JSON.stringify(claim('lonely')));
    const event = await eventWith('lonely', 'WaitForFirstConsumer');
    assert.equal(event.message, 'waiting for first consumer to be created before binding');
    assert.equal(event.source.component, 'persistentvolume-controller');
    const pvc = await get(['pvc', 'lonely']);
    assert.equal(pvc.spec.storageClassName, 'local-path', 'the default class is filled in');
    assert.equal(pvc.status.phase, 'Pending');
    assert.deepEqual(pvc.metadata.finalizers, ['kubernetes.io/pvc-protection']);
  });

  it("provisions on the pod's node: selected-node, a pinned hostPath volume in that node's folder, both Bound", async () => {
    await ok(['create', '-f', '-'], JSON.stringify(claim('data')));
    await ok(['create', '-f', '-'], JSON.stringify(podUsing('first', 'data', { nodeSelector: { 'kubernetes.io/hostname': 'lp-1' } })));
    const pvc = await until('claim data Bound', async () => {
      const c = await get(['pvc', 'data']);
      return c.status.phase === 'Bound' ? c : undefined;
    });
    assert.equal(pvc.metadata.annotations['volume.kubernetes.io/selected-node'], 'lp-1');
    assert.equal(pvc.metadata.annotations['volume.kubernetes.io/storage-provisioner'], 'tsk.io/local-path');
    assert.equal(pvc.metadata.annotations['pv.kubernetes.io/bind-completed'], 'yes');
    assert.equal(pvc.spec.volumeName, `pvc-${pvc.metadata.uid}`);
    assert.equal(pvc.status.capacity.storage, '64Mi');
    const pv = await until('volume Bound', async () => {
      const v = await get(['pv', pvc.spec.volumeName]);
      return v.status.phase === 'Bound' ? v : undefined;
    });
    assert.deepEqual(pv.spec.hostPath, { path: `${STORAGE}/pvc-${pvc.metadata.uid}_default_data`, type: 'DirectoryOrCreate' });
    assert.deepEqual(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values, ['lp-1']);
    assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Delete');
    assert.equal(pv.metadata.annotations['pv.kubernetes.io/provisioned-by'], 'tsk.io/local-path');
    assert.equal(pv.spec.claimRef.uid, pvc.metadata.uid);
    await until('volume carries pv-protection', async () => ((await get(['pv', pv.metadata.name])).metadata.finalizers?.includes('kubernetes.io/pv-protection') ? true : undefined));
    const pod = await until('pod first Running', async () => {
      const p = await get(['pod', 'first']);
      return p.status.phase === 'Running' ? p : undefined;
    });
    assert.equal(pod.spec.nodeName, 'lp-1');
    const events = (await eventsOf('data')).map((e) => e.reason);
    for (const reason of ['ExternalProvisioning', 'Provisioning', 'ProvisioningSucceeded']) assert.ok(events.includes(reason), `${reason} in ${events.join(', ')}`);
  });

  it("sends every later pod of the claim to its volume's node", async () => {
    for (const name of ['later-0', 'later-1', 'later-2', 'later-3']) await ok(['create', '-f', '-'], JSON.stringify(podUsing(name, 'data')));
    const nodes = await until('the later pods scheduled', async () => {
      const items: Json[] = (await get(['pods'])).items.filter((p: Json) => p.metadata.name.startsWith('later-'));
      return items.length === 4 && items.every((p) => p.spec.nodeName) ? items.map((p) => p.spec.nodeName) : undefined;
    });
    assert.deepEqual(nodes, ['lp-1', 'lp-1', 'lp-1', 'lp-1']);
  });

  it('keeps a claim in use until its pods are gone, then releases the volume', async () => {
    const volumeName: string = (await get(['pvc', 'data'])).spec.volumeName;
    await ok(['delete', 'pvc', 'data', '--wait=false']);
    const held = await get(['pvc', 'data']);
    assert.ok(held.metadata.deletionTimestamp);
    assert.deepEqual(held.metadata.finalizers, ['kubernetes.io/pvc-protection']);
    await ok(['delete', 'pods', 'first', 'later-0', 'later-1', 'later-2', 'later-3', '--grace-period=0', '--force']);
    await until('claim data gone', async () => ((await cluster().kubectl(['get', 'pvc', 'data'])).code !== 0 ? true : undefined));
    // No kubelet here removes the folder, so the volume stays Released.
    const pv = await until('volume Released', async () => {
      const v = await get(['pv', volumeName]);
      return v.status.phase === 'Released' ? v : undefined;
    });
    assert.equal(pv.spec.claimRef.name, 'data');
  });

  it('binds a claim to a matching static volume, and Retain keeps it Released after', async () => {
    await ok(['create', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'manual-1' },
      spec: { storageClassName: 'manual', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/srv/manual-1' } },
    }));
    await ok(['create', '-f', '-'], JSON.stringify(claim('static', { storageClassName: 'manual' })));
    const pvc = await until('claim static Bound', async () => {
      const c = await get(['pvc', 'static']);
      return c.status.phase === 'Bound' ? c : undefined;
    });
    assert.equal(pvc.spec.volumeName, 'manual-1');
    assert.equal(pvc.status.capacity.storage, '1Gi');
    await ok(['delete', 'pvc', 'static']);
    const pv = await until('manual-1 Released', async () => {
      const v = await get(['pv', 'manual-1']);
      return v.status.phase === 'Released' ? v : undefined;
    });
    assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Retain');
  });

  it('an Immediate local-path claim fails to provision, and its pod waits for it', async () => {
    await ok(['apply', '-f', '-'], JSON.stringify(localPathClass('Immediate', 'local-now', false)));
    await ok(['create', '-f', '-'], JSON.stringify(claim('now', { storageClassName: 'local-now' })));
    const failed = await eventWith('now', 'ProvisioningFailed');
    assert.match(failed.message, /no node was specified/);
    await ok(['create', '-f', '-'], JSON.stringify(podUsing('waits', 'now')));
    const event = await eventWith('waits', 'FailedScheduling');
    assert.equal(event.message, '0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling..');
  });
});

describe('--disable local-storage', () => {
  let c: TestCluster | undefined;
  before(async () => {
    c = await startCluster(['--disable', 'local-storage']);
  });
  after(async () => {
    await c?.stop();
  });

  it('runs the binder but not the provisioner', async () => {
    const kubectl = async (args: string[], input?: string) => {
      const r = await c!.kubectl(args, { input });
      assert.equal(r.code, 0, r.stderr);
      return r.stdout;
    };
    await kubectl(['apply', '-f', '-'], JSON.stringify(localPathClass('Immediate', 'local-now', false)));
    await kubectl(['create', '-f', '-'], JSON.stringify(claim('now', { storageClassName: 'local-now' })));
    // The binder hands the claim over: the controllers run (their service accounts exist by then).
    await until('the binder to hand the claim to tsk.io/local-path', async () => {
      const pvc = JSON.parse(await kubectl(['get', 'pvc', 'now', '-o', 'json']));
      return pvc.metadata.annotations?.['volume.kubernetes.io/storage-provisioner'] === 'tsk.io/local-path' ? true : undefined;
    });
    const accounts = (await kubectl(['get', 'serviceaccounts', '-n', 'kube-system', '-o', 'name'])).split('\n');
    assert.ok(accounts.includes('serviceaccount/persistent-volume-binder'));
    assert.ok(!accounts.includes('serviceaccount/local-path-provisioner'), 'the provisioner never started');
    const events = JSON.parse(await kubectl(['get', 'events', '--field-selector', 'involvedObject.name=now', '-o', 'json'])).items.map((e: Json) => e.reason);
    assert.ok(!events.includes('ProvisioningFailed'), events.join(', '));
  });
});
