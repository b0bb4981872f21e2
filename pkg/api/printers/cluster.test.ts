import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  certificateSigningRequestPrinter,
  clusterRoleBindingPrinter,
  leasePrinter,
  priorityClassPrinter,
  roleBindingPrinter,
  runtimeClassPrinter,
  validatingAdmissionPolicyBindingPrinter,
  validatingAdmissionPolicyPrinter,
  webhookConfigurationPrinter,
} from './cluster.ts';
import { ago, now } from './testing.ts';

const metadata = { name: 'x', creationTimestamp: ago(5) };

test('RoleBinding and ClusterRoleBinding: ROLE, then USERS GROUPS SERVICEACCOUNTS with -o wide', () => {
  const binding = {
    metadata: { ...metadata, name: 'read-pods' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
    subjects: [
      { kind: 'User', name: 'jane' },
      { kind: 'User', name: 'joe' },
      { kind: 'Group', name: 'devs' },
      { kind: 'ServiceAccount', name: 'ci', namespace: 'build' },
    ],
  };
  assert.deepEqual(
    roleBindingPrinter.columns.map((c) => `${c.name}:${c.priority}`),
    ['Name:0', 'Role:0', 'Age:0', 'Users:1', 'Groups:1', 'ServiceAccounts:1'],
  );
  assert.deepEqual(roleBindingPrinter.row(binding, now), ['read-pods', 'Role/pod-reader', '5s', 'jane, joe', 'devs', 'build/ci']);
  const admin = { metadata: { ...metadata, name: 'cluster-admin' }, roleRef: { kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'Group', name: 'system:masters' }] };
  assert.deepEqual(clusterRoleBindingPrinter.row(admin, now), ['cluster-admin', 'ClusterRole/cluster-admin', '5s', '', 'system:masters', '']);
  assert.equal(clusterRoleBindingPrinter.columns[3].description, 'Users in the clusterRoleBinding');
});

test('PriorityClass, Lease, RuntimeClass', () => {
  const pc = { metadata: { ...metadata, name: 'system-node-critical' }, value: 2000001000, preemptionPolicy: 'PreemptLowerPriority' };
  assert.deepEqual(priorityClassPrinter.row(pc, now), ['system-node-critical', 2000001000, false, '5s', 'PreemptLowerPriority']);
  assert.deepEqual(
    priorityClassPrinter.columns.map((c) => `${c.name}:${c.priority}`),
    ['Name:0', 'Value:0', 'Global-Default:0', 'Age:0', 'PreemptionPolicy:0'],
  );
  assert.deepEqual(leasePrinter.row({ metadata: { ...metadata, name: 'kube-scheduler' }, spec: { holderIdentity: 'server-1_3c2d' } }, now), [
    'kube-scheduler',
    'server-1_3c2d',
    '5s',
  ]);
  assert.equal(leasePrinter.row({ metadata, spec: {} }, now)[1], '');
  assert.deepEqual(runtimeClassPrinter.row({ metadata: { ...metadata, name: 'gvisor' }, handler: 'runsc' }, now), ['gvisor', 'runsc', '5s']);
});

test('CertificateSigningRequest: SIGNERNAME REQUESTOR REQUESTEDDURATION CONDITION', () => {
  const csr = {
    metadata: { ...metadata, name: 'node-csr-abc' },
    spec: { signerName: 'kubernetes.io/kube-apiserver-client-kubelet', username: 'system:node:pi-1', expirationSeconds: 86400 },
    status: { conditions: [{ type: 'Approved', status: 'True' }], certificate: 'LS0t' },
  };
  assert.deepEqual(
    certificateSigningRequestPrinter.columns.map((c) => c.name),
    ['Name', 'Age', 'SignerName', 'Requestor', 'RequestedDuration', 'Condition'],
  );
  assert.deepEqual(certificateSigningRequestPrinter.row(csr, now), [
    'node-csr-abc', '5s', 'kubernetes.io/kube-apiserver-client-kubelet', 'system:node:pi-1', '24h', 'Approved,Issued',
  ]);
  const pending = { metadata, spec: { username: 'u' } };
  assert.deepEqual(certificateSigningRequestPrinter.row(pending, now).slice(2), ['<none>', 'u', '<none>', 'Pending']);
  const denied = { metadata, spec: {}, status: { conditions: [{ type: 'Approved' }, { type: 'Denied' }, { type: 'Failed' }] } };
  assert.equal(certificateSigningRequestPrinter.row(denied, now)[5], 'Denied,Failed');
});

test('admission configuration kinds', () => {
  assert.deepEqual(webhookConfigurationPrinter.row({ metadata, webhooks: [{ name: 'a' }, { name: 'b' }] }, now), ['x', 2, '5s']);
  const policy = { metadata, spec: { paramKind: { apiVersion: 'v1', kind: 'ConfigMap' }, validations: [{ expression: 'true' }] } };
  assert.deepEqual(validatingAdmissionPolicyPrinter.row(policy, now), ['x', 1, 'v1/ConfigMap', '5s']);
  assert.equal(validatingAdmissionPolicyPrinter.row({ metadata, spec: {} }, now)[2], '<unset>');
  const binding = (paramRef?: object) => ({ metadata, spec: { policyName: 'p', paramRef } });
  assert.deepEqual(validatingAdmissionPolicyBindingPrinter.row(binding({ name: 'limits', namespace: 'ns' }), now), ['x', 'p', 'ns/limits', '5s']);
  assert.equal(validatingAdmissionPolicyBindingPrinter.row(binding({ name: 'limits' }), now)[2], '*/limits');
  assert.equal(validatingAdmissionPolicyBindingPrinter.row(binding(), now)[2], '<unset>');
  const selected = binding({ selector: { matchLabels: { tier: 'gold', app: 'x' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['a', 'b'] }] } });
  assert.equal(
    validatingAdmissionPolicyBindingPrinter.row(selected, now)[2],
    '&LabelSelector{MatchLabels:map[string]string{app: x,tier: gold,},MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:env,Operator:In,Values:[a b],},},}',
  );
});
