import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { describe, test } from 'node:test';
import { jwks, openidConfiguration } from './discovery.ts';
import { serviceAccountKeyFromPem } from './key.ts';
import { DEFAULT_ISSUER, issueToken } from './token.ts';

const key = serviceAccountKeyFromPem(crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs1' }).toString());

/** PyJWT (Debian's python3-jwt) as an independent verifier; absent on some machines. */
const python = '/usr/bin/python3';
const hasPyJwt = (() => {
  try {
    execFileSync(python, ['-c', 'import jwt, cryptography'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('issuer discovery', () => {
  test('openid configuration names the issuer, the JWKS URL and the signing algorithm', () => {
    assert.deepEqual(openidConfiguration(DEFAULT_ISSUER, 'https://10.0.0.1:6443/openid/v1/jwks', [key]), {
      issuer: DEFAULT_ISSUER,
      jwks_uri: 'https://10.0.0.1:6443/openid/v1/jwks',
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    });
  });

  test('the JWKS key is the public key, with kid and alg', () => {
    const [jwk] = jwks([key]).keys;
    assert.equal(jwk!.kid, key.keyId);
    assert.equal(jwk!.alg, 'RS256');
    assert.equal(jwk!.kty, 'RSA');
    assert.equal(jwk!.d, undefined);
    const back = crypto.createPublicKey({ key: jwk as crypto.JsonWebKey, format: 'jwk' });
    assert.ok(back.equals(key.publicKey));
  });

  test('tokens verify with PyJWT against the published JWKS', { skip: hasPyJwt ? false : 'python3-jwt not installed' }, () => {
    const { token } = issueToken(key, { namespace: 'default', serviceAccount: { name: 'sa', uid: 'u' }, audiences: ['vault'], expirationSeconds: 600, now: new Date() });
    const script = [
      'import json, sys, jwt',
      'keys = json.loads(sys.argv[2])["keys"]',
      'key = jwt.PyJWK(keys[0])',
      'claims = jwt.decode(sys.argv[1], key.key, algorithms=["RS256"], audience="vault", issuer=sys.argv[3])',
      'print(claims["sub"], claims["kubernetes.io"]["serviceaccount"]["name"])',
    ].join('\n');
    const out = execFileSync(python, ['-c', script, token, JSON.stringify(jwks([key])), DEFAULT_ISSUER], { encoding: 'utf8' });
    assert.equal(out.trim(), 'system:serviceaccount:default:sa sa');
  });
});
