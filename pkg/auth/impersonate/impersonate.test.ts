import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { UserInfo } from '../../api/types.ts';
import { ApiError } from '../../apiserver/errors.ts';
import type { Attributes, Authorizer } from '../rbac/types.ts';
import { impersonate, parseImpersonation } from './impersonate.ts';

const alice: UserInfo = { username: 'alice', groups: ['system:authenticated'] };
/** Allows impersonating users and groups, plus the service accounts of namespace "ci". */
const authorizer: Authorizer = {
  authorize: (a: Attributes) =>
    a.resource === 'users' || a.resource === 'groups' || (a.resource === 'serviceaccounts' && a.namespace === 'ci') || (a.resource === 'userextras' && a.subresource === 'scopes')
      ? { decision: 'allow', reason: '' }
      : { decision: 'no-opinion', reason: '' },
};

describe('parseImpersonation', () => {
  test('no headers, no impersonation', () => {
    assert.equal(parseImpersonation({ accept: 'application/json' }), undefined);
  });

  test('user and repeated groups: one check each, system:authenticated added', () => {
    const r = parseImpersonation({ 'impersonate-user': 'bob', 'impersonate-group': ['devs', 'ops'] })!;
    assert.deepEqual(r.user, { username: 'bob', groups: ['devs', 'ops', 'system:authenticated'], extra: {} });
    assert.deepEqual(r.checks, [
      { verb: 'impersonate', resourceRequest: true, apiGroup: '', resource: 'users', name: 'bob' },
      { verb: 'impersonate', resourceRequest: true, apiGroup: '', resource: 'groups', name: 'devs' },
      { verb: 'impersonate', resourceRequest: true, apiGroup: '', resource: 'groups', name: 'ops' },
    ]);
  });

  test('a service-account username implies its groups and checks serviceaccounts in its namespace', () => {
    const r = parseImpersonation({ 'impersonate-user': 'system:serviceaccount:ci:builder' })!;
    assert.deepEqual(r.user.groups, ['system:serviceaccounts', 'system:serviceaccounts:ci', 'system:authenticated']);
    assert.deepEqual(r.checks, [{ verb: 'impersonate', resourceRequest: true, apiGroup: '', resource: 'serviceaccounts', namespace: 'ci', name: 'builder' }]);
  });

  test('extras (keys unescaped, lower-cased) and uid', () => {
    const r = parseImpersonation({ 'impersonate-user': 'bob', 'impersonate-extra-acme.com%2fproject': ['a', 'b'], 'impersonate-uid': 'u-1' })!;
    assert.deepEqual(r.user, { username: 'bob', uid: 'u-1', groups: ['system:authenticated'], extra: { 'acme.com/project': ['a', 'b'] } });
    assert.deepEqual(r.checks.slice(1), [
      { verb: 'impersonate', resourceRequest: true, apiGroup: 'authentication.k8s.io', resource: 'userextras', subresource: 'acme.com/project', name: 'a' },
      { verb: 'impersonate', resourceRequest: true, apiGroup: 'authentication.k8s.io', resource: 'userextras', subresource: 'acme.com/project', name: 'b' },
      { verb: 'impersonate', resourceRequest: true, apiGroup: 'authentication.k8s.io', resource: 'uids', name: 'u-1' },
    ]);
  });

  test('anonymous gets system:unauthenticated; explicit system:unauthenticated suppresses system:authenticated', () => {
    assert.deepEqual(parseImpersonation({ 'impersonate-user': 'system:anonymous' })!.user.groups, ['system:unauthenticated']);
    assert.deepEqual(parseImpersonation({ 'impersonate-user': 'x', 'impersonate-group': 'system:unauthenticated' })!.user.groups, ['system:unauthenticated']);
  });

  test('groups without a user is a 400 with Go’s rendering of the requests', () => {
    assert.throws(
      () => parseImpersonation({ 'impersonate-group': 'system:masters' }),
      (e: unknown) => e instanceof ApiError && e.code === 400 && e.message === 'requested [{Group  system:masters    }] without impersonating a user',
    );
  });
});

describe('impersonate', () => {
  test('allowed: the request acts as the impersonated user', () => {
    assert.deepEqual(impersonate(alice, { 'impersonate-user': 'bob', 'impersonate-extra-scopes': 'view' }, authorizer), {
      username: 'bob',
      groups: ['system:authenticated'],
      extra: { scopes: ['view'] },
    });
    assert.equal(impersonate(alice, {}, authorizer), alice);
  });

  test('refused: 403 naming what could not be impersonated', () => {
    const err = impersonate(alice, { 'impersonate-user': 'system:serviceaccount:kube-system:admin' }, authorizer);
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 403);
    assert.equal(err.message, 'serviceaccounts "admin" is forbidden: User "alice" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "kube-system"');
    const uid = impersonate(alice, { 'impersonate-user': 'bob', 'impersonate-uid': 'u-1' }, authorizer);
    assert.equal((uid as ApiError).message, 'uids.authentication.k8s.io "u-1" is forbidden: User "alice" cannot impersonate resource "uids" in API group "authentication.k8s.io" at the cluster scope');
  });
});
