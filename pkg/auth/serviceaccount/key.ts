/**
 * The service-account signing key in DATA_DIR/server/tls: `service.key` (private) and
 * `service.pub` (its public half, for anyone verifying tokens offline).
 *
 * RSA 2048 with RS256, as kubeadm and k3s create it: RS256 is the one algorithm every JWT and
 * OIDC library verifies, and a key carried over from a k3s or kubeadm data dir keeps working.
 * An ECDSA P-256 service.key put there by hand is used too (ES256).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { readIfExists, writeFileAtomic } from '../files.ts';

export type JwtAlgorithm = 'RS256' | 'ES256';

export interface ServiceAccountKey {
  privateKey: crypto.KeyObject;
  publicKey: crypto.KeyObject;
  algorithm: JwtAlgorithm;
  /** The JWT `kid`: base64url of the SHA-256 of the public key's DER (SPKI), as Kubernetes derives it. */
  keyId: string;
  files: { key: string; pub: string };
}

export const SERVICE_KEY_FILE = 'service.key';
export const SERVICE_PUB_FILE = 'service.pub';

export function keyIdOf(publicKey: crypto.KeyObject): string {
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return crypto.createHash('sha256').update(der).digest('base64url');
}

export function algorithmOf(key: crypto.KeyObject): JwtAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new Error(`service-account key must be RSA or ECDSA P-256, not ${key.asymmetricKeyType ?? 'unknown'}`);
}

/** The key from its private PEM (PKCS#1, SEC1 or PKCS#8). */
export function serviceAccountKeyFromPem(pem: string, files = { key: '', pub: '' }): ServiceAccountKey {
  const privateKey = crypto.createPrivateKey(pem);
  const publicKey = crypto.createPublicKey(privateKey);
  return { privateKey, publicKey, algorithm: algorithmOf(privateKey), keyId: keyIdOf(publicKey), files };
}

/** Loads service.key from `tlsDir`, creating it on first start; (re)writes service.pub to match. */
export function ensureServiceAccountKey(tlsDir: string): ServiceAccountKey {
  fs.mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
  const files = { key: path.join(tlsDir, SERVICE_KEY_FILE), pub: path.join(tlsDir, SERVICE_PUB_FILE) };
  let pem = readIfExists(files.key);
  if (pem === undefined) {
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    pem = privateKey.export({ format: 'pem', type: 'pkcs1' }).toString();
    writeFileAtomic(files.key, pem, 0o600);
  }
  const key = serviceAccountKeyFromPem(pem, files);
  const pubPem = key.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  if (readIfExists(files.pub) !== pubPem) writeFileAtomic(files.pub, pubPem, 0o644);
  return key;
}
