import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import { applyPatchBody, checkPatchedIdentity, decodeApplyBody } from './body.ts';
import { patchKindFor } from './content-type.ts';
import { validatePatchOptions } from './options.ts';
import { fakeResolver } from './testing/fake-schemas.ts';

const live = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default', uid: 'u1' }, data: { a: '1' } };
const fails = (fn: () => unknown, code: number, message: string) =>
  assert.throws(fn, (e: unknown) => e instanceof ApiError && e.code === code && e.message === message);

test('content types map to patch kinds; CBOR apply and strategic merge for custom resources are 415', () => {
  assert.equal(patchKindFor('application/merge-patch+json; charset=utf-8'), 'merge');
  assert.equal(patchKindFor('application/apply-patch+yaml'), 'apply');
  fails(() => patchKindFor('application/apply-patch+cbor'), 415,
    'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml');
  fails(() => patchKindFor('application/strategic-merge-patch+json', false), 415,
    'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
});

test('patch options are validated as PatchOptions.meta.k8s.io', () => {
  fails(() => validatePatchOptions({}, 'apply'), 422, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
  fails(() => validatePatchOptions({ force: true }, 'merge'), 422, 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
  assert.doesNotThrow(() => validatePatchOptions({ fieldManager: 'kubectl', force: true }, 'apply'));
});

test('bodies: bad JSON is 400, a JSON patch that does not apply is the generic 422, too many operations 413', () => {
  fails(() => applyPatchBody('merge', live, '{', 'ConfigMap', fakeResolver), 400, 'Invalid JSON Patch');
  fails(() => applyPatchBody('json', live, '{"op":"add"}', 'ConfigMap', fakeResolver), 400, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  fails(() => applyPatchBody('json', live, '[{"op":"test","path":"/data/a","value":"2"}]', 'ConfigMap', fakeResolver), 422, 'the server rejected our request due to an error in our request');
  const many = JSON.stringify(Array.from({ length: 10001 }, () => ({ op: 'test', path: '/kind', value: 'ConfigMap' })));
  fails(() => applyPatchBody('json', live, many, 'ConfigMap', fakeResolver), 413, 'Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001');
  fails(() => applyPatchBody('strategic', live, '[]', 'ConfigMap', fakeResolver), 400, 'json: cannot unmarshal array into Go value of type map[string]interface {}');
  assert.deepEqual(applyPatchBody('merge', live, '{"data":{"a":null,"b":"2"}}', 'ConfigMap', fakeResolver).data, { b: '2' });
  fails(() => decodeApplyBody('- a'), 400, 'error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}');
});

test('a patch may not rename, move or re-identify the object', () => {
  const target = { resource: { group: '', resource: 'configmaps' }, kind: 'ConfigMap', name: 'c', namespace: 'default' };
  fails(() => checkPatchedIdentity({ ...live, metadata: { ...live.metadata, name: 'd' } }, live, target), 400, 'the name of the object (d) does not match the name on the URL (c)');
  fails(() => checkPatchedIdentity({ ...live, metadata: { ...live.metadata, namespace: 'x' } }, live, target), 400, 'the namespace of the provided object does not match the namespace sent on the request');
  fails(() => checkPatchedIdentity({ ...live, metadata: { ...live.metadata, uid: 'u2' } }, live, target), 422, 'ConfigMap "c" is invalid: metadata.uid: Invalid value: "u2": field is immutable');
  const filled = { ...live, metadata: { name: 'c' } };
  checkPatchedIdentity(filled, live, target);
  assert.equal((filled.metadata as { namespace?: string }).namespace, 'default');
});
