/**
 * Continue tokens as Kubernetes writes them: unpadded base64url of
 * {"v":"meta.k8s.io/v1","rv":N,"start":K} with K the next key relative to the list's prefix.
 * A token is client input: decoding refuses anything that could reach outside the prefix.
 */
import { apiErrors } from '../errors.ts';
import { goJsonSyntaxError } from '../http/gojson.ts';

const VERSION = 'meta.k8s.io/v1';

export function encodeContinue(nextKey: string, prefix: string, revision: number): string {
  if (!nextKey.startsWith(prefix) || nextKey === prefix) {
    throw apiErrors.internal('unable to encode next field: the key and key prefix do not match');
  }
  const start = nextKey.slice(prefix.length);
  return Buffer.from(JSON.stringify({ v: VERSION, rv: revision, start })).toString('base64url');
}

function invalidToken(detail: string): Error {
  return apiErrors.badRequest(`invalid continue token: continue key is not valid${detail}`);
}

/** Strict unpadded base64url, as Go's base64.RawURLEncoding (Node's decoder skips bad characters). */
function decodeBase64Url(token: string): Buffer {
  const bad = token.search(/[^A-Za-z0-9_-]/);
  if (bad >= 0) throw invalidToken(`: illegal base64 data at input byte ${bad}`);
  if (token.length % 4 === 1) throw invalidToken(`: illegal base64 data at input byte ${token.length - 1}`);
  return Buffer.from(token, 'base64url');
}

/** path.Clean leaves it unchanged: no empty, `.` or `..` segment, no trailing slash. */
function isCleanPath(key: string): boolean {
  if (key === '/') return true;
  return key.slice(1).split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

/**
 * The key to resume from and the revision to read at; revision is undefined for a token that
 * asks for the latest state (Kubernetes encodes that as a negative rv).
 */
export function decodeContinue(token: string, prefix: string): { start: string; revision: number | undefined } {
  const data = decodeBase64Url(token);
  const syntax = goJsonSyntaxError(data);
  if (syntax !== undefined) throw invalidToken(`: ${syntax}`);
  const parsed: unknown = JSON.parse(data.toString('utf8'));
  if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) {
    throw invalidToken(`: json: cannot unmarshal ${Array.isArray(parsed) ? 'array' : typeof parsed} into Go value of type storage.continueToken`);
  }
  const t = (parsed ?? {}) as { v?: unknown; rv?: unknown; start?: unknown };
  for (const [field, want] of [['v', 'string'], ['rv', 'number'], ['start', 'string']] as const) {
    const value = t[field];
    if (value !== undefined && value !== null && typeof value !== want) {
      throw invalidToken(`: json: cannot unmarshal ${typeof value} into Go struct field continueToken.${field} of type ${want === 'number' ? 'int64' : 'string'}`);
    }
  }
  if (t.rv !== undefined && t.rv !== null && !Number.isSafeInteger(t.rv)) {
    throw invalidToken(`: json: cannot unmarshal number ${String(t.rv)} into Go struct field continueToken.rv of type int64`);
  }
  const v = (t.v as string | undefined) ?? '';
  if (v !== VERSION) throw invalidToken(`: server does not recognize this encoded version ${v}`);
  const rv = (t.rv as number | undefined) ?? 0;
  if (rv === 0) throw invalidToken(': incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  const start = (t.start as string | undefined) ?? '';
  if (start === '') throw invalidToken(': encoded start key empty (version meta.k8s.io/v1)');
  const key = start.startsWith('/') ? start : `/${start}`;
  if (!isCleanPath(key)) throw invalidToken(`: ${start}`);
  return { start: prefix + key.slice(1), revision: rv > 0 ? rv : undefined };
}
