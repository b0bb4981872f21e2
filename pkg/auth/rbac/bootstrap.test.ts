import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { UserInfo } from '../../api/types.ts';
import { RbacAuthorizer } from './authorizer.ts';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles, bootstrapRoleBindings, bootstrapRoles } from './bootstrap.ts';
import { memoryLister } from './testlister.ts';
import type { Attributes } from './types.ts';

const clusterRoles = bootstrapClusterRoles();
const clusterRoleBindings = bootstrapClusterRoleBindings();
const roles = bootstrapRoles();
const roleBindings = bootstrapRoleBindings();

describe('bootstrap policy', () => {
  test('names are unique; every binding points at a role of the policy', () => {
    const names = clusterRoles.map((r) => r.metadata.name);
    assert.equal(new Set(names).size, names.length);
    for (const b of clusterRoleBindings) assert.ok(names.includes(b.roleRef.name), b.metadata.name);
    for (const b of roleBindings) assert.ok(roles.some((r) => r.metadata.name === b.roleRef.name && r.metadata.namespace === b.metadata.namespace), b.metadata.name);
    for (const name of ['cluster-admin', 'admin', 'edit', 'view', 'system:basic-user', 'system:discovery', 'system:public-info-viewer', 'system:node', 'system:kube-scheduler', 'system:controller:deployment-controller']) {
      assert.ok(names.includes(name), name);
    }
  });

  test('every object is labelled rbac-defaults and marked autoupdate', () => {
    for (const o of [...clusterRoles, ...clusterRoleBindings, ...roles, ...roleBindings]) {
      assert.equal(o.metadata.labels?.['kubernetes.io/bootstrapping'], 'rbac-defaults', o.metadata.name);
      assert.equal(o.metadata.annotations?.['rbac.authorization.kubernetes.io/autoupdate'], 'true', o.metadata.name);
    }
  });

  const admin = new RbacAuthorizer(
    memoryLister({
      clusterRoles,
      clusterRoleBindings: [
        ...clusterRoleBindings,
        ...(['admin', 'edit', 'view'] as const).map((r) => ({ metadata: { name: `${r}-user` }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: r }, subjects: [{ kind: 'User', name: r }] })),
      ],
    }),
  );
  const can = (username: string, verb: string, resource: string, apiGroup = '', namespace = 'default'): boolean =>
    admin.authorize({ user: { username, groups: ['system:authenticated'] }, verb, resourceRequest: true, apiGroup, resource, namespace }).decision === 'allow';

  test('admin, edit and view hold their aggregated rules', () => {
    assert.equal(can('view', 'list', 'pods'), true);
    assert.equal(can('view', 'get', 'secrets'), false);
    assert.equal(can('edit', 'create', 'secrets'), true);
    assert.equal(can('edit', 'create', 'deployments', 'apps'), true);
    assert.equal(can('edit', 'create', 'rolebindings', 'rbac.authorization.k8s.io'), false);
    assert.equal(can('admin', 'create', 'rolebindings', 'rbac.authorization.k8s.io'), true);
    assert.equal(can('admin', 'delete', 'pods'), true);
  });

  test('anonymous reads health and version only; authenticated users discover and self-review', () => {
    const anonymous: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };
    const bob: UserInfo = { username: 'bob', groups: ['system:authenticated'] };
    const get = (user: UserInfo, path: string): Attributes => ({ user, verb: 'get', resourceRequest: false, path });
    assert.equal(admin.authorize(get(anonymous, '/version')).decision, 'allow');
    assert.equal(admin.authorize(get(anonymous, '/readyz')).decision, 'allow');
    assert.equal(admin.authorize(get(anonymous, '/api')).decision, 'no-opinion');
    assert.equal(admin.authorize(get(bob, '/apis/apps/v1')).decision, 'allow');
    assert.equal(can('bob', 'create', 'selfsubjectaccessreviews', 'authorization.k8s.io', ''), true);
    assert.equal(can('bob', 'create', 'selfsubjectreviews', 'authentication.k8s.io', ''), true);
    assert.equal(can('bob', 'list', 'pods'), false);
  });
});
