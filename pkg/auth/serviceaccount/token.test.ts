import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { parseJwt } from './jwt.ts';
import { ensureServiceAccountKey, serviceAccountKeyFromPem } from './key.ts';
import { DEFAULT_ISSUER, issueToken, validateToken, type TokenObjectGetter } from './token.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-sa-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const key = ensureServiceAccountKey(dir);
const now = new Date('2025-03-01T12:00:00Z');
const obj = (name: string, uid: string, extra: Partial<KObject['metadata']> = {}): KObject => ({ metadata: { name, uid, ...extra } });

function getter(objs: { sa?: KObject[]; pods?: KObject[]; secrets?: KObject[]; nodes?: KObject[] }): TokenObjectGetter {
  return {
    getServiceAccount: (_ns, name) => objs.sa?.find((o) => o.metadata.name === name),
    getPod: (_ns, name) => objs.pods?.find((o) => o.metadata.name === name),
    getSecret: (_ns, name) => objs.secrets?.find((o) => o.metadata.name === name),
    getNode: (name) => objs.nodes?.find((o) => o.metadata.name === name),
  };
}
const lookup = getter({ sa: [obj('builder', 'sa-uid')], pods: [obj('web', 'pod-uid')] });
const base = { namespace: 'default', serviceAccount: { name: 'builder', uid: 'sa-uid' }, audiences: [DEFAULT_ISSUER], expirationSeconds: 3600, now };
const validate = (token: string, over: Partial<Parameters<typeof validateToken>[1]> = {}) =>
  validateToken(token, { apiAudiences: [DEFAULT_ISSUER], keys: [key], lookup, now, ...over });

describe('ensureServiceAccountKey', () => {
  test('RSA key created once (0600), public half beside it, same key on the next start', () => {
    assert.equal(key.algorithm, 'RS256');
    assert.equal(fs.statSync(path.join(dir, 'service.key')).mode & 0o777, 0o600);
    const pub = crypto.createPublicKey(fs.readFileSync(path.join(dir, 'service.pub')));
    assert.equal(pub.export({ format: 'pem', type: 'spki' }), key.publicKey.export({ format: 'pem', type: 'spki' }));
    assert.equal(ensureServiceAccountKey(dir).keyId, key.keyId);
  });

  test('kid is base64url(sha256(SPKI DER))', () => {
    const der = key.publicKey.export({ format: 'der', type: 'spki' });
    assert.equal(key.keyId, crypto.createHash('sha256').update(der).digest('base64url'));
  });
});

describe('issueToken', () => {
  test("Kubernetes' claims, keys sorted, header alg and kid", () => {
    const { token, expiresAt } = issueToken(key, { ...base, boundObject: { kind: 'Pod', name: 'web', uid: 'pod-uid' }, node: { name: 'n1', uid: 'node-uid' } });
    const jwt = parseJwt(token)!;
    assert.deepEqual(jwt.header, { alg: 'RS256', kid: key.keyId });
    const t = Math.floor(now.getTime() / 1000);
    assert.deepEqual(Object.keys(jwt.payload), ['aud', 'exp', 'iat', 'iss', 'jti', 'kubernetes.io', 'nbf', 'sub']);
    assert.deepEqual({ ...jwt.payload, jti: 'x' }, {
      aud: [DEFAULT_ISSUER],
      exp: t + 3600,
      iat: t,
      iss: DEFAULT_ISSUER,
      jti: 'x',
      'kubernetes.io': { namespace: 'default', node: { name: 'n1', uid: 'node-uid' }, pod: { name: 'web', uid: 'pod-uid' }, serviceaccount: { name: 'builder', uid: 'sa-uid' } },
      nbf: t,
      sub: 'system:serviceaccount:default:builder',
    });
    assert.match(String(jwt.payload.jti), /^[0-9a-f-]{36}$/);
    assert.equal(expiresAt.getTime(), now.getTime() + 3600_000);
  });

  test('ES256 keys sign verifiable raw r||s signatures', async () => {
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ec = serviceAccountKeyFromPem(privateKey.export({ format: 'pem', type: 'sec1' }).toString());
    const { token } = issueToken(ec, base);
    assert.equal(parseJwt(token)!.signature.length, 64);
    assert.ok('user' in (await validate(token, { keys: [ec] }))!);
  });
});

describe('validateToken', () => {
  test('a valid pod-bound token gives the service account user with pod and credential extras', async () => {
    const { token, jti } = issueToken(key, { ...base, boundObject: { kind: 'Pod', name: 'web', uid: 'pod-uid' }, node: { name: 'n1' } });
    assert.deepEqual(await validate(token), {
      user: {
        username: 'system:serviceaccount:default:builder',
        uid: 'sa-uid',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:default'],
        extra: {
          'authentication.kubernetes.io/pod-name': ['web'],
          'authentication.kubernetes.io/pod-uid': ['pod-uid'],
          'authentication.kubernetes.io/credential-id': [`JTI=${jti}`],
          'authentication.kubernetes.io/node-name': ['n1'],
        },
      },
      audiences: [DEFAULT_ISSUER],
    });
  });

  test('tokens of another issuer, or not JWTs, are not ours', async () => {
    assert.equal(await validate('abcdef.0123456789abcdef'), undefined);
    assert.equal(await validate(issueToken(key, { ...base, issuer: 'https://elsewhere' }).token), undefined);
  });

  test('a tampered payload or a foreign key fails the signature', async () => {
    const { token } = issueToken(key, base);
    const [h, p, s] = token.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    payload.sub = 'system:serviceaccount:kube-system:admin';
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    assert.deepEqual(await validate(forged), { error: 'go-jose/go-jose: error in cryptographic primitive' });
    const other = serviceAccountKeyFromPem(crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs1' }).toString());
    assert.deepEqual(await validate(token, { keys: [other] }), { error: 'invalid signature, no keys found' });
  });

  test('expiry and not-before allow a minute of skew', async () => {
    const { token } = issueToken(key, base);
    const at = (s: number) => new Date(now.getTime() + s * 1000);
    assert.ok('user' in (await validate(token, { now: at(3600 + 59) }))!);
    assert.deepEqual(await validate(token, { now: at(3600 + 61) }), { error: 'service account token has expired' });
    assert.deepEqual(await validate(token, { now: at(-61) }), { error: 'service account token is not valid yet' });
  });

  test('audience must intersect what the caller accepts', async () => {
    const { token } = issueToken(key, { ...base, audiences: ['vault'] });
    assert.deepEqual(await validate(token), {
      error: 'token audiences ["vault"] is invalid for the target audiences ["https://kubernetes.default.svc.cluster.local"]',
    });
    assert.deepEqual(await validate(token, { audiences: ['vault', 'x'] }).then((r) => r && 'audiences' in r && r.audiences), ['vault']);
  });

  test('a deleted or re-created service account, pod or secret invalidates the token', async () => {
    const { token } = issueToken(key, { ...base, boundObject: { kind: 'Pod', name: 'web', uid: 'pod-uid' } });
    assert.deepEqual(await validate(token, { lookup: getter({ pods: [obj('web', 'pod-uid')] }) }), { error: 'serviceaccounts "builder" not found' });
    assert.deepEqual(await validate(token, { lookup: getter({ sa: [obj('builder', 'new')], pods: [obj('web', 'pod-uid')] }) }), {
      error: 'service account UID (new) does not match claim (sa-uid)',
    });
    assert.deepEqual(await validate(token, { lookup: getter({ sa: [obj('builder', 'sa-uid')] }) }), { error: 'service account token has been invalidated' });
    assert.deepEqual(await validate(token, { lookup: getter({ sa: [obj('builder', 'sa-uid')], pods: [obj('web', 'other')] }) }), {
      error: 'pod UID (other) does not match service account pod ref claim (pod-uid)',
    });
    const terminating = obj('web', 'pod-uid', { deletionTimestamp: new Date(now.getTime() - 120_000).toISOString() });
    assert.deepEqual(await validate(token, { lookup: getter({ sa: [obj('builder', 'sa-uid')], pods: [terminating] }) }), { error: 'service account token has been invalidated' });
    const secretBound = issueToken(key, { ...base, boundObject: { kind: 'Secret', name: 's', uid: 's-uid' } }).token;
    assert.deepEqual(await validate(secretBound, { lookup: getter({ sa: [obj('builder', 'sa-uid')], secrets: [obj('s', 'x')] }) }), {
      error: 'secret UID (x) does not match service account secret ref claim (s-uid)',
    });
  });
});
