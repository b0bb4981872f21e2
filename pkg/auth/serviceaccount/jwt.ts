/**
 * Compact JWS (JWT) signing and verification with node:crypto, for RS256 and ES256 only: the
 * algorithms a service-account key can have. Payloads are written with their keys sorted at
 * every level, as Kubernetes' signer (go-jose over a Go map) writes them.
 */
import crypto from 'node:crypto';
import type { JwtAlgorithm } from './key.ts';

export interface ParsedJwt {
  header: { alg?: unknown; kid?: unknown; [k: string]: unknown };
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  return Object.fromEntries(Object.keys(obj).sort().filter((k) => obj[k] !== undefined).map((k) => [k, sortedKeys(obj[k])]));
}

const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

function signOptions(alg: JwtAlgorithm, key: crypto.KeyObject): crypto.SignKeyObjectInput | crypto.VerifyKeyObjectInput {
  // JWS wants the raw r||s form of an ECDSA signature, not DER.
  return alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : { key };
}

export function signJwt(payload: Record<string, unknown>, key: crypto.KeyObject, alg: JwtAlgorithm, kid: string): string {
  const signingInput = `${b64url(JSON.stringify({ alg, kid }))}.${b64url(JSON.stringify(sortedKeys(payload)))}`;
  const signature = crypto.sign('sha256', Buffer.from(signingInput), signOptions(alg, key) as crypto.SignKeyObjectInput);
  return `${signingInput}.${signature.toString('base64url')}`;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

/** The parts of a compact JWT, or undefined when it is not one (no signature is checked). */
export function parseJwt(token: string): ParsedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => B64URL.test(p))) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as unknown;
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    if (!isObject(header) || !isObject(payload)) return undefined;
    return { header, payload, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2]!, 'base64url') };
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether the token's signature verifies with `key` under the algorithm its header names (which must be the key's). */
export function verifyJwtSignature(jwt: ParsedJwt, key: crypto.KeyObject, keyAlg: JwtAlgorithm): boolean {
  if (jwt.header.alg !== keyAlg) return false;
  try {
    return crypto.verify('sha256', Buffer.from(jwt.signingInput), signOptions(keyAlg, key) as crypto.VerifyKeyObjectInput, jwt.signature);
  } catch {
    return false;
  }
}
