import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../api/types.ts';
import type { Client } from '../client/client.ts';
import { NodeInfo, makePodInfo } from './nodeinfo.ts';
import type { Pod } from './types.ts';
import { VOLUME_REASON, VolumeBindingError, volumeBinding, VolumePreBinder, type VolumeListers } from './volumebinding.ts';

const classes: Record<string, KObject> = {
  'local-path': { metadata: { name: 'local-path' }, provisioner: 'tsk.io/local-path', volumeBindingMode: 'WaitForFirstConsumer' },
  static: { metadata: { name: 'static' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' },
  now: { metadata: { name: 'now' }, provisioner: 'x', volumeBindingMode: 'Immediate' },
};

function listers(claims: KObject[], volumes: KObject[] = []): VolumeListers {
  return {
    claim: (ns, name) => claims.find((c) => c.metadata.namespace === ns && c.metadata.name === name),
    volume: (name) => volumes.find((v) => v.metadata.name === name),
    volumes: () => volumes,
    storageClass: (name) => classes[name],
  };
}

const claim = (name: string, spec: Record<string, unknown>, annotations: Record<string, string> = {}): KObject => ({
  metadata: { name, namespace: 'ns', uid: `u-${name}`, resourceVersion: '3', annotations }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
});
const pod = (...claims: string[]): Pod => ({ metadata: { name: 'p', namespace: 'ns', uid: 'pu' }, spec: { containers: [{ name: 'c', image: 'i' }], volumes: claims.map((c) => ({ name: c, persistentVolumeClaim: { claimName: c } })) } }) as unknown as Pod;
const pinned = (name: string, node: string, extra: Record<string, unknown> = {}): KObject => ({
  metadata: { name }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: 'static', nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } }, ...extra }, status: { phase: 'Available' },
});
function node(name: string): NodeInfo {
  const n = new NodeInfo(name);
  n.labels = { 'kubernetes.io/hostname': name };
  return n;
}

describe('VolumeBinding filter', () => {
  it('fails the whole pod for missing claims and unbound Immediate claims', () => {
    assert.equal(volumeBinding(makePodInfo(pod('gone')), listers([])).preFilterMessage, 'persistentvolumeclaim "gone" not found');
    const check = volumeBinding(makePodInfo(pod('c')), listers([claim('c', { storageClassName: 'now' })]));
    assert.equal(check.preFilterMessage, VOLUME_REASON.unboundImmediate);
  });

  it("keeps a pod to its bound volume's node", () => {
    const check = volumeBinding(makePodInfo(pod('c')), listers([claim('c', { volumeName: 'v', storageClassName: 'static' })], [pinned('v', 'n1')]));
    assert.equal(check.filter!(node('n1')), undefined);
    assert.deepEqual(check.filter!(node('n2'))?.reasons, [VOLUME_REASON.affinityConflict]);
  });

  it('lets a WaitForFirstConsumer claim go anywhere its class provisions, or where a static volume waits', () => {
    const provisioned = volumeBinding(makePodInfo(pod('c')), listers([claim('c', { storageClassName: 'local-path' })]));
    assert.equal(provisioned.filter!(node('n2')), undefined);
    const fixed = volumeBinding(makePodInfo(pod('c')), listers([claim('c', { storageClassName: 'static' })], [pinned('v', 'n1')]));
    assert.equal(fixed.filter!(node('n1')), undefined);
    assert.deepEqual(fixed.filter!(node('n2'))?.reasons, [VOLUME_REASON.noMatch]);
    const chosen = volumeBinding(makePodInfo(pod('c')), listers([claim('c', { storageClassName: 'local-path' }, { 'volume.kubernetes.io/selected-node': 'n1' })]));
    assert.deepEqual(chosen.filter!(node('n2'))?.reasons, [VOLUME_REASON.noMatch]);
  });
});

describe('VolumeBinding PreBind', () => {
  it('annotates the claim with the node, then waits for the binding', async () => {
    const c = claim('c', { storageClassName: 'local-path' });
    const patches: unknown[] = [];
    const client = { patch: async (path: string, body: unknown) => (patches.push([path, body]), c) } as unknown as Client;
    const binder = new VolumePreBinder(client, listers([c]), { timeoutMs: 60_000, pollMs: 1 });
    const done = binder.preBind(pod('c'), { name: 'n1', labels: {} });
    // The binder binds it meanwhile.
    setTimeout(() => Object.assign(c.spec, { volumeName: 'pvc-u-c' }) && (c.metadata.annotations!['pv.kubernetes.io/bind-completed'] = 'yes'), 5);
    await done;
    assert.deepEqual(patches, [['/api/v1/namespaces/ns/persistentvolumeclaims/c', { metadata: { annotations: { 'volume.kubernetes.io/selected-node': 'n1' }, resourceVersion: '3' } }]]);
  });

  it('gives up after its timeout with an error the scheduler reports', async () => {
    const c = claim('c', { storageClassName: 'local-path' }, { 'volume.kubernetes.io/selected-node': 'n1' });
    const binder = new VolumePreBinder({} as Client, listers([c]), { timeoutMs: 0, pollMs: 1 });
    await assert.rejects(binder.preBind(pod('c'), { name: 'n1', labels: {} }), (err: Error) => err instanceof VolumeBindingError && /timed out waiting for the condition/.test(err.message));
  });

  it('pre-binds a matching static volume instead of asking a provisioner', async () => {
    const c = claim('c', { storageClassName: 'static' });
    const updates: KObject[] = [];
    const client = { update: async (_p: string, pv: KObject) => (updates.push(pv), c.spec.volumeName = 'v', c.metadata.annotations!['pv.kubernetes.io/bind-completed'] = 'yes', pv) } as unknown as Client;
    await new VolumePreBinder(client, listers([c], [pinned('v', 'n1')]), { pollMs: 1 }).preBind(pod('c'), { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' } });
    assert.equal(updates[0]?.spec.claimRef.uid, 'u-c');
  });
});
