/**
 * The pod-template-hash that names a Deployment's ReplicaSets (`<deployment>-<hash>`) and
 * labels their pods, and template equality ignoring that label.
 *
 * Kubernetes hashes the Go struct printed by spew with FNV-1a (32 bit), appends the
 * collisionCount as 8 little-endian bytes when set, and renders the decimal number with
 * rand.SafeEncodeString (each digit's byte mapped onto "bcdfghjklmnpqrstvwxz2456789").
 * spew output of Go structs cannot be reproduced here, so tsk hashes the template's canonical
 * JSON instead (keys sorted; null, {} and [] dropped): same algorithm, same alphabet and shape
 * (e.g. "5d4f8c7b9"), stable for equal templates, but not the value Kubernetes would compute.
 */

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * The value with object keys sorted and empty values (null, {}, []) removed: Kubernetes'
 * semantic equality treats nil and empty alike, and clients (kubectl's rollback patch) send
 * `creationTimestamp: null` or `resources: {}` that a stored template lacks.
 */
export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = canonical((value as Record<string, unknown>)[key]);
    if (v === null || v === undefined) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0) continue;
    out[key] = v;
  }
  return out;
}

function fnv32a(bytes: Uint8Array, hash = 0x811c9dc5): number {
  for (const b of bytes) {
    hash ^= b;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export function safeEncode(s: string): string {
  let out = '';
  for (const ch of Buffer.from(s, 'utf8')) out += SAFE_ALPHABET[ch % SAFE_ALPHABET.length];
  return out;
}

export function computeHash(template: unknown, collisionCount?: number): string {
  let hash = fnv32a(Buffer.from(JSON.stringify(canonical(template)), 'utf8'));
  if (collisionCount !== undefined && collisionCount !== null) {
    const bytes = Buffer.alloc(8);
    bytes.writeUInt32LE(collisionCount >>> 0, 0);
    hash = fnv32a(bytes, hash);
  }
  return safeEncode(String(hash));
}

function withoutHashLabel(template: unknown): unknown {
  const t = structuredClone((template ?? {}) as { metadata?: { labels?: Record<string, string> } });
  if (t.metadata?.labels) delete t.metadata.labels['pod-template-hash'];
  return canonical(t);
}

/** Whether two pod templates are the same but for the pod-template-hash label (EqualIgnoreHash). */
export function equalIgnoreHash(a: unknown, b: unknown): boolean {
  return JSON.stringify(withoutHashLabel(a)) === JSON.stringify(withoutHashLabel(b));
}
