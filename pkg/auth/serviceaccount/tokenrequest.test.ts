import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, test } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { ApiError } from '../../apiserver/errors.ts';
import { parseJwt } from './jwt.ts';
import { serviceAccountKeyFromPem } from './key.ts';
import { DEFAULT_ISSUER, type TokenObjectGetter } from './token.ts';
import { createTokenRequest, type TokenRequestOptions } from './tokenrequest.ts';

const key = serviceAccountKeyFromPem(crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs1' }).toString());
const now = new Date('2025-03-01T12:00:00.123Z');
const lookup: TokenObjectGetter = {
  getServiceAccount: (_ns, name) => (name === 'builder' ? { metadata: { name, uid: 'sa-uid' } } : undefined),
  getPod: (_ns, name) => (name === 'web' ? { metadata: { name, uid: 'pod-uid' }, spec: { serviceAccountName: 'builder', nodeName: 'n1' } } : undefined),
  getSecret: () => undefined,
  getNode: (name) => (name === 'n1' ? { metadata: { name, uid: 'node-uid' } } : undefined),
};
const request = (spec: Record<string, unknown> = {}, metadata: KObject['metadata'] = {}): TokenRequestOptions => ({
  namespace: 'default',
  name: 'builder',
  body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata, spec },
  key,
  apiAudiences: [DEFAULT_ISSUER],
  lookup,
  now,
});

async function rejects(p: Promise<unknown>, code: number, message: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, code);
    assert.equal(err.message, message);
    return true;
  });
}

describe('createTokenRequest', () => {
  test('defaults: the API audiences and one hour; status carries token and expiration', async () => {
    const { object, warnings } = await createTokenRequest(request());
    assert.deepEqual(warnings, []);
    assert.deepEqual(object.metadata, { name: 'builder', namespace: 'default', creationTimestamp: '2025-03-01T12:00:00Z' });
    assert.deepEqual(object.spec, { audiences: [DEFAULT_ISSUER], expirationSeconds: 3600 });
    assert.equal(object.status.expirationTimestamp, '2025-03-01T13:00:00Z');
    const claims = parseJwt(object.status.token)!.payload;
    assert.equal(claims.sub, 'system:serviceaccount:default:builder');
    assert.equal(claims.exp, Math.floor(now.getTime() / 1000) + 3600);
  });

  test('expirationSeconds below ten minutes is Invalid', async () => {
    await rejects(
      createTokenRequest(request({ expirationSeconds: 60 })),
      422,
      'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
    );
  });

  test('unknown service account is NotFound; a mismatching body name is Invalid', async () => {
    await rejects(createTokenRequest({ ...request(), name: 'ghost' }), 404, 'serviceaccounts "ghost" not found');
    await rejects(
      createTokenRequest(request({}, { name: 'other' })),
      422,
      'TokenRequest.authentication.k8s.io "builder" is invalid: metadata.name: Invalid value: "other": must match the service account name if specified',
    );
  });

  test('pod binding: claims pod and node; kubelet 3607 s tokens are extended to a year with warnafter', async () => {
    const { object } = await createTokenRequest(request({ expirationSeconds: 3607, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'web', uid: 'pod-uid' } }));
    const claims = parseJwt(object.status.token)!.payload;
    const t = Math.floor(now.getTime() / 1000);
    assert.deepEqual(claims['kubernetes.io'], {
      namespace: 'default',
      node: { name: 'n1', uid: 'node-uid' },
      pod: { name: 'web', uid: 'pod-uid' },
      serviceaccount: { name: 'builder', uid: 'sa-uid' },
      warnafter: t + 3607,
    });
    assert.equal(claims.exp, t + 365 * 24 * 3600);
    assert.equal(object.status.expirationTimestamp, '2025-03-01T13:00:07Z');
  });

  test('bound object errors: wrong kind, stale uid', async () => {
    await rejects(
      createTokenRequest(request({ boundObjectRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd' } })),
      400,
      'cannot bind token to object of type apps/v1, Kind=Deployment',
    );
    await rejects(
      createTokenRequest(request({ boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'web', uid: 'old' } })),
      409,
      'Operation cannot be fulfilled on Pod "web": the UID in the bound object reference (old) does not match the UID in record. The object might have been deleted and then recreated',
    );
  });

  test('a maximum expiration shortens long requests with a warning', async () => {
    const { object, warnings } = await createTokenRequest({ ...request({ expirationSeconds: 86400 }), maxExpirationSeconds: 7200 });
    assert.deepEqual(warnings, ['requested expiration of 86400 seconds shortened to 7200 seconds']);
    assert.equal(object.spec.expirationSeconds, 7200);
  });
});
