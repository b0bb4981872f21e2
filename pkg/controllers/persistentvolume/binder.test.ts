import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { VolumeBinder, type BinderWriter } from './binder.ts';
import { ANN_BIND_COMPLETED, ANN_SELECTED_NODE, ANN_STORAGE_PROVISIONER, findBestMatch, volumeAdmitsNode } from './helpers.ts';
import { claimFinalizerAction, volumeFinalizerAction } from './protection.ts';

function pv(name: string, size: string, extra: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KObject {
  return { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name, resourceVersion: '1', ...meta }, spec: { capacity: { storage: size }, accessModes: ['ReadWriteOnce'], hostPath: { path: `/tmp/${name}` }, ...extra }, status: { phase: 'Available' } };
}

function pvc(name: string, size: string, spec: Record<string, unknown> = {}, annotations: Record<string, string> = {}): KObject {
  return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'ns', uid: `uid-${name}`, resourceVersion: '1', annotations }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } }, ...spec }, status: { phase: 'Pending' } };
}

/** A binder over maps; writes land in the maps and are recorded. */
function harness(volumes: KObject[], claims: KObject[], classes: KObject[] = []) {
  const pvs = new Map(volumes.map((v) => [v.metadata.name!, v]));
  const pvcs = new Map(claims.map((c) => [`${c.metadata.namespace}/${c.metadata.name}`, c]));
  const writes: string[] = [];
  const events: string[] = [];
  const writer: BinderWriter = {
    updateVolume: async (v) => (writes.push(`pv ${v.metadata.name}`), pvs.set(v.metadata.name!, v), v),
    updateVolumeStatus: async (v) => (writes.push(`pv ${v.metadata.name} ${v.status.phase}`), pvs.set(v.metadata.name!, v), v),
    updateClaim: async (c) => (writes.push(`pvc ${c.metadata.name}`), pvcs.set(`ns/${c.metadata.name}`, c), c),
    updateClaimStatus: async (c) => (writes.push(`pvc ${c.metadata.name} ${c.status.phase}`), pvcs.set(`ns/${c.metadata.name}`, c), c),
    getClaim: async (ns, name) => pvcs.get(`${ns}/${name}`),
  };
  const binder = new VolumeBinder({
    claim: (k) => pvcs.get(k),
    volume: (n) => pvs.get(n),
    volumes: () => pvs.values(),
    storageClass: (n) => classes.find((c) => c.metadata.name === n),
    pods: () => [],
  }, writer, { event: (_o, _t, reason, message) => void events.push(`${reason}: ${message}`) });
  return { binder, pvs, pvcs, writes, events };
}

const wffc: KObject = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'local-path' }, provisioner: 'tsk.io/local-path', volumeBindingMode: 'WaitForFirstConsumer' };

describe('volume matching', () => {
  it('takes the smallest volume that is large enough, of the same class and modes', () => {
    const claim = pvc('c', '2Gi');
    const vols = [pv('big', '10Gi'), pv('small', '1Gi'), pv('fit', '3Gi'), pv('rwx', '2Gi', { accessModes: ['ReadWriteMany'] }), pv('classy', '2Gi', { storageClassName: 'fast' })];
    assert.equal(findBestMatch(claim, vols, { delayBinding: false })?.metadata.name, 'fit');
  });

  it('honours the selector, skips claimed and deleted volumes, prefers the one pre-bound to the claim', () => {
    const claim = pvc('c', '1Gi', { selector: { matchLabels: { tier: 'gold' } } });
    const gold = pv('gold', '5Gi', {}, { labels: { tier: 'gold' } });
    assert.equal(findBestMatch(claim, [pv('plain', '1Gi'), gold], { delayBinding: false })?.metadata.name, 'gold');
    const taken = pv('taken', '1Gi', { claimRef: { namespace: 'ns', name: 'other' } }, { labels: { tier: 'gold' } });
    const gone = pv('gone', '1Gi', {}, { labels: { tier: 'gold' }, deletionTimestamp: '2026-01-01T00:00:00Z' });
    assert.equal(findBestMatch(claim, [taken, gone], { delayBinding: false }), undefined);
    const mine = pv('mine', '9Gi', { claimRef: { namespace: 'ns', name: 'c' } });
    assert.equal(findBestMatch(pvc('c', '1Gi'), [pv('small', '1Gi'), mine], { delayBinding: false })?.metadata.name, 'mine');
  });

  it('leaves unclaimed volumes to the scheduler under delayed binding', () => {
    assert.equal(findBestMatch(pvc('c', '1Gi'), [pv('a', '1Gi')], { delayBinding: true }), undefined);
  });

  it('checks node affinity against a node', () => {
    const pinned = pv('p', '1Gi', { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }] }] } } });
    assert.equal(volumeAdmitsNode(pinned, { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' } }), true);
    assert.equal(volumeAdmitsNode(pinned, { name: 'n2', labels: { 'kubernetes.io/hostname': 'n2' } }), false);
    assert.equal(volumeAdmitsNode(pv('free', '1Gi'), { name: 'n2', labels: {} }), true);
  });
});

describe('VolumeBinder', () => {
  it('binds a pending claim: volume claimRef and Bound, then claim volumeName, annotation and Bound', async () => {
    const h = harness([pv('v1', '1Gi')], [pvc('c', '1Gi')]);
    await h.binder.syncClaim(h.pvcs.get('ns/c')!);
    assert.deepEqual(h.writes, ['pv v1', 'pv v1 Bound', 'pvc c', 'pvc c Bound']);
    const claim = h.pvcs.get('ns/c')!;
    assert.equal(claim.spec.volumeName, 'v1');
    assert.equal(claim.metadata.annotations?.[ANN_BIND_COMPLETED], 'yes');
    assert.equal(claim.status.capacity.storage, '1Gi');
    assert.equal(h.pvs.get('v1')!.spec.claimRef.uid, 'uid-c');
    h.writes.length = 0;
    await h.binder.syncClaim(claim);
    assert.deepEqual(h.writes, [], 'a bound pair costs no writes');
  });

  it('waits for the first consumer, then hands the claim to the class provisioner', async () => {
    const h = harness([], [pvc('c', '1Gi', { storageClassName: 'local-path' })], [wffc]);
    await h.binder.syncClaim(h.pvcs.get('ns/c')!);
    assert.deepEqual(h.events, ['WaitForFirstConsumer: waiting for first consumer to be created before binding']);
    assert.deepEqual(h.writes, []);
    await h.binder.syncClaim(pvc('c', '1Gi', { storageClassName: 'local-path' }, { [ANN_SELECTED_NODE]: 'n1' }));
    assert.equal(h.pvcs.get('ns/c')!.metadata.annotations?.[ANN_STORAGE_PROVISIONER], 'tsk.io/local-path');
    assert.match(h.events[1]!, /^ExternalProvisioning: .*'tsk\.io\/local-path'/);
  });

  it('says so when there is neither a volume nor a class', async () => {
    const h = harness([], [pvc('c', '1Gi')]);
    await h.binder.syncClaim(h.pvcs.get('ns/c')!);
    assert.deepEqual(h.events, ['FailedBinding: no persistent volumes available for this claim and no storage class is set']);
  });

  it('releases a volume whose claim is gone; Retain keeps it, Delete of a provisioned one waits, Delete of a hand-made one fails', async () => {
    const ref = { namespace: 'ns', name: 'gone', uid: 'uid-gone' };
    const h = harness([
      pv('keep', '1Gi', { claimRef: ref, persistentVolumeReclaimPolicy: 'Retain' }),
      pv('prov', '1Gi', { claimRef: ref, persistentVolumeReclaimPolicy: 'Delete' }, { annotations: { 'pv.kubernetes.io/provisioned-by': 'tsk.io/local-path' } }),
      pv('hand', '1Gi', { claimRef: ref, persistentVolumeReclaimPolicy: 'Delete' }),
    ], []);
    for (const name of ['keep', 'prov', 'hand']) await h.binder.syncVolume(h.pvs.get(name)!);
    assert.deepEqual(h.writes, ['pv keep Released', 'pv prov Released', 'pv hand Released', 'pv hand Failed']);
    assert.equal(h.events.length, 1);
    assert.match(h.events[0]!, /^VolumeFailedDelete/);
  });

  it('marks a bound claim Lost when its volume disappears', async () => {
    const h = harness([], [pvc('c', '1Gi', { volumeName: 'v' }, { [ANN_BIND_COMPLETED]: 'yes' })]);
    await h.binder.syncClaim(h.pvcs.get('ns/c')!);
    assert.deepEqual(h.writes, ['pvc c Lost']);
  });

  it('refuses a named volume that does not satisfy the claim', async () => {
    const h = harness([pv('v', '1Gi')], [pvc('c', '5Gi', { volumeName: 'v' })]);
    await h.binder.syncClaim(h.pvcs.get('ns/c')!);
    assert.deepEqual(h.events, ['VolumeMismatch: Cannot bind to requested volume "v": requested PV is too small']);
  });
});

describe('protection finalizers', () => {
  const pod = (claim: string, extra: Record<string, unknown> = {}): KObject => ({ metadata: { name: 'p', namespace: 'ns' }, spec: { nodeName: 'n1', volumes: [{ name: 'd', persistentVolumeClaim: { claimName: claim } }] }, status: { phase: 'Running', ...extra } });
  it('adds the finalizer, keeps a deleted claim while a running pod uses it, then lets it go', () => {
    assert.equal(claimFinalizerAction(pvc('c', '1Gi'), []), 'add');
    const deleting = pvc('c', '1Gi');
    deleting.metadata.finalizers = ['kubernetes.io/pvc-protection'];
    deleting.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    assert.equal(claimFinalizerAction(deleting, [pod('c')]), 'none');
    assert.equal(claimFinalizerAction(deleting, [pod('c', { phase: 'Succeeded' })]), 'remove');
    assert.equal(claimFinalizerAction(deleting, [pod('other')]), 'remove');
  });

  it('keeps a deleted volume while it is Bound', () => {
    const v = pv('v', '1Gi', {}, { finalizers: ['kubernetes.io/pv-protection'], deletionTimestamp: '2026-01-01T00:00:00Z' });
    v.status.phase = 'Bound';
    assert.equal(volumeFinalizerAction(v), 'none');
    v.status.phase = 'Released';
    assert.equal(volumeFinalizerAction(v), 'remove');
    assert.equal(volumeFinalizerAction(pv('w', '1Gi')), 'add');
  });
});
