import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { before, describe, test } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { ApiError } from '../../apiserver/errors.ts';
import { pemDecode } from '../pem.ts';
import { createCa, issueCert, issueClientCert, type CertKey } from '../pki.ts';
import { serviceAccountKeyFromPem } from '../serviceaccount/key.ts';
import { DEFAULT_ISSUER, issueToken } from '../serviceaccount/token.ts';
import { createAuthenticator, type Authenticator } from './authenticator.ts';
import { authenticateBootstrapToken, type SecretLookup } from './bootstrap.ts';
import { reviewToken, selfSubjectReview } from './reviews.ts';
import { authenticateCertificate } from './x509.ts';

const now = new Date();
const b64 = (s: string) => Buffer.from(s).toString('base64');
const der = (c: CertKey) => pemDecode(c.certPem, 'CERTIFICATE');
const saKey = serviceAccountKeyFromPem(crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs1' }).toString());

function bootstrapSecret(data: Record<string, string>, extra: Partial<KObject> = {}): KObject {
  return {
    metadata: { name: 'bootstrap-token-abcdef', namespace: 'kube-system' },
    type: 'bootstrap.kubernetes.io/token',
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
    ...extra,
  };
}
const goodBootstrap = { 'token-id': 'abcdef', 'token-secret': '0123456789abcdef', 'usage-bootstrap-authentication': 'true' };
const secretsOf = (secret: KObject | undefined): SecretLookup => ({ get: (ns, name) => (ns === 'kube-system' && name === secret?.metadata.name ? secret : undefined) });

let ca: CertKey;
let otherCa: CertKey;
let alice: CertKey;
let auth: Authenticator;
before(async () => {
  ca = await createCa('tsk-client-ca');
  otherCa = await createCa('other');
  alice = await issueClientCert(ca, { commonName: 'alice', groups: ['devs', 'ops'] });
  auth = createAuthenticator({
    clientCaPems: [ca.certPem],
    serviceAccounts: {
      keys: [saKey],
      apiAudiences: [DEFAULT_ISSUER],
      lookup: {
        getServiceAccount: (_ns, name) => (name === 'builder' ? { metadata: { name, uid: 'sa-uid' } } : undefined),
        getPod: () => undefined,
        getSecret: () => undefined,
        getNode: () => undefined,
      },
    },
    secrets: secretsOf(bootstrapSecret(goodBootstrap)),
    staticTokens: [{ token: 'node-secret', user: { username: 'node', groups: ['system:nodes'] } }],
  });
});

describe('client certificates', () => {
  test('CN is the user, each O a group, plus system:authenticated', async () => {
    assert.deepEqual(await auth.authenticate({ peerCertificate: der(alice) }), { username: 'alice', groups: ['devs', 'ops', 'system:authenticated'] });
    assert.deepEqual(await auth.authenticate({ peerCertificate: { raw: der(alice), issuerCertificate: { raw: der(ca) } } }), {
      username: 'alice',
      groups: ['devs', 'ops', 'system:authenticated'],
    });
  });

  test('another CA, a server-only certificate or an expired one is rejected', async () => {
    const stranger = await issueClientCert(otherCa, { commonName: 'mallory' });
    assert.deepEqual(authenticateCertificate(der(stranger), [ca.certPem], now), { error: 'x509: certificate signed by unknown authority' });
    const serving = await issueCert(ca, { commonName: 'web', usage: 'server' });
    assert.deepEqual(authenticateCertificate(der(serving), [ca.certPem], now), { error: 'x509: certificate specifies an incompatible key usage' });
    const later = new Date(now.getTime() + 400 * 86_400_000);
    assert.match((authenticateCertificate(der(alice), [ca.certPem], later) as { error: string }).error, /^x509: certificate has expired or is not yet valid/);
    assert.equal(await auth.authenticate({ peerCertificate: der(stranger) }), undefined);
  });
});

describe('bearer tokens', () => {
  test('static table entries', async () => {
    assert.deepEqual(await auth.authenticate({ authorization: 'Bearer node-secret' }), { username: 'node', groups: ['system:nodes', 'system:authenticated'] });
  });

  test('service-account tokens', async () => {
    const { token } = issueToken(saKey, { namespace: 'ci', serviceAccount: { name: 'builder', uid: 'sa-uid' }, audiences: [DEFAULT_ISSUER], expirationSeconds: 600, now });
    const user = await auth.authenticate({ authorization: `bearer ${token}` });
    assert.equal(user?.username, 'system:serviceaccount:ci:builder');
    assert.deepEqual(user?.groups, ['system:serviceaccounts', 'system:serviceaccounts:ci', 'system:authenticated']);
  });

  test('bad credentials are 401 with the reasons, never anonymous', async () => {
    assert.deepEqual(await auth.authenticateRequest({ authorization: 'Bearer nope' }), { error: 'invalid bearer token' });
    const { token } = issueToken(saKey, { namespace: 'ci', serviceAccount: { name: 'builder', uid: 'sa-uid' }, audiences: [DEFAULT_ISSUER], expirationSeconds: 600, now: new Date(now.getTime() - 3600_000) });
    assert.deepEqual(await auth.authenticateRequest({ authorization: `Bearer ${token}` }), { error: '[invalid bearer token, service account token has expired]' });
    // As in Kubernetes: an empty token between two spaces is invalid; a bare "Bearer" is no credential.
    assert.equal(await auth.authenticate({ authorization: 'Bearer  x' }), undefined);
    assert.equal((await auth.authenticate({ authorization: 'Bearer ' }))?.username, 'system:anonymous');
  });

  test('no credentials: system:anonymous in system:unauthenticated', async () => {
    assert.deepEqual(await auth.authenticate({}), { username: 'system:anonymous', groups: ['system:unauthenticated'] });
    assert.deepEqual(await auth.authenticate({ authorization: 'Basic YTpi' }), { username: 'system:anonymous', groups: ['system:unauthenticated'] });
  });
});

describe('bootstrap tokens', () => {
  test('user system:bootstrap:<id>, system:bootstrappers and the extra groups', async () => {
    const secret = bootstrapSecret({ ...goodBootstrap, 'auth-extra-groups': 'system:bootstrappers:tsk:nodes' });
    assert.deepEqual(await authenticateBootstrapToken('abcdef.0123456789abcdef', secretsOf(secret), now), {
      username: 'system:bootstrap:abcdef',
      groups: ['system:bootstrappers', 'system:bootstrappers:tsk:nodes'],
    });
    assert.deepEqual(await auth.authenticate({ authorization: 'Bearer abcdef.0123456789abcdef' }), {
      username: 'system:bootstrap:abcdef',
      groups: ['system:bootstrappers', 'system:authenticated'],
    });
  });

  test('wrong secret, wrong type, expired, no auth usage, bad extra group, terminating: not authenticated', async () => {
    const token = 'abcdef.0123456789abcdef';
    const fails = async (secret: KObject) => assert.equal(await authenticateBootstrapToken(token, secretsOf(secret), now), undefined);
    await fails(bootstrapSecret({ ...goodBootstrap, 'token-secret': 'ffffffffffffffff' }));
    await fails(bootstrapSecret(goodBootstrap, { type: 'Opaque' }));
    await fails(bootstrapSecret({ ...goodBootstrap, expiration: new Date(now.getTime() - 1000).toISOString() }));
    await fails(bootstrapSecret({ ...goodBootstrap, expiration: 'soon' }));
    await fails(bootstrapSecret({ ...goodBootstrap, 'usage-bootstrap-authentication': 'false' }));
    await fails(bootstrapSecret({ ...goodBootstrap, 'auth-extra-groups': 'system:masters' }));
    await fails(bootstrapSecret(goodBootstrap, { metadata: { name: 'bootstrap-token-abcdef', deletionTimestamp: now.toISOString() } }));
    assert.equal(await authenticateBootstrapToken('ABCDEF.0123456789abcdef', secretsOf(bootstrapSecret(goodBootstrap)), now), undefined);
  });
});

describe('reviews', () => {
  test('TokenReview of a valid and of an invalid token', async () => {
    const ok = await reviewToken({ metadata: {}, spec: { token: 'node-secret' } }, auth.authenticateToken);
    assert.deepEqual(ok.status, { authenticated: true, user: { username: 'node', groups: ['system:nodes', 'system:authenticated'] }, audiences: [DEFAULT_ISSUER] });
    const bad = await reviewToken({ metadata: {}, spec: { token: 'x' } }, auth.authenticateToken);
    assert.deepEqual(bad.status, { user: {}, error: 'invalid bearer token' });
    await assert.rejects(reviewToken({ metadata: {}, spec: {} }, auth.authenticateToken), (e: unknown) => e instanceof ApiError && e.code === 400 && e.message === 'token is required for TokenReview in authentication.k8s.io');
  });

  test('TokenReview audiences narrow a service-account token', async () => {
    const { token } = issueToken(saKey, { namespace: 'ci', serviceAccount: { name: 'builder', uid: 'sa-uid' }, audiences: ['vault'], expirationSeconds: 600, now });
    const review = await reviewToken({ metadata: {}, spec: { token, audiences: ['vault'] } }, auth.authenticateToken);
    assert.equal(review.status.authenticated, true);
    assert.deepEqual(review.status.audiences, ['vault']);
    const wrong = await reviewToken({ metadata: {}, spec: { token } }, auth.authenticateToken);
    assert.equal(wrong.status.error, '[invalid bearer token, token audiences ["vault"] is invalid for the target audiences ["https://kubernetes.default.svc.cluster.local"]]');
  });

  test('SelfSubjectReview echoes the user', () => {
    assert.deepEqual(selfSubjectReview({ username: 'alice', groups: ['devs'] }), {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
      metadata: {},
      status: { userInfo: { username: 'alice', groups: ['devs'] } },
    });
  });
});
