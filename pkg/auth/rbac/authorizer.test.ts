import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { UserInfo } from '../../api/types.ts';
import { forbiddenError, forbiddenMessage, privilegedGroupAuthorizer, RbacAuthorizer, unionAuthorizer } from './authorizer.ts';
import { memoryLister } from './testlister.ts';
import type { Attributes } from './types.ts';

const bob: UserInfo = { username: 'bob', groups: ['system:authenticated'] };
const sa: UserInfo = { username: 'system:serviceaccount:default:builder', groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'] };
const listPods = (user: UserInfo, namespace = 'default'): Attributes => ({ user, verb: 'list', resourceRequest: true, apiGroup: '', resource: 'pods', namespace });

const lister = memoryLister({
  roles: [{ metadata: { namespace: 'default', name: 'pod-reader' }, rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'pods/log'] }] }],
  roleBindings: [
    { metadata: { namespace: 'default', name: 'bob-reads' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' }, subjects: [{ kind: 'User', name: 'bob' }] },
    { metadata: { namespace: 'default', name: 'sa-reads' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' }, subjects: [{ kind: 'ServiceAccount', name: 'builder' }] },
    { metadata: { namespace: 'broken', name: 'dangling' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'x' }, subjects: [{ kind: 'User', name: 'bob' }] },
  ],
  clusterRoles: [
    { metadata: { name: 'node-reader' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['nodes'], resourceNames: ['n1'] }] },
    { metadata: { name: 'metrics' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/metrics', '/logs/*'] }] },
  ],
  clusterRoleBindings: [
    { metadata: { name: 'bob-nodes' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'node-reader' }, subjects: [{ kind: 'Group', name: 'system:authenticated' }] },
    { metadata: { name: 'bob-metrics' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'metrics' }, subjects: [{ kind: 'User', name: 'bob' }] },
  ],
});
const rbac = new RbacAuthorizer(lister);

describe('RbacAuthorizer', () => {
  test('allows through a RoleBinding and says which one', () => {
    assert.deepEqual(rbac.authorize(listPods(bob)), {
      decision: 'allow',
      reason: 'RBAC: allowed by RoleBinding "bob-reads/default" of Role "pod-reader" to User "bob"',
    });
  });

  test('a ServiceAccount subject without namespace means the binding namespace', () => {
    const r = rbac.authorize(listPods(sa));
    assert.equal(r.decision, 'allow');
    assert.match(r.reason, /to ServiceAccount "builder\/default"$/);
    assert.equal(rbac.authorize(listPods(sa, 'other')).decision, 'no-opinion');
  });

  test('subresources, resource names and verbs must match', () => {
    assert.equal(rbac.authorize({ ...listPods(bob), verb: 'get', subresource: 'log', name: 'web' }).decision, 'allow');
    assert.equal(rbac.authorize({ ...listPods(bob), verb: 'get', subresource: 'exec', name: 'web' }).decision, 'no-opinion');
    assert.equal(rbac.authorize({ ...listPods(bob), verb: 'delete' }).decision, 'no-opinion');
    const node = (name: string): Attributes => ({ user: bob, verb: 'get', resourceRequest: true, apiGroup: '', resource: 'nodes', name });
    assert.equal(rbac.authorize(node('n1')).decision, 'allow');
    assert.equal(rbac.authorize(node('n2')).decision, 'no-opinion');
  });

  test('non-resource URLs, with a trailing * as prefix', () => {
    const get = (path: string): Attributes => ({ user: bob, verb: 'get', resourceRequest: false, path });
    assert.equal(rbac.authorize(get('/metrics')).decision, 'allow');
    assert.equal(rbac.authorize(get('/logs/kube.log')).decision, 'allow');
    assert.equal(rbac.authorize(get('/metricsx')).decision, 'no-opinion');
  });

  test('a binding to a missing role is the denial reason', () => {
    assert.deepEqual(rbac.authorize(listPods(bob, 'broken')), {
      decision: 'no-opinion',
      reason: 'RBAC: role.rbac.authorization.k8s.io "x" not found',
    });
  });

  test('system:masters is allowed by the privileged-group authorizer before RBAC', () => {
    const chain = unionAuthorizer([privilegedGroupAuthorizer, rbac]);
    const admin: UserInfo = { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] };
    assert.deepEqual(chain.authorize({ ...listPods(admin), verb: 'deletecollection' }), { decision: 'allow', reason: '' });
    assert.equal(chain.authorize({ ...listPods(bob), verb: 'delete' }).decision, 'no-opinion');
  });
});

describe('forbidden messages', () => {
  test('namespaced, cluster-scoped and non-resource texts', () => {
    assert.equal(forbiddenMessage(listPods(bob)), 'User "bob" cannot list resource "pods" in API group "" in the namespace "default"');
    assert.equal(
      forbiddenMessage({ user: bob, verb: 'get', resourceRequest: true, apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: '' }),
      'User "bob" cannot get resource "deployments/scale" in API group "apps" at the cluster scope',
    );
    assert.equal(forbiddenMessage({ user: bob, verb: 'get', resourceRequest: false, path: '/metrics' }), 'User "bob" cannot get path "/metrics"');
  });

  test('the Status kubectl prints: resource, name and the RBAC reason', () => {
    const err = forbiddenError({ ...listPods(bob), verb: 'get', name: 'web' }, 'RBAC: role.rbac.authorization.k8s.io "x" not found');
    assert.equal(err.code, 403);
    assert.equal(err.reason, 'Forbidden');
    assert.equal(err.message, 'pods "web" is forbidden: User "bob" cannot get resource "pods" in API group "" in the namespace "default": RBAC: role.rbac.authorization.k8s.io "x" not found');
    assert.deepEqual(err.details, { kind: 'pods', name: 'web' }, 'the core group is omitted, as Kubernetes omits an empty group');
    const list = forbiddenError({ user: bob, verb: 'list', resourceRequest: true, apiGroup: 'apps', resource: 'deployments', namespace: '' }, '');
    assert.equal(list.message, 'deployments.apps is forbidden: User "bob" cannot list resource "deployments" in API group "apps" at the cluster scope');
    const path = forbiddenError({ user: bob, verb: 'get', resourceRequest: false, path: '/x' }, '');
    assert.equal(path.message, 'forbidden: User "bob" cannot get path "/x"');
  });
});
