import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorMessage } from '../../apiserver/errors.ts';
import {
  FieldPath,
  formatIP,
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  isValidPortName,
  labelSelectorMatches,
  nameIsDNSSubdomain,
  parseCIDR,
  parseIP,
  validateAnnotations,
  validateCIDR,
  validateFinalizers,
  validateIP,
  validateImmutableField,
  validateLabelSelector,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaUpdate,
  validateOwnerReferences,
} from './index.ts';

const messages = (errs: Parameters<typeof fieldErrorMessage>[0][]) => errs.map(fieldErrorMessage);

test('path builder writes paths as Kubernetes does', () => {
  const p = FieldPath.root().child('spec', 'containers').index(0).child('image');
  assert.equal(p.toString(), 'spec.containers[0].image');
  assert.equal(FieldPath.root('metadata').child('labels').key('app').toString(), 'metadata.labels[app]');
});

test('DNS names carry Kubernetes wording', () => {
  assert.deepEqual(isDNS1123Label('web-1'), []);
  assert.deepEqual(isDNS1123Label('a.b'), ['must not contain dots']);
  assert.deepEqual(isDNS1123Label('Web'), [
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  ]);
  assert.deepEqual(isDNS1123Label('a'.repeat(64)), ['must be no more than 63 characters']);
  assert.deepEqual(isDNS1123Subdomain('my.app'), []);
  assert.deepEqual(isDNS1123Subdomain('My_App'), [
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  ]);
  assert.deepEqual(nameIsDNSSubdomain('web-', true), []);
  assert.notDeepEqual(nameIsDNSSubdomain('web-', false), []);
});

test('qualified names and label values', () => {
  assert.deepEqual(isQualifiedName('app.kubernetes.io/name'), []);
  assert.deepEqual(isQualifiedName('/x'), ['prefix part must be non-empty']);
  assert.equal(isQualifiedName('a/b/c').length, 1);
  assert.match(isQualifiedName('a/b/c')[0]!, /^a qualified name must consist of .* with an optional DNS subdomain prefix and '\/' \(e\.g\. 'example\.com\/MyName'\)$/);
  assert.deepEqual(isQualifiedName('-x'), [
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
  ]);
  assert.deepEqual(isValidLabelValue(''), []);
  assert.equal(isValidLabelValue('a b').length, 1);
  assert.deepEqual(isConfigMapKey('..x'), ["must not start with '..'"]);
  assert.deepEqual(isValidPortName('http'), []);
  assert.deepEqual(isValidPortName('HTTP'), ['must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)', 'must contain at least one letter (a-z)']);
});

test('labels and annotations are reported at the map path', () => {
  const errs = validateLabels({ app: 'web', 'bad key': 'x', ok: '-bad' }, 'metadata.labels');
  assert.equal(errs.length, 2);
  assert.ok(errs.every((e) => e.field === 'metadata.labels'));
  assert.match(fieldErrorMessage(errs[1]!), /^metadata\.labels: Invalid value: "-bad": a valid label must be an empty string/);
  assert.deepEqual(validateAnnotations({ 'Example.com/Key': 'v' }, 'metadata.annotations'), []);
  assert.deepEqual(messages(validateAnnotations({ big: 'x'.repeat(262144) }, 'metadata.annotations')), [
    'metadata.annotations: Too long: may not be more than 262144 bytes',
  ]);
});

test('owner references and finalizers', () => {
  const refs = [
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'a', uid: '1', controller: true },
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'b', uid: '2', controller: true },
    { apiVersion: 'v1', kind: 'Event', name: 'c', uid: '' },
  ];
  const errs = validateOwnerReferences(refs, 'metadata.ownerReferences');
  const text = messages(errs).join('\n');
  assert.match(text, /Only one reference can have Controller set to true\. Found "true" in references for a and b/);
  assert.match(text, /metadata\.ownerReferences\.uid: Invalid value: "": must not be empty/);
  assert.match(text, /\/v1, Kind=Event is disallowed from being an owner/);
  assert.equal(validateFinalizers(['orphan', 'foregroundDeletion'], 'metadata.finalizers').length, 1);
  assert.deepEqual(validateFinalizers(['kubernetes.io/pvc-protection'], 'metadata.finalizers'), []);
});

test('object metadata on create and update', () => {
  assert.deepEqual(messages(validateObjectMeta({}, { name: nameIsDNSSubdomain, namespaced: true })), [
    'metadata.name: Required value: name or generateName is required',
    'metadata.namespace: Required value',
  ]);
  assert.deepEqual(messages(validateObjectMeta({ name: 'n', namespace: 'x' }, { namespaced: false })), ['metadata.namespace: Forbidden: not allowed on this type']);
  const old = { name: 'a', uid: 'u1', deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['x/a'] };
  assert.deepEqual(messages(validateObjectMetaUpdate({ ...old, name: 'b', finalizers: ['x/a', 'x/b'] }, old)), [
    'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"x/b"}',
    'metadata.name: Invalid value: "b": field is immutable',
  ]);
});

test('label selectors: validation and matching', () => {
  const errs = validateLabelSelector(
    { matchExpressions: [{ key: 'a', operator: 'In' }, { key: 'b', operator: 'Exists', values: ['x'] }, { key: 'c', operator: 'Near' }] },
    'spec.selector',
  );
  assert.deepEqual(messages(errs), [
    "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
    'spec.selector.matchExpressions[2].operator: Invalid value: "Near": not a valid selector operator',
  ]);
  const sel = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] };
  assert.equal(labelSelectorMatches(sel, { app: 'web', tier: 'fe' }), true);
  assert.equal(labelSelectorMatches(sel, { app: 'web', tier: 'db' }), false);
  assert.equal(labelSelectorMatches({}, {}), true);
  assert.equal(labelSelectorMatches(undefined, { app: 'web' }), false);
});

test('IPs and CIDRs', () => {
  assert.deepEqual(validateIP('10.43.0.1', 'x'), []);
  assert.deepEqual(messages(validateIP('10.43.0', 'spec.clusterIP')), ['spec.clusterIP: Invalid value: "10.43.0": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']);
  assert.deepEqual(messages(validateCIDR('10.0.0.0/33', 'spec.podCIDR')), ['spec.podCIDR: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)']);
  assert.equal(formatIP(parseIP('2001:db8:0:0:0:0:0:1')!), '2001:db8::1');
  const cidr = parseCIDR('10.43.7.9/16')!;
  assert.equal(formatIP({ family: 4, value: cidr.first }), '10.43.0.0');
  assert.equal(formatIP({ family: 4, value: cidr.last }), '10.43.255.255');
  assert.equal(parseIP('1:2:3:4:5:6:7:8:9'), undefined);
  assert.equal(parseIP('256.1.1.1'), undefined);
});

test('immutable fields compare structurally', () => {
  assert.deepEqual(validateImmutableField({ a: 1, b: [1] }, { b: [1], a: 1 }, 'spec.selector'), []);
  assert.deepEqual(messages(validateImmutableField('10.0.0.2', '10.0.0.1', 'spec.clusterIP')), ['spec.clusterIP: Invalid value: "10.0.0.2": field is immutable']);
});
