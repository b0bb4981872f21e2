import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject, ResourceDefinition } from '../../types.ts';
import { coreResources, markNamespaceTerminating } from './index.ts';
import { ctx, messages } from './testkit.ts';

const table = new Map(coreResources({ serviceCidr: '10.43.0.0/16', nodePortRange: '30000-32767' }).map((d) => [d.kind, d]));
const def = (kind: string): ResourceDefinition => table.get(kind)!;

async function created(kind: string, obj: KObject): Promise<{ obj: KObject; errors: string[] }> {
  const s = def(kind).strategy;
  s.defaults?.(obj);
  await s.prepareForCreate?.(obj, ctx());
  return { obj, errors: messages(s.validate?.(obj, ctx()) ?? []) };
}

async function updated(kind: string, obj: KObject, old: KObject, subresource = ''): Promise<string[]> {
  const s = def(kind).strategy;
  s.defaults?.(obj);
  await s.prepareForUpdate?.(obj, old, ctx({ subresource }));
  return messages(s.validateUpdate?.(obj, old, ctx({ subresource })) ?? []);
}

test('namespaces: name label, Active, kubernetes finalizer; terminating on delete', async () => {
  const { obj: ns, errors } = await created('Namespace', { metadata: { name: 'team-a' } });
  assert.deepEqual(errors, []);
  assert.deepEqual(ns.metadata.labels, { 'kubernetes.io/metadata.name': 'team-a' });
  assert.deepEqual(ns.spec, { finalizers: ['kubernetes'] });
  assert.deepEqual(ns.status, { phase: 'Active' });
  assert.equal(def('Namespace').strategy.nameRule, 'dns1123-label');
  const write = structuredClone(ns);
  write.spec.finalizers = [];
  assert.deepEqual(await updated('Namespace', write, ns), []);
  assert.deepEqual(write.spec.finalizers, ['kubernetes'], 'spec.finalizers change only through /finalize');
  const finalize = structuredClone(ns);
  finalize.spec.finalizers = [];
  assert.deepEqual(await updated('Namespace', finalize, ns, 'finalize'), []);
  assert.deepEqual(finalize.spec.finalizers, []);
  assert.equal(markNamespaceTerminating(ns), true);
  assert.equal(ns.status.phase, 'Terminating');
  const bad = await created('Namespace', { metadata: { name: 'x' }, spec: { finalizers: ['custom'] } });
  assert.deepEqual(bad.errors, ['spec.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified']);
});

test('nodes: allocatable from capacity, podCIDR fixed once set', async () => {
  const { obj: node, errors } = await created('Node', {
    metadata: { name: 'node-1' },
    spec: { podCIDR: '10.42.1.0/24', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] },
    status: { capacity: { cpu: '4', memory: '8Gi', pods: '110' } },
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(node.spec.podCIDRs, ['10.42.1.0/24']);
  assert.deepEqual(node.status.allocatable, { cpu: '4', memory: '8Gi', pods: '110' });
  const moved = structuredClone(node);
  moved.spec.podCIDR = '10.42.2.0/24';
  moved.spec.podCIDRs = ['10.42.2.0/24'];
  assert.deepEqual(await updated('Node', moved, node), ['spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid']);
  const cordoned = structuredClone(node);
  cordoned.spec.unschedulable = true;
  assert.deepEqual(await updated('Node', cordoned, node), []);
  const badTaint = await created('Node', { metadata: { name: 'n' }, spec: { taints: [{ key: 'k', effect: 'Sometimes' }] } });
  assert.deepEqual(badTaint.errors, ['spec.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"']);
});

test('secrets: Opaque by default, stringData folded into data, type rules', async () => {
  const { obj: secret, errors } = await created('Secret', { metadata: { name: 's', namespace: 'default' }, stringData: { password: 'hunter2' } });
  assert.deepEqual(errors, []);
  assert.equal(secret.type, 'Opaque');
  assert.deepEqual(secret.data, { password: Buffer.from('hunter2').toString('base64') });
  assert.equal(secret.stringData, undefined);
  const tls = await created('Secret', { metadata: { name: 't', namespace: 'default' }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'Y2VydA==' } });
  assert.deepEqual(tls.errors, ['data[tls.key]: Required value']);
  const bad = await created('Secret', { metadata: { name: 'b', namespace: 'default' }, data: { 'a key': '!!!' } });
  assert.equal(bad.errors.length, 2);
  assert.match(bad.errors[0]!, /^data\[a key\]: Invalid value: "a key": a valid config key must consist of alphanumeric characters/);
  const retyped = structuredClone(secret);
  retyped.type = 'kubernetes.io/basic-auth';
  assert.deepEqual(await updated('Secret', retyped, secret), ['type: Invalid value: "kubernetes.io/basic-auth": field is immutable']);
});

test('immutable configmaps refuse data changes', async () => {
  const { obj: cm, errors } = await created('ConfigMap', { metadata: { name: 'c', namespace: 'default' }, data: { a: '1' }, immutable: true });
  assert.deepEqual(errors, []);
  const changed = structuredClone(cm);
  changed.data.a = '2';
  assert.deepEqual(await updated('ConfigMap', changed, cm), ['data: Forbidden: field is immutable when `immutable` is set']);
  const big = await created('ConfigMap', { metadata: { name: 'big', namespace: 'default' }, data: { a: 'x'.repeat(1024 * 1024 + 1) } });
  assert.deepEqual(big.errors, [': Too long: may not be more than 1048576 bytes']);
});

test('events: involved object namespace must match', async () => {
  const event = { metadata: { name: 'web.1', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'web', namespace: 'other' }, reason: 'Started', type: 'Normal' };
  const { errors } = await created('Event', event);
  assert.deepEqual(errors, ['involvedObject.namespace: Invalid value: "other": does not match event.namespace']);
  assert.equal(def('Event').strategy.allowCreateOnUpdate, true);
});

test('persistent volumes and claims: defaults, required fields, claim spec immutability', async () => {
  const { obj: pv, errors } = await created('PersistentVolume', {
    metadata: { name: 'pv1' },
    spec: { capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/data' } },
  });
  assert.deepEqual(errors, []);
  assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Retain');
  assert.equal(pv.spec.volumeMode, 'Filesystem');
  assert.equal(pv.status.phase, 'Pending');
  const empty = await created('PersistentVolume', { metadata: { name: 'pv2' }, spec: {} });
  assert.deepEqual(empty.errors, ['spec.accessModes: Required value', 'spec.capacity: Required value', 'spec: Required value: must specify a volume type']);
  const { obj: pvc, errors: claimErrors } = await created('PersistentVolumeClaim', {
    metadata: { name: 'data', namespace: 'default' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1024Mi' } } },
  });
  assert.deepEqual(claimErrors, []);
  assert.equal(pvc.spec.resources.requests.storage, '1Gi');
  assert.deepEqual(pvc.status, { phase: 'Pending' });
  const changed = structuredClone(pvc);
  changed.spec.accessModes = ['ReadWriteMany'];
  assert.deepEqual(await updated('PersistentVolumeClaim', changed, pvc), [
    'spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
  ]);
  const noSize = await created('PersistentVolumeClaim', { metadata: { name: 'x', namespace: 'default' }, spec: { accessModes: ['ReadWriteOnce'] } });
  assert.deepEqual(noSize.errors, ['spec.resources[storage]: Required value']);
});

test('limit ranges default container limits and requests and check their order', async () => {
  const { obj: lr, errors } = await created('LimitRange', {
    metadata: { name: 'l', namespace: 'default' },
    spec: { limits: [{ type: 'Container', max: { cpu: '2' }, min: { cpu: '100m' } }] },
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(lr.spec.limits[0].default, { cpu: '2' });
  assert.deepEqual(lr.spec.limits[0].defaultRequest, { cpu: '2' });
  const bad = await created('LimitRange', { metadata: { name: 'b', namespace: 'default' }, spec: { limits: [{ type: 'Container', max: { cpu: '1' }, min: { cpu: '2' } }] } });
  assert.ok(bad.errors.includes('spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1'));
});

test('replication controllers take selector and labels from the template', async () => {
  const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } };
  const { obj: rc, errors } = await created('ReplicationController', { metadata: { name: 'web', namespace: 'default' }, spec: { template } });
  assert.deepEqual(errors, []);
  assert.deepEqual(rc.spec.selector, { app: 'web' });
  assert.deepEqual(rc.metadata.labels, { app: 'web' });
  assert.equal(rc.spec.replicas, 1);
  assert.deepEqual(rc.status, { replicas: 0 });
  const mismatch = await created('ReplicationController', { metadata: { name: 'm', namespace: 'default' }, spec: { selector: { app: 'db' }, template: structuredClone(template) } });
  assert.deepEqual(mismatch.errors, ['spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`']);
  const scaled = structuredClone(rc);
  scaled.spec.replicas = 3;
  scaled.spec.template.spec.containers[0].image = 'ignored';
  assert.deepEqual(await updated('ReplicationController', scaled, rc, 'scale'), []);
  assert.equal(scaled.spec.replicas, 3);
  assert.equal(scaled.spec.template.spec.containers[0].image, 'nginx:1.27');
});

test('resource quotas: standard names, status kept apart', async () => {
  const { obj: quota, errors } = await created('ResourceQuota', {
    metadata: { name: 'q', namespace: 'default' },
    spec: { hard: { pods: '10', 'requests.cpu': '4000m', 'count/deployments.apps': '5' } },
    status: { used: { pods: '99' } },
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(quota.status, {});
  assert.equal(quota.spec.hard['requests.cpu'], '4');
  const bad = await created('ResourceQuota', { metadata: { name: 'b', namespace: 'default' }, spec: { hard: { widgets: '1' } } });
  assert.deepEqual(bad.errors, ['spec.hard[widgets]: Invalid value: "widgets": must be a standard resource for quota']);
});
