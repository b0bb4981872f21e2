import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { UserInfo } from '../../api/types.ts';
import { ApiError } from '../../apiserver/errors.ts';
import { PodGraph } from '../node/graph.ts';
import { createClusterAuthorizer } from './chain.ts';
import { localSubjectAccessReview, selfSubjectAccessReview, selfSubjectRulesReview, subjectAccessReview } from './reviews.ts';
import { memoryLister } from './testlister.ts';

const ref = (kind: string, name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind, name });
const authorizer = createClusterAuthorizer({
  rbac: memoryLister({
    clusterRoles: [
      { metadata: { name: 'pod-reader' }, rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }] },
      { metadata: { name: 'health' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }] },
    ],
    clusterRoleBindings: [{ metadata: { name: 'health' }, roleRef: ref('ClusterRole', 'health'), subjects: [{ kind: 'Group', name: 'system:authenticated' }] }],
    roleBindings: [
      { metadata: { namespace: 'dev', name: 'readers' }, roleRef: ref('ClusterRole', 'pod-reader'), subjects: [{ kind: 'Group', name: 'devs' }] },
      { metadata: { namespace: 'dev', name: 'broken' }, roleRef: ref('Role', 'gone'), subjects: [{ kind: 'Group', name: 'devs' }] },
    ],
  }),
  nodes: { pods: new PodGraph(), getPersistentVolumeClaim: () => undefined },
});
const bob: UserInfo = { username: 'bob', groups: ['devs', 'system:authenticated'] };
const podsIn = (namespace: string, verb = 'list') => ({ resourceAttributes: { namespace, verb, resource: 'pods' } });

describe('access reviews', () => {
  test('SelfSubjectAccessReview: allowed with the granting binding as reason', () => {
    const r = selfSubjectAccessReview({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: {}, spec: podsIn('dev') }, bob, authorizer);
    assert.deepEqual(r.status, { allowed: true, reason: 'RBAC: allowed by RoleBinding "readers/dev" of ClusterRole "pod-reader" to Group "devs"' });
    assert.equal(r.kind, 'SelfSubjectAccessReview');
  });

  test('a denial carries the resolution errors and is not "denied" (no authorizer said deny)', () => {
    const r = selfSubjectAccessReview({ metadata: {}, spec: podsIn('dev', 'delete') }, bob, authorizer);
    assert.deepEqual(r.status, { allowed: false, reason: 'RBAC: role.rbac.authorization.k8s.io "gone" not found' });
  });

  test('SubjectAccessReview for another user, non-resource too', () => {
    assert.equal(subjectAccessReview({ metadata: {}, spec: { user: 'alice', groups: ['devs'], ...podsIn('dev') } }, authorizer).status.allowed, true);
    assert.equal(subjectAccessReview({ metadata: {}, spec: { user: 'alice', ...podsIn('dev') } }, authorizer).status.allowed, false);
    assert.equal(subjectAccessReview({ metadata: {}, spec: { groups: ['system:authenticated'], nonResourceAttributes: { path: '/healthz', verb: 'get' } } }, authorizer).status.allowed, true);
    assert.equal(subjectAccessReview({ metadata: {}, spec: { user: 'x', groups: ['system:masters'], ...podsIn('any', 'delete') } }, authorizer).status.allowed, true);
  });

  test('validation errors are 422 with Kubernetes texts', () => {
    assert.throws(
      () => subjectAccessReview({ metadata: {}, spec: podsIn('dev') }, authorizer),
      (e: unknown) => e instanceof ApiError && e.code === 422 && e.message === 'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified',
    );
    assert.throws(
      () => selfSubjectAccessReview({ metadata: {}, spec: {} }, bob, authorizer),
      (e: unknown) => e instanceof ApiError && e.message === 'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
  });

  test('LocalSubjectAccessReview: only its own namespace', () => {
    const ok = localSubjectAccessReview({ metadata: { namespace: 'dev' }, spec: { user: 'bob', groups: ['devs'], ...podsIn('dev') } }, 'dev', authorizer);
    assert.equal(ok.status.allowed, true);
    assert.equal(ok.kind, 'LocalSubjectAccessReview');
    assert.throws(
      () => localSubjectAccessReview({ metadata: {}, spec: { user: 'bob', ...podsIn('prod') } }, 'dev', authorizer),
      (e: unknown) => e instanceof ApiError && e.message.endsWith('spec.resourceAttributes.namespace: Invalid value: "prod": must match metadata.namespace'),
    );
  });
});

describe('SelfSubjectRulesReview', () => {
  test("the user's rules in the namespace, with resolution errors", () => {
    const r = selfSubjectRulesReview({ metadata: {}, spec: { namespace: 'dev' } }, bob, authorizer);
    assert.deepEqual(r.status, {
      resourceRules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }],
      nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }],
      incomplete: false,
      evaluationError: 'role.rbac.authorization.k8s.io "gone" not found',
    });
  });

  test('system:masters gets everything; nodes are incomplete', () => {
    const admin = selfSubjectRulesReview({ metadata: {}, spec: { namespace: 'x' } }, { username: 'a', groups: ['system:masters'] }, authorizer);
    assert.deepEqual(admin.status.resourceRules[0], { verbs: ['*'], apiGroups: ['*'], resources: ['*'] });
    const node = selfSubjectRulesReview({ metadata: {}, spec: { namespace: 'x' } }, { username: 'system:node:n1', groups: ['system:nodes'] }, authorizer);
    assert.equal(node.status.incomplete, true);
    assert.equal(node.status.evaluationError, 'node authorizer does not support user rule resolution');
    assert.throws(() => selfSubjectRulesReview({ metadata: {}, spec: {} }, bob, authorizer), (e: unknown) => e instanceof ApiError && e.code === 400 && e.message === 'no namespace on request');
  });
});
