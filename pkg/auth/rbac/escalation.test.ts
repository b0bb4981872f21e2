import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { UserInfo } from '../../api/types.ts';
import { aggregateClusterRoles, aggregatedRules, labelSelectorMatches } from './aggregation.ts';
import { RbacAuthorizer } from './authorizer.ts';
import { checkBindingWrite, checkRoleWrite, onlyGarbageCollectionFieldsChanged } from './escalation.ts';
import { compactRules, compactString, covers } from './rules.ts';
import { memoryLister } from './testlister.ts';
import type { ClusterRole } from './types.ts';

const alice: UserInfo = { username: 'alice', groups: ['devs', 'system:authenticated'] };
const ref = (kind: string, name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind, name });
const lister = memoryLister({
  roles: [{ metadata: { namespace: 'team', name: 'reader' }, rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }] }],
  clusterRoles: [
    { metadata: { name: 'pods-rw' }, rules: [{ verbs: ['get', 'list', 'create'], apiGroups: [''], resources: ['pods', 'pods/log'] }] },
    { metadata: { name: 'binder' }, rules: [{ verbs: ['bind'], apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], resourceNames: ['secrets-admin'] }] },
    { metadata: { name: 'secrets-admin' }, rules: [{ verbs: ['*'], apiGroups: [''], resources: ['secrets'] }] },
  ],
  roleBindings: [{ metadata: { namespace: 'team', name: 'alice-pods' }, roleRef: ref('ClusterRole', 'pods-rw'), subjects: [{ kind: 'User', name: 'alice' }] }],
  clusterRoleBindings: [{ metadata: { name: 'alice-binder' }, roleRef: ref('ClusterRole', 'binder'), subjects: [{ kind: 'Group', name: 'devs' }] }],
});
const rbac = new RbacAuthorizer(lister);

describe('covers', () => {
  test('a */subresource owner covers any resource of that subresource; names need a superset', () => {
    assert.equal(covers([{ verbs: ['get'], apiGroups: [''], resources: ['*/log'] }], [{ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }]).covered, true);
    const r = covers([{ verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] }], [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]);
    assert.equal(r.covered, false);
    assert.deepEqual(r.missing, [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]);
  });

  test('missing rules print compacted, verbs merged per group and resource', () => {
    const { missing } = covers([], [{ verbs: ['get', 'list'], apiGroups: ['apps'], resources: ['deployments'] }, { verbs: ['get'], nonResourceURLs: ['/x'] }]);
    assert.deepEqual(compactRules(missing).map(compactString), ['{NonResourceURLs:["/x"], Verbs:["get"]}', '{APIGroups:["apps"], Resources:["deployments"], Verbs:["get" "list"]}']);
  });
});

describe('checkRoleWrite', () => {
  test('granting what one holds is fine; more is Forbidden with the missing rules', () => {
    const write = { user: alice, kind: 'Role' as const, namespace: 'team', name: 'r', requestName: '' };
    assert.equal(checkRoleWrite(rbac, rbac.resolver, { ...write, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] }), undefined);
    const err = checkRoleWrite(rbac, rbac.resolver, { ...write, rules: [{ verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods', 'secrets'] }] });
    assert.equal(err?.code, 403);
    assert.equal(
      err?.message,
      'roles.rbac.authorization.k8s.io "r" is forbidden: user "alice" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
        '{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}\n{APIGroups:[""], Resources:["secrets"], Verbs:["get" "delete"]}',
    );
    assert.deepEqual(err?.details, { group: 'rbac.authorization.k8s.io', kind: 'roles', name: 'r' });
  });

  test('system:masters and holders of escalate may write anything', () => {
    const rules = [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }];
    const admin: UserInfo = { username: 'root', groups: ['system:masters'] };
    assert.equal(checkRoleWrite(rbac, rbac.resolver, { user: admin, kind: 'ClusterRole', namespace: '', name: 'x', requestName: '', rules }), undefined);
    const escalator = new RbacAuthorizer(
      memoryLister({
        clusterRoles: [{ metadata: { name: 'esc' }, rules: [{ verbs: ['escalate'], apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'] }] }],
        clusterRoleBindings: [{ metadata: { name: 'esc' }, roleRef: ref('ClusterRole', 'esc'), subjects: [{ kind: 'User', name: 'alice' }] }],
      }),
    );
    assert.equal(checkRoleWrite(escalator, escalator.resolver, { user: alice, kind: 'ClusterRole', namespace: '', name: 'x', requestName: '', rules }), undefined);
  });

  test('an aggregationRule needs full authority', () => {
    const err = checkRoleWrite(rbac, rbac.resolver, {
      user: alice, kind: 'ClusterRole', namespace: '', name: 'agg', requestName: '', rules: [],
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { a: 'b' } }] },
    });
    assert.equal(err?.message, 'clusterroles.rbac.authorization.k8s.io "agg" is forbidden: must have cluster-admin privileges to use the aggregationRule');
  });
});

describe('checkBindingWrite', () => {
  test('binding a role whose rules one holds is fine', () => {
    assert.equal(checkBindingWrite(rbac, rbac.resolver, { user: alice, kind: 'RoleBinding', namespace: 'team', name: 'b', roleRef: ref('Role', 'reader') }), undefined);
  });

  test('the bind verb on the referenced role allows binding more than one holds', () => {
    assert.equal(checkBindingWrite(rbac, rbac.resolver, { user: alice, kind: 'ClusterRoleBinding', namespace: '', name: 'b', roleRef: ref('ClusterRole', 'secrets-admin') }), undefined);
  });

  test('otherwise Forbidden; a missing role is the reason', () => {
    const missing = checkBindingWrite(rbac, rbac.resolver, { user: alice, kind: 'RoleBinding', namespace: 'team', name: 'b', roleRef: ref('Role', 'nope') });
    assert.equal(missing?.message, 'rolebindings.rbac.authorization.k8s.io "b" is forbidden: role.rbac.authorization.k8s.io "nope" not found');
    const carol: UserInfo = { username: 'carol', groups: ['system:authenticated'] };
    const escalating = checkBindingWrite(rbac, rbac.resolver, { user: carol, kind: 'RoleBinding', namespace: 'team', name: 'b', roleRef: ref('ClusterRole', 'secrets-admin') });
    assert.equal(
      escalating?.message,
      'rolebindings.rbac.authorization.k8s.io "b" is forbidden: user "carol" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["secrets"], Verbs:["*"]}',
    );
  });

  test('garbage-collector updates (owner references, finalizers) skip the check', () => {
    const old = { metadata: { name: 'b', resourceVersion: '1' }, roleRef: ref('Role', 'r') };
    assert.equal(onlyGarbageCollectionFieldsChanged({ ...old, metadata: { ...old.metadata, finalizers: ['x'] } }, old), true);
    assert.equal(onlyGarbageCollectionFieldsChanged({ ...old, roleRef: ref('Role', 'other') }, old), false);
  });
});

describe('aggregation', () => {
  const label = (k: string) => ({ [`rbac.authorization.k8s.io/aggregate-to-${k}`]: 'true' });
  const roles: ClusterRole[] = [
    { metadata: { name: 'admin' }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: label('admin') }] } },
    { metadata: { name: 'edit', labels: label('admin') }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: label('edit') }] } },
    { metadata: { name: 'view', labels: label('edit') }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: label('view') }] } },
    { metadata: { name: 'z-view-pods', labels: label('view') }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] },
    { metadata: { name: 'a-view-pods-too', labels: label('view') }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, { verbs: ['list'], apiGroups: [''], resources: ['pods'] }] },
  ];

  test('rules of selected roles in name order, each once', () => {
    assert.deepEqual(aggregatedRules(roles[2]!, roles), [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, { verbs: ['list'], apiGroups: [''], resources: ['pods'] }]);
    assert.equal(aggregatedRules(roles[3]!, roles), undefined);
  });

  test('a fixed point carries view into edit into admin', () => {
    const changed = aggregateClusterRoles(roles);
    assert.deepEqual(changed.map((r) => r.metadata.name).sort(), ['admin', 'edit', 'view']);
    assert.equal(changed.find((r) => r.metadata.name === 'admin')?.rules?.length, 2);
  });

  test('label selector expressions', () => {
    assert.equal(labelSelectorMatches({ matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '2'] }] }, { a: '2' }), true);
    assert.equal(labelSelectorMatches({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['2'] }] }, { a: '2' }), false);
    assert.equal(labelSelectorMatches({ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, {}), true);
    assert.equal(labelSelectorMatches({}, { any: 'thing' }), true);
  });
});
