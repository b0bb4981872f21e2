import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../api/types.ts';
import { ApiError } from '../../errors.ts';
import { fakeResolver } from '../testing/fake-schemas.ts';
import { serverSideApply, updateManagedFields, type ApplyInput } from './field-manager.ts';
import { LAST_APPLIED_ANNOTATION } from './last-applied.ts';

const at = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s));
const common = { resolver: fakeResolver };
const cm = { ...common, schemaName: 'ConfigMap', apiVersion: 'v1', kind: 'ConfigMap' };
const deploy = { ...common, schemaName: 'Deployment', apiVersion: 'apps/v1', kind: 'Deployment' };

function apply(input: Omit<ApplyInput, 'force' | 'resolver'> & { force?: boolean }): KObject {
  const result = serverSideApply({ force: false, ...common, ...input });
  if (!('object' in result)) throw result.error;
  return result.object;
}

/** What the store adds on create; stripped from every field set. */
function stored(obj: KObject): KObject {
  return { ...obj, metadata: { ...obj.metadata, uid: 'u1', resourceVersion: '1', creationTimestamp: '2024-01-01T00:00:00Z' } };
}

const mergePatch = (obj: KObject, data: Record<string, string>): KObject => ({ ...obj, data: { ...obj.data, ...data } });

test('apply creates, then updates take fields over (TestApplyManagedFields, byte for byte)', () => {
  const created = stored(apply({
    ...cm, manager: 'apply_test', now: at(0),
    applied: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'test-cm', namespace: 'default', labels: { 'test-label': 'test' } }, data: { key: 'value' } },
  }));
  const first = updateManagedFields({ ...cm, manager: 'updater', operation: 'Update', now: at(1), old: created, updated: mergePatch(created, { 'new-key': 'value' }) });
  const second = updateManagedFields({ ...cm, manager: 'updater', operation: 'Update', now: at(2), old: first, updated: mergePatch(first, { key: 'new value' }) });
  assert.equal(
    JSON.stringify(second.metadata.managedFields),
    '[{"manager":"apply_test","operation":"Apply","apiVersion":"v1","time":"2024-01-01T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{"f:test-label":{}}}}},'
      + '{"manager":"updater","operation":"Update","apiVersion":"v1","time":"2024-01-01T00:00:02Z","fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:key":{},"f:new-key":{}}}}]',
  );
  assert.deepEqual(second.data, { key: 'new value', 'new-key': 'value' });
});

const nginx = (extra: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name: 'deployment', namespace: 'default', labels: { app: 'nginx' } },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'nginx' } },
    template: { metadata: { labels: { app: 'nginx' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:latest', ...extra }] } },
  },
});

test('an applier owns exactly its configuration; list items carry "."', () => {
  const obj = apply({ ...deploy, manager: 'kubectl', now: at(0), applied: nginx({ ports: [{ containerPort: 80 }] }) });
  assert.equal(
    JSON.stringify(obj.metadata.managedFields![0]!.fieldsV1),
    '{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},'
      + '"f:spec":{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":{".":{},"f:image":{},"f:name":{},"f:ports":{"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{}}}}}}}}}',
  );
});

test('re-applying without a field removes it (TestApplyRemoveContainerPort)', () => {
  const first = stored(apply({ ...deploy, manager: 'apply_test', now: at(0), applied: nginx({ ports: [{ containerPort: 80, protocol: 'TCP' }] }) }));
  const second = apply({ ...deploy, manager: 'apply_test', now: at(1), live: first, applied: nginx() });
  assert.deepEqual(second.spec.template.spec.containers, [{ name: 'nginx', image: 'nginx:latest' }]);
  assert.equal(second.metadata.uid, 'u1', 'fields nobody applied stay');
});

test('defaulted fields are not owned by the applier and survive re-applies', () => {
  const first = stored(apply({ ...deploy, manager: 'kubectl', now: at(0), applied: nginx() }));
  first.spec.template.spec.restartPolicy = 'Always';
  first.spec.template.spec.containers[0].imagePullPolicy = 'Always';
  const second = apply({ ...deploy, manager: 'kubectl', now: at(1), live: first, applied: nginx() });
  assert.equal(second.spec.template.spec.restartPolicy, 'Always');
  assert.equal(second.spec.template.spec.containers[0].imagePullPolicy, 'Always');
  assert.doesNotMatch(JSON.stringify(second.metadata.managedFields), /restartPolicy|imagePullPolicy/);
  assert.equal(second.metadata.managedFields![0]!.time, '2024-01-01T00:00:00Z', 'a no-op apply keeps its time');
});

test('two appliers: same value is shared, a different value conflicts, force takes over', () => {
  const replicas = (n: number) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'deployment', namespace: 'default' }, spec: { replicas: n } });
  const base = stored(apply({ ...deploy, manager: 'a', now: at(0), applied: replicas(3) }));
  const shared = apply({ ...deploy, manager: 'b', now: at(1), live: base, applied: replicas(3) });
  // b's apply changed nothing, so (as in Kubernetes) its entry has no time and sorts first.
  assert.deepEqual(shared.metadata.managedFields!.map((e) => [e.manager, e.time]), [['b', undefined], ['a', '2024-01-01T00:00:00Z']]);

  const result = serverSideApply({ ...deploy, manager: 'c', now: at(2), live: shared, applied: replicas(5), force: false });
  assert.ok('conflicts' in result);
  const status = result.error.toStatus();
  assert.equal(status.code, 409);
  assert.equal(status.reason, 'Conflict');
  assert.equal(status.message, 'Apply failed with 2 conflicts: conflicts with "a":\n- .spec.replicas\nconflicts with "b":\n- .spec.replicas');
  assert.deepEqual(status.details?.causes, [
    { reason: 'FieldManagerConflict', message: 'conflict with "a"', field: '.spec.replicas' },
    { reason: 'FieldManagerConflict', message: 'conflict with "b"', field: '.spec.replicas' },
  ]);

  const forced = apply({ ...deploy, manager: 'c', now: at(3), live: shared, applied: replicas(5), force: true });
  assert.equal(forced.spec.replicas, 5);
  assert.deepEqual(forced.metadata.managedFields!.map((e) => [e.manager, JSON.stringify(e.fieldsV1)]), [['c', '{"f:spec":{"f:replicas":{}}}']]);
});

function clientSideApplied(replicas: number): KObject {
  const config = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' }, spec: { replicas } };
  const annotated = { ...config, metadata: { ...config.metadata, annotations: { [LAST_APPLIED_ANNOTATION]: `${JSON.stringify(config)}\n` } } };
  return stored(updateManagedFields({ ...deploy, manager: 'kubectl-client-side-apply', operation: 'Update', now: at(0), updated: annotated }));
}

test('client-side apply then server-side apply by another manager conflicts with Kubernetes wording', () => {
  const live = clientSideApplied(3);
  const result = serverSideApply({ ...deploy, manager: 'ops', force: false, now: at(1), live, applied: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 5 } } });
  assert.ok('conflicts' in result);
  assert.equal(result.error.message, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
});

test('kubectl apply --server-side migrates fields last applied client-side and rewrites the annotation', () => {
  const live = clientSideApplied(3);
  const applied = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 5 } };
  const obj = apply({ ...deploy, manager: 'kubectl', now: at(1), live, applied });
  assert.equal(obj.spec.replicas, 5);
  assert.equal(obj.metadata.annotations![LAST_APPLIED_ANNOTATION], '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":5}}\n');
  const owners = obj.metadata.managedFields!.map((e) => `${e.manager}/${e.operation}:${JSON.stringify(e.fieldsV1)}`);
  assert.deepEqual(owners, [
    'kubectl/Apply:{"f:spec":{"f:replicas":{}}}',
    'kubectl-client-side-apply/Update:{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}}}}',
  ]);

  const drifted = clientSideApplied(3);
  drifted.spec.replicas = 4;
  const refused = serverSideApply({ ...deploy, manager: 'kubectl', force: false, now: at(2), live: drifted, applied });
  assert.ok('conflicts' in refused, 'a field changed since the client-side apply still conflicts');
});

test('cleared managedFields stay untracked for updates; the first apply records "before-first-apply"', () => {
  const created = stored(apply({ ...cm, manager: 'apply_test', now: at(0), applied: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } } }));
  const cleared = updateManagedFields({ ...cm, manager: 'x', operation: 'Update', now: at(1), old: created, updated: { ...created, metadata: { ...created.metadata, managedFields: [{}] } } });
  assert.equal(cleared.metadata.managedFields, undefined);
  const untracked = updateManagedFields({ ...cm, manager: 'x', operation: 'Update', now: at(2), old: cleared, updated: mergePatch(cleared, { b: '2' }) });
  assert.equal(untracked.metadata.managedFields, undefined);
  const result = serverSideApply({ ...cm, manager: 'apply_test', force: false, now: at(3), live: untracked, applied: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '9' } } });
  assert.ok('conflicts' in result);
  assert.equal(result.error.message, 'Apply failed with 1 conflict: conflict with "before-first-apply" using v1: .data.a');
});

test('more than ten update managers fold the oldest into "ancient-changes"', () => {
  let obj = stored(updateManagedFields({ ...cm, manager: 'm0', operation: 'Update', now: at(0), updated: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k0: 'v' } } }));
  for (let i = 1; i <= 11; i++) obj = updateManagedFields({ ...cm, manager: `m${i}`, operation: 'Update', now: at(i), old: obj, updated: mergePatch(obj, { [`k${i}`]: 'v' }) });
  const managers = obj.metadata.managedFields!.map((e) => e.manager);
  assert.equal(managers.length, 10);
  assert.equal(managers[0], 'ancient-changes');
  assert.equal(JSON.stringify(obj.metadata.managedFields![0]!.fieldsV1), '{"f:data":{".":{},"f:k0":{},"f:k1":{},"f:k2":{}}}');
  assert.equal(obj.metadata.managedFields![0]!.time, '2024-01-01T00:00:02Z');
});

test('ignored fields (status on the main resource) are owned by nobody', () => {
  const obj = updateManagedFields({
    ...deploy, manager: 'kubectl-create', operation: 'Update', now: at(0), ignoredFields: [['status']],
    updated: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 1 }, status: { replicas: 0 } },
  });
  assert.equal(JSON.stringify(obj.metadata.managedFields![0]!.fieldsV1), '{"f:spec":{"f:replicas":{}}}');
});

test('refusals use Kubernetes wording', () => {
  const bad = (applied: KObject, message: string | RegExp, code: number) =>
    assert.throws(() => serverSideApply({ ...deploy, manager: 'm', force: false, now: at(0), applied }), (e: unknown) =>
      e instanceof ApiError && e.code === code && (typeof message === 'string' ? e.message === message : message.test(e.message)));
  const meta = { name: 'web', namespace: 'default' };
  bad({ apiVersion: 'apps/v1', kind: 'Foo', metadata: meta }, 'invalid object type: apps/v1, Kind=Foo', 400);
  bad({ apiVersion: 'extensions/v1beta1', kind: 'Deployment', metadata: meta }, 'invalid object type: extensions/v1beta1, Kind=Deployment', 400);
  bad({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { ...meta, managedFields: [] } }, 'metadata.managedFields must be nil', 400);
  bad({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta, spec: { foo: 1 } },
    'failed to create typed patch object (apps/v1, Kind=Deployment default/web): .spec.foo: field not declared in schema', 500);
  bad({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta, spec: { template: { spec: { containers: [{ image: 'x' }] } } } },
    /\.spec\.template\.spec\.containers: element 0: associative list with keys has an element that omits key field "name" \(and doesn't have default value\)$/, 500);
  bad({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta, spec: { template: { spec: { containers: [{ name: 'a' }, { name: 'a' }] } } } },
    /\.spec\.template\.spec\.containers: duplicate entries for key \[name="a"\]$/, 500);
});
