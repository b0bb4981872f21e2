import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { decide, type ProvisionerView } from './provisioner.ts';
import { awaitsDeletionOn, deletableFolder, localPathNode } from './volume.ts';

const cls = (mode = 'WaitForFirstConsumer', reclaimPolicy?: string): KObject => ({ metadata: { name: 'local-path' }, provisioner: 'tsk.io/local-path', volumeBindingMode: mode, ...(reclaimPolicy ? { reclaimPolicy } : {}) });

function claim(annotations: Record<string, string>, modes = ['ReadWriteOnce']): KObject {
  return {
    metadata: { name: 'data', namespace: 'shop', uid: '1234', resourceVersion: '7', annotations: { 'volume.kubernetes.io/storage-provisioner': 'tsk.io/local-path', ...annotations } },
    spec: { storageClassName: 'local-path', accessModes: modes, resources: { requests: { storage: '2Gi' } } },
  };
}

function view(storageClass: KObject, nodeAnnotations: Record<string, string> = { 'tsk.io/local-storage-path': '/var/lib/tsk/storage' }, volumes: string[] = []): ProvisionerView {
  return {
    storageClass: (n) => (n === storageClass.metadata.name ? storageClass : undefined),
    volume: (n) => (volumes.includes(n) ? { metadata: { name: n } } : undefined),
    node: (n) => (n === 'n1' ? { metadata: { name: 'n1', annotations: nodeAnnotations } } : undefined),
  };
}

describe('local-path provisioner decisions', () => {
  it('creates a hostPath volume in the node folder, pinned to the node, pre-bound to the claim', () => {
    const d = decide(claim({ 'volume.kubernetes.io/selected-node': 'n1' }), view(cls()));
    assert.equal(d.kind, 'create');
    const pv = (d as { volume: KObject }).volume;
    assert.equal(pv.metadata.name, 'pvc-1234');
    assert.equal(pv.spec.hostPath.path, '/var/lib/tsk/storage/pvc-1234_shop_data');
    assert.equal(pv.spec.hostPath.type, 'DirectoryOrCreate');
    assert.equal(pv.spec.capacity.storage, '2Gi');
    assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Delete');
    assert.deepEqual(pv.spec.claimRef, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'shop', name: 'data', uid: '1234', resourceVersion: '7' });
    assert.equal(localPathNode(pv), 'n1');
    const retained = decide(claim({ 'volume.kubernetes.io/selected-node': 'n1' }), view(cls('WaitForFirstConsumer', 'Retain')));
    assert.equal((retained as { volume: KObject }).volume.spec.persistentVolumeReclaimPolicy, 'Retain');
  });

  it('waits for the node under WaitForFirstConsumer, fails without one under Immediate', () => {
    assert.equal(decide(claim({}), view(cls())).kind, 'skip');
    assert.equal(decide(claim({}), view(cls('Immediate'))).kind, 'fail');
  });

  it('leaves other provisioners, bound claims and provisioned claims alone', () => {
    const other = claim({ 'volume.kubernetes.io/selected-node': 'n1', 'volume.kubernetes.io/storage-provisioner': 'ebs.csi.aws.com' });
    assert.equal(decide(other, view(cls())).kind, 'skip');
    const bound = claim({ 'volume.kubernetes.io/selected-node': 'n1' });
    bound.spec.volumeName = 'x';
    assert.equal(decide(bound, view(cls())).kind, 'skip');
    assert.equal(decide(claim({ 'volume.kubernetes.io/selected-node': 'n1' }), view(cls(), undefined, ['pvc-1234'])).kind, 'skip');
  });

  it('refuses shared access modes and retries while the node has not published its folder', () => {
    assert.equal(decide(claim({ 'volume.kubernetes.io/selected-node': 'n1' }, ['ReadWriteMany']), view(cls())).kind, 'fail');
    const block = claim({ 'volume.kubernetes.io/selected-node': 'n1' });
    block.spec.volumeMode = 'Block';
    assert.equal(decide(block, view(cls())).kind, 'fail');
    const d = decide(claim({ 'volume.kubernetes.io/selected-node': 'n1' }), view(cls(), {}));
    assert.equal(d.kind, 'fail');
    assert.ok((d as { retryMs?: number }).retryMs);
  });
});

describe('local-path volumes on the node', () => {
  const pv = (path: string, phase = 'Released'): KObject => ({
    metadata: { name: 'pvc-1', annotations: { 'pv.kubernetes.io/provisioned-by': 'tsk.io/local-path' } },
    spec: { persistentVolumeReclaimPolicy: 'Delete', hostPath: { path }, nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }] }] } } },
    status: { phase },
  });
  it('deletes only folders directly in the storage dir', () => {
    assert.equal(deletableFolder(pv('/d/storage/pvc-1_ns_c'), '/d/storage'), '/d/storage/pvc-1_ns_c');
    assert.equal(deletableFolder(pv('/d/storage/../etc'), '/d/storage'), undefined);
    assert.equal(deletableFolder(pv('/d/storage/pvc-1/deeper'), '/d/storage'), undefined);
    assert.equal(deletableFolder(pv('/elsewhere/pvc-1'), '/d/storage'), undefined);
  });
  it('is for the kubelet of its node once Released', () => {
    assert.equal(awaitsDeletionOn(pv('/d/storage/pvc-1'), 'n1'), true);
    assert.equal(awaitsDeletionOn(pv('/d/storage/pvc-1'), 'n2'), false);
    assert.equal(awaitsDeletionOn(pv('/d/storage/pvc-1', 'Bound'), 'n1'), false);
  });
});
