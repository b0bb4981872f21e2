import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  csiDriverPrinter,
  csiStorageCapacityPrinter,
  persistentVolumeClaimPrinter,
  persistentVolumePrinter,
  storageClassPrinter,
  volumeAttachmentPrinter,
} from './storage.ts';
import { ago, now } from './testing.ts';

test('PersistentVolume bound to a claim', () => {
  const pv = {
    metadata: { name: 'pvc-3f9a', creationTimestamp: ago(600) },
    spec: {
      capacity: { storage: '10Gi' },
      accessModes: ['ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: 'local-path',
      volumeMode: 'Filesystem',
      claimRef: { namespace: 'default', name: 'data-db-0' },
    },
    status: { phase: 'Bound' },
  };
  assert.deepEqual(
    persistentVolumePrinter.columns.map((c) => c.name),
    ['Name', 'Capacity', 'Access Modes', 'Reclaim Policy', 'Status', 'Claim', 'StorageClass', 'VolumeAttributesClass', 'Reason', 'Age', 'VolumeMode'],
  );
  assert.deepEqual(persistentVolumePrinter.row(pv, now), [
    'pvc-3f9a', '10Gi', 'RWO,RWX', 'Delete', 'Bound', 'default/data-db-0', 'local-path', '<unset>', '', '10m', 'Filesystem',
  ]);
  const releasing = { ...pv, metadata: { ...pv.metadata, deletionTimestamp: ago(1), annotations: { 'volume.beta.kubernetes.io/storage-class': 'old' } } };
  assert.deepEqual([persistentVolumePrinter.row(releasing, now)[4], persistentVolumePrinter.row(releasing, now)[6]], ['Terminating', 'old']);
});

test('PersistentVolumeClaim: pending shows no capacity, bound shows the volume\'s', () => {
  const spec = { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'local-path', volumeMode: 'Filesystem' };
  const pending = { metadata: { name: 'data-db-0', creationTimestamp: ago(20) }, spec, status: { phase: 'Pending' } };
  assert.deepEqual(persistentVolumeClaimPrinter.row(pending, now), ['data-db-0', 'Pending', '', '', '', 'local-path', '<unset>', '20s', 'Filesystem']);
  const bound = {
    ...pending,
    spec: { ...spec, volumeName: 'pvc-3f9a' },
    status: { phase: 'Bound', capacity: { storage: '1024Mi' }, accessModes: ['ReadWriteOnce'] },
  };
  assert.deepEqual(persistentVolumeClaimPrinter.row(bound, now).slice(1, 5), ['Bound', 'pvc-3f9a', '1Gi', 'RWO']);
});

test('StorageClass: "(default)" after the name, Delete and Immediate by default', () => {
  const sc = {
    metadata: { name: 'local-path', creationTimestamp: ago(86400), annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: 'rancher.io/local-path',
    volumeBindingMode: 'WaitForFirstConsumer',
  };
  assert.deepEqual(storageClassPrinter.row(sc, now), ['local-path (default)', 'rancher.io/local-path', 'Delete', 'WaitForFirstConsumer', false, '24h']);
  const plain = { metadata: { name: 'fast' }, provisioner: 'x', reclaimPolicy: 'Retain', allowVolumeExpansion: true };
  assert.deepEqual(storageClassPrinter.row(plain, now).slice(0, 5), ['fast', 'x', 'Retain', 'Immediate', true]);
});

test('CSI kinds and VolumeAttachment', () => {
  assert.deepEqual(csiDriverPrinter.row({ metadata: { name: 'csi.example.com' }, spec: {} }, now).slice(0, 7), [
    'csi.example.com', true, false, false, '<unset>', false, '<none>',
  ]);
  const driver = {
    metadata: { name: 'd' },
    spec: { attachRequired: false, tokenRequests: [{ audience: 'vault' }, { audience: 'aws' }], volumeLifecycleModes: ['Persistent', 'Ephemeral'] },
  };
  assert.deepEqual(csiDriverPrinter.row(driver, now).slice(1, 7), [false, false, false, 'vault,aws', false, 'Persistent,Ephemeral']);
  assert.deepEqual(csiStorageCapacityPrinter.row({ metadata: { name: 'c' }, storageClassName: 'fast', capacity: '0.5Gi' }, now), ['c', 'fast', '512Mi']);
  const va = { metadata: { name: 'csi-1' }, spec: { attacher: 'csi.example.com', nodeName: 'node-1', source: { persistentVolumeName: 'pv-1' } }, status: { attached: true } };
  assert.deepEqual(volumeAttachmentPrinter.row(va, now).slice(0, 5), ['csi-1', 'csi.example.com', 'pv-1', 'node-1', true]);
});
