import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../errors.ts';
import { decodeContinue, encodeContinue } from './continue.ts';

const PREFIX = '/registry/pods/default/';

const token = (body: unknown): string => Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)).toString('base64url');

function refusal(t: string, prefix = PREFIX): string {
  try {
    decodeContinue(t, prefix);
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.code, 400);
    assert.equal(err.reason, 'BadRequest');
    return err.message;
  }
  assert.fail(`token ${t} was accepted`);
}

describe('continue tokens', () => {
  it('round-trip the next key and revision', () => {
    const t = encodeContinue(`${PREFIX}web-1\u0000`, PREFIX, 42);
    assert.deepEqual(decodeContinue(t, PREFIX), { start: `${PREFIX}web-1\u0000`, revision: 42 });
  });

  it('are unpadded base64url of Kubernetes JSON, relative to the prefix', () => {
    const t = encodeContinue(`${PREFIX}a\u0000`, PREFIX, 7);
    assert.match(t, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(JSON.parse(Buffer.from(t, 'base64url').toString()), { v: 'meta.k8s.io/v1', rv: 7, start: 'a\u0000' });
  });

  it('decode tokens Kubernetes wrote (start may be absolute or contain ..)', () => {
    assert.deepEqual(decodeContinue(token({ v: 'meta.k8s.io/v1', rv: 5, start: 'a..b' }), PREFIX), { start: `${PREFIX}a..b`, revision: 5 });
    assert.deepEqual(decodeContinue(token({ v: 'meta.k8s.io/v1', rv: 5, start: '/x' }), PREFIX), { start: `${PREFIX}x`, revision: 5 });
  });

  it('with a negative rv ask for the latest state', () => {
    assert.deepEqual(decodeContinue(token({ v: 'meta.k8s.io/v1', rv: -1, start: 'x' }), PREFIX), { start: `${PREFIX}x`, revision: undefined });
  });

  it('refuse bad base64, naming the byte', () => {
    assert.equal(refusal('abc$def'), 'invalid continue token: continue key is not valid: illegal base64 data at input byte 3');
    assert.equal(refusal('abcd='), 'invalid continue token: continue key is not valid: illegal base64 data at input byte 4');
    assert.equal(refusal('abcde'), 'invalid continue token: continue key is not valid: illegal base64 data at input byte 4');
  });

  it('refuse what is not a token object', () => {
    assert.equal(refusal(token('not json')), "invalid continue token: continue key is not valid: invalid character 'o' in literal null (expecting 'u')");
    assert.equal(refusal('garbage'), "invalid continue token: continue key is not valid: invalid character '\\u0081' looking for beginning of value");
    assert.match(refusal(token([1])), /cannot unmarshal array/);
    assert.match(refusal(token({ v: 'meta.k8s.io/v1', rv: '5', start: 'x' })), /cannot unmarshal string into Go struct field continueToken.rv of type int64/);
    assert.match(refusal(token({ v: 'meta.k8s.io/v1', rv: 1.5, start: 'x' })), /cannot unmarshal number 1.5/);
  });

  it('refuse other versions, rv 0 and an empty start', () => {
    assert.equal(refusal(token({ v: 'meta.k8s.io/v2', rv: 5, start: 'x' })), 'invalid continue token: continue key is not valid: server does not recognize this encoded version meta.k8s.io/v2');
    assert.equal(refusal(token(null)), 'invalid continue token: continue key is not valid: server does not recognize this encoded version ');
    assert.equal(refusal(token({ v: 'meta.k8s.io/v1', rv: 0, start: 'x' })), 'invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
    assert.equal(refusal(token({ v: 'meta.k8s.io/v1', start: 'x' })), 'invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
    assert.equal(refusal(token({ v: 'meta.k8s.io/v1', rv: 5, start: '' })), 'invalid continue token: continue key is not valid: encoded start key empty (version meta.k8s.io/v1)');
  });

  it('refuse a start that climbs out of the prefix or is not a clean path', () => {
    for (const start of ['../kube-system/x', '../../secrets/kube-system/token', 'a/../../b', '/../x', '..', '.', 'a//b', 'a/', 'a/./b']) {
      assert.equal(refusal(token({ v: 'meta.k8s.io/v1', rv: 5, start })), `invalid continue token: continue key is not valid: ${start}`, start);
    }
  });

  it('cannot be encoded for a key outside the prefix', () => {
    assert.throws(() => encodeContinue('/registry/secrets/default/x', PREFIX, 5), (err: unknown) => err instanceof ApiError && err.code === 500);
  });
});
