import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject, ResourceDefinition } from '../../types.ts';
import { create } from '../test-helpers.ts';
import { reviewResources } from './reviews.ts';

const byPlural = (plural: string): ResourceDefinition => reviewResources().find((d) => d.plural === plural)!;

test('reviews are create-only virtual kinds', () => {
  for (const d of reviewResources()) {
    assert.deepEqual(d.verbs, ['create']);
    assert.equal(d.virtual, true);
  }
  assert.equal(byPlural('localsubjectaccessreviews').namespaced, true);
  assert.equal(byPlural('tokenreviews').schema, 'io.k8s.api.authentication.v1.TokenReview');
});

test('what `kubectl auth can-i get pods` sends is a valid self subject access review', () => {
  const ssar: KObject = { metadata: { creationTimestamp: null } as never, spec: { resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' } } };
  assert.deepEqual(create(byPlural('selfsubjectaccessreviews').strategy, ssar).errors, []);
  assert.deepEqual(create(byPlural('selfsubjectaccessreviews').strategy, { metadata: {}, spec: {} }).errors, [
    'spec.resourceAttributes: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified',
  ]);
});

test('subject access reviews need a subject, and carry no metadata', () => {
  const sar: KObject = { metadata: { name: 'x' }, spec: { nonResourceAttributes: { path: '/healthz', verb: 'get' } } };
  assert.deepEqual(create(byPlural('subjectaccessreviews').strategy, sar).errors, [
    'spec.user: Invalid value: "": at least one of user or group must be specified',
    'metadata: Invalid value: {"name":"x"}: must be empty',
  ]);
});

test('local reviews must ask about their own namespace', () => {
  const lsar: KObject = { metadata: { namespace: 'team-a' }, spec: { user: 'jane', resourceAttributes: { namespace: 'team-b', verb: 'list', resource: 'pods' } } };
  assert.deepEqual(create(byPlural('localsubjectaccessreviews').strategy, lsar).errors, [
    'spec.resourceAttributes.namespace: Invalid value: "team-b": must match metadata.namespace',
  ]);
});

test('selector attributes need requirements or a raw selector', () => {
  const ssar: KObject = { metadata: {}, spec: { resourceAttributes: { verb: 'list', resource: 'pods', labelSelector: {} } } };
  assert.deepEqual(create(byPlural('selfsubjectaccessreviews').strategy, ssar).errors, [
    'spec.resourceAttributes.labelSelector.requirements: Required value: when spec.resourceAttributes.labelSelector is specified, requirements or rawSelector is required',
  ]);
});
