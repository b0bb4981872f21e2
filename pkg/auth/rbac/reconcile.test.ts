import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AUTOUPDATE_ANNOTATION } from './bootstrap.ts';
import { reconcileBinding, reconcileRole } from './reconcile.ts';

const read = { apiGroups: [''], resources: ['endpoints'], verbs: ['get', 'list', 'watch'] };
const pods = { apiGroups: [''], resources: ['pods'], verbs: ['get'] };
const custom = { apiGroups: ['example.com'], resources: ['widgets'], verbs: ['*'] };

test('a role a newer release grants more gets the missing rule; what the administrator added stays', () => {
  const stored = { metadata: { name: 'system:tsk-simulator' }, rules: [pods, custom] };
  const updated = reconcileRole(stored, { metadata: {}, rules: [pods, read] });
  assert.deepEqual(updated?.rules, [pods, custom, read]);
  assert.deepEqual(stored.rules, [pods, custom], 'the stored object is not changed in place');
  assert.equal(reconcileRole(updated!, { metadata: {}, rules: [pods, read] }), undefined, 'nothing missing → no write');
});

test('autoupdate "false" leaves a role and a binding as the administrator made them', () => {
  const annotations = { [AUTOUPDATE_ANNOTATION]: 'false' };
  assert.equal(reconcileRole({ metadata: { annotations }, rules: [] }, { metadata: {}, rules: [read] }), undefined);
  assert.equal(reconcileBinding({ metadata: { annotations }, roleRef: { name: 'r' }, subjects: [] }, { metadata: {}, roleRef: { name: 'r' }, subjects: [{ kind: 'Group', name: 'system:nodes' }] }), undefined);
});

test('aggregated roles get missing selectors, never rules (those are the aggregation controller\'s)', () => {
  const sel = { matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } };
  const more = { matchLabels: { 'example/aggregate': 'true' } };
  const stored = { metadata: {}, aggregationRule: { clusterRoleSelectors: [sel] }, rules: [custom] };
  const updated = reconcileRole(stored, { metadata: {}, aggregationRule: { clusterRoleSelectors: [sel, more] }, rules: [] });
  assert.deepEqual(updated?.aggregationRule?.clusterRoleSelectors, [sel, more]);
  assert.deepEqual(updated?.rules, [custom]);
});

test('bindings get missing subjects, and one pointing at another role is left alone', () => {
  const roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:node' };
  const stored = { metadata: {}, roleRef, subjects: [{ kind: 'User', name: 'alice' }] };
  const expected = { metadata: {}, roleRef, subjects: [{ kind: 'Group', name: 'system:nodes', apiGroup: 'rbac.authorization.k8s.io' }] };
  assert.deepEqual(reconcileBinding(stored, expected)?.subjects, [{ kind: 'User', name: 'alice' }, { kind: 'Group', name: 'system:nodes', apiGroup: 'rbac.authorization.k8s.io' }]);
  assert.equal(reconcileBinding({ ...stored, roleRef: { ...roleRef, name: 'other' } }, expected), undefined);
});
