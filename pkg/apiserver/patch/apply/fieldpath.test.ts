import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldSet, pathString } from './fieldpath.ts';

// Golden FieldsV1 documents from structured-merge-diff's serializer tests: decoding and
// encoding again must give the same bytes (element order: f < k < v < i; values 1 < "aa" < true).
const golden = [
  String.raw`{"f:aaa":{},"f:aab":{},"f:aac":{},"f:aad":{},"f:aae":{},"f:aaf":{},"k:{\"name\":\"first\"}":{},"k:{\"name\":\"second\"}":{},"k:{\"port\":443,\"protocol\":\"tcp\"}":{},"k:{\"port\":443,\"protocol\":\"udp\"}":{},"v:1":{},"v:2":{},"v:3":{},"v:\"aa\"":{},"v:\"ab\"":{},"v:true":{},"i:1":{},"i:2":{},"i:3":{},"i:4":{}}`,
  String.raw`{"f:aaa":{"k:{\"name\":\"second\"}":{"v:3":{"f:aab":{}}},"v:3":{},"v:true":{}},"f:aab":{"f:aaa":{},"f:aaf":{"k:{\"port\":443,\"protocol\":\"udp\"}":{"k:{\"port\":443,\"protocol\":\"tcp\"}":{}}},"k:{\"name\":\"first\"}":{}},"i:4":{"v:\"aa\"":{"f:aab":{"k:{\"name\":\"second\"}":{}}}}}`,
];

test('FieldsV1 round trip is byte for byte', () => {
  for (const text of golden) {
    const set = FieldSet.fromFieldsV1(JSON.parse(text));
    assert.equal(JSON.stringify(set.toFieldsV1()), text);
  }
});

test('shuffled input comes out in canonical order, "." first for items that are members too', () => {
  const set = FieldSet.fromFieldsV1({ 'i:0': {}, 'v:"x"': {}, 'f:b': { 'f:z': {}, '.': {}, 'f:a': {} }, 'f:a': {} });
  assert.equal(JSON.stringify(set.toFieldsV1()), '{"f:a":{},"f:b":{".":{},"f:a":{},"f:z":{}},"v:\\"x\\"":{},"i:0":{}}');
  assert.equal(set.has([{ field: 'b' }]), true);
  assert.equal(set.has([{ field: 'b' }, { field: 'z' }]), true);
});

test('set algebra: difference keeps children of removed members, recursiveDifference drops them', () => {
  const s = FieldSet.of([{ field: 'status' }], [{ field: 'status' }, { field: 'phase' }], [{ field: 'spec' }, { field: 'x' }]);
  const status = FieldSet.of([{ field: 'status' }]);
  assert.deepEqual(s.difference(status).toFieldsV1(), { 'f:spec': { 'f:x': {} }, 'f:status': { 'f:phase': {} } });
  assert.deepEqual(s.recursiveDifference(status).toFieldsV1(), { 'f:spec': { 'f:x': {} } });
  assert.deepEqual(s.intersection(FieldSet.of([{ field: 'spec' }, { field: 'x' }])).toFieldsV1(), { 'f:spec': { 'f:x': {} } });
});

test('paths print as Kubernetes prints them in conflicts', () => {
  assert.equal(pathString([{ field: 'spec' }, { field: 'containers' }, { key: [['name', 'web']] }, { field: 'image' }]), '.spec.containers[name="web"].image');
  assert.equal(pathString([{ field: 'ports' }, { key: [['containerPort', 80], ['protocol', 'TCP']] }]), '.ports[containerPort=80,protocol="TCP"]');
  assert.equal(pathString([{ field: 'finalizers' }, { value: 'a' }, { index: 2 }]), '.finalizers[="a"][2]');
});
