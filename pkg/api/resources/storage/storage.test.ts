import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../types.ts';
import { context, create, update } from '../test-helpers.ts';
import { csidrivers, csinodes, volumeattachments } from './csi.ts';
import { storageclasses } from './storageclass.ts';

test('storage class defaults and immutable fields', () => {
  const { obj, errors } = create(storageclasses.strategy, { metadata: { name: 'local-path' }, provisioner: 'rancher.io/local-path' });
  assert.deepEqual(errors, []);
  assert.deepEqual([obj.reclaimPolicy, obj.volumeBindingMode], ['Delete', 'Immediate']);
  const changed = { ...structuredClone(obj), provisioner: 'other.io/x', parameters: { a: 'b' }, volumeBindingMode: 'WaitForFirstConsumer' };
  assert.deepEqual(update(storageclasses.strategy, changed, obj).errors, [
    'parameters: Forbidden: updates to parameters are forbidden.',
    'provisioner: Forbidden: updates to provisioner are forbidden.',
    'volumeBindingMode: Invalid value: "WaitForFirstConsumer": field is immutable',
  ]);
  assert.deepEqual(create(storageclasses.strategy, { metadata: { name: 'x' }, reclaimPolicy: 'Recycle' }).errors, [
    'provisioner: Required value',
    'reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"',
  ]);
});

test('CSI driver defaults', () => {
  const { obj, errors } = create(csidrivers.strategy, { metadata: { name: 'hostpath.csi.k8s.io' }, spec: {} });
  assert.deepEqual(errors, []);
  assert.deepEqual(obj.spec, {
    attachRequired: true,
    podInfoOnMount: false,
    storageCapacity: false,
    fsGroupPolicy: 'ReadWriteOnceWithFSType',
    volumeLifecycleModes: ['Persistent'],
    requiresRepublish: false,
    seLinuxMount: false,
  });
});

test('CSI node drivers: unique, with a node ID, fixed once registered', () => {
  const node: KObject = { metadata: { name: 'node-1' }, spec: { drivers: [{ name: 'a.csi.io', nodeID: 'n1' }, { name: 'a.csi.io', nodeID: '' }] } };
  assert.deepEqual(create(csinodes.strategy, node).errors, ['spec.drivers[1].nodeID: Required value', 'spec.drivers[1].name: Duplicate value: "a.csi.io"']);
  const old: KObject = { metadata: { name: 'node-1' }, spec: { drivers: [{ name: 'a.csi.io', nodeID: 'n1' }] } };
  const moved = { ...old, spec: { drivers: [{ name: 'a.csi.io', nodeID: 'n2' }] } };
  assert.deepEqual(update(csinodes.strategy, moved, old).errors, ['CSINodeDriver: Invalid value: {"name":"a.csi.io","nodeID":"n2"}: field is immutable']);
});

test('volume attachments: one source, immutable spec, status through /status', () => {
  const va: KObject = { metadata: { name: 'va' }, spec: { attacher: 'a.csi.io', nodeName: 'node-1', source: { persistentVolumeName: 'pv-1' } } };
  const { obj, errors } = create(volumeattachments.strategy, va);
  assert.deepEqual(errors, []);
  assert.deepEqual(obj.status, { attached: false });
  assert.deepEqual(create(volumeattachments.strategy, { metadata: { name: 'v' }, spec: { attacher: 'a.csi.io', nodeName: 'n', source: {} } }).errors, [
    'spec.source: Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName',
  ]);
  const moved = structuredClone(obj);
  moved.spec.nodeName = 'node-2';
  assert.match(update(volumeattachments.strategy, moved, obj).errors[0]!, /^spec: Invalid value: .*: field is immutable$/);
  const attached = structuredClone(obj);
  attached.status = { attached: true };
  attached.spec.nodeName = 'node-9';
  const result = update(volumeattachments.strategy, attached, obj, context('status'));
  assert.deepEqual([result.obj.status.attached, result.obj.spec.nodeName, result.errors.length], [true, 'node-1', 0]);
});
