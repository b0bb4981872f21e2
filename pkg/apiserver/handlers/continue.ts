/**
 * Continue tokens as Kubernetes writes them: base64 of {"v":"meta.k8s.io/v1","rv":N,"start":K}
 * with K the next key relative to the list's prefix, so a token cannot reach outside it.
 */
import { apiErrors } from '../errors.ts';

export function encodeContinue(nextKey: string, prefix: string, revision: number): string {
  const start = nextKey.startsWith(prefix) ? nextKey.slice(prefix.length) : nextKey;
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: revision, start })).toString('base64url');
}

export function decodeContinue(token: string, prefix: string): { start: string; revision: number } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw apiErrors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  const t = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (t === null || typeof t !== 'object' || t.v !== 'meta.k8s.io/v1') throw apiErrors.badRequest('continue key is not valid: server does not recognize this encoded key');
  if (typeof t.rv !== 'number' || !Number.isInteger(t.rv) || t.rv <= 0) throw apiErrors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (typeof t.start !== 'string' || t.start === '' || t.start.startsWith('/') || t.start.includes('..')) {
    throw apiErrors.badRequest('continue key is not valid: encoded start key is invalid');
  }
  return { start: prefix + t.start, revision: t.rv };
}
