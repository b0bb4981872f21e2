import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject, ResourceDefinition } from '../../types.ts';
import { create, update } from '../test-helpers.ts';
import { rbacResources } from './rbac.ts';

const kind = (k: string): ResourceDefinition => rbacResources().find((d) => d.kind === k)!;

test('RBAC kinds use the rbac name rule', () => {
  for (const d of rbacResources()) assert.equal(d.strategy.nameRule, 'rbac');
});

test('what `kubectl create role pod-reader --verb=get --resource=pods` sends is valid', () => {
  const role: KObject = { metadata: { name: 'pod-reader', namespace: 'default' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] };
  assert.deepEqual(create(kind('Role').strategy, role).errors, []);
});

test('rule errors: verbs, api groups, non-resource URLs in namespaced roles', () => {
  const role: KObject = { metadata: { name: 'r' }, rules: [{ resources: ['pods'] }, { verbs: ['get'], nonResourceURLs: ['/healthz'], resources: ['pods'] }] };
  assert.deepEqual(create(kind('Role').strategy, role).errors, [
    'rules[0].verbs: Required value: verbs must contain at least one value',
    'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
    'rules[1].nonResourceURLs: Invalid value: ["/healthz"]: namespaced rules cannot apply to non-resource URLs',
    'rules[1].nonResourceURLs: Invalid value: ["/healthz"]: rules cannot apply to both regular resources and non-resource URLs',
  ]);
  const clusterRole: KObject = { metadata: { name: 'health' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }], aggregationRule: {} };
  assert.deepEqual(create(kind('ClusterRole').strategy, clusterRole).errors, [
    'aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil',
  ]);
});

/** What `kubectl create rolebinding admin --clusterrole=admin --user=jane --serviceaccount=ns:sa` sends. */
function kubectlRoleBinding(): KObject {
  return {
    metadata: { name: 'admin', namespace: 'default' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
    subjects: [
      { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'jane' },
      { kind: 'ServiceAccount', namespace: 'ns', name: 'sa' },
    ],
  };
}

test('bindings: subject api groups default, role refs are checked', () => {
  const binding = kubectlRoleBinding();
  binding.subjects.push({ kind: 'Group', name: 'devs' });
  const { obj, errors } = create(kind('RoleBinding').strategy, binding);
  assert.deepEqual(errors, []);
  assert.equal(obj.subjects[2].apiGroup, 'rbac.authorization.k8s.io');
  assert.equal(obj.subjects[1].apiGroup, undefined);

  const crb: KObject = { metadata: { name: 'x' }, roleRef: { kind: 'Role', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'sa' }, { kind: 'Robot', name: 'r2' }] };
  const result = create(kind('ClusterRoleBinding').strategy, crb);
  assert.equal(result.obj.roleRef.apiGroup, 'rbac.authorization.k8s.io');
  assert.deepEqual(result.errors, [
    'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
    'subjects[0].namespace: Required value',
    'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
  ]);
});

test('roleRef cannot change', () => {
  const old = create(kind('RoleBinding').strategy, kubectlRoleBinding()).obj;
  const changed = structuredClone(old);
  changed.roleRef.name = 'view';
  assert.deepEqual(update(kind('RoleBinding').strategy, changed, old).errors, [
    'roleRef: Invalid value: {"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"}: cannot change roleRef',
  ]);
  const subjects = structuredClone(old);
  subjects.subjects.pop();
  assert.deepEqual(update(kind('RoleBinding').strategy, subjects, old).errors, []);
});
