/**
 * For tests that run one script against the facade and against a real etcd: responses with
 * the member-specific parts removed (cluster/member IDs, raft term) and revisions made
 * relative to the store's revision when the script began (a fresh etcd starts at 1, a fresh
 * SQLite store at 0), so that the same expectation holds for both.
 */
const REVISION_FIELDS = new Set(['revision', 'create_revision', 'mod_revision', 'compact_revision']);
const DROPPED = new Set(['cluster_id', 'member_id', 'raft_term']);

export function normalize(value: unknown, base: number): unknown {
  if (Buffer.isBuffer(value)) return value.toString('latin1');
  if (Array.isArray(value)) return value.map((v) => normalize(v, base));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (DROPPED.has(k)) continue;
    // Revision 0 means "none" (a deleted key's create revision, etcd's compacted-watch header).
    out[k] = REVISION_FIELDS.has(k) && typeof v === 'number' && v > 0 ? v - base : normalize(v, base);
  }
  return out;
}

/**
 * Whether `actual` has everything `expected` lists (objects: the listed keys, recursively;
 * arrays: the same length, element by element). Unlisted fields are ignored, so a test names
 * only what it is about while defaults (false, 0, []) fill the rest of each message.
 */
export function mismatch(actual: unknown, expected: unknown, path = '$'): string | undefined {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected an array, got ${JSON.stringify(actual)}`;
    if (actual.length !== expected.length) return `${path}: expected ${expected.length} items, got ${actual.length}: ${JSON.stringify(actual)}`;
    for (let i = 0; i < expected.length; i++) {
      const m = mismatch(actual[i], expected[i], `${path}[${i}]`);
      if (m) return m;
    }
    return undefined;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object') return `${path}: expected an object, got ${JSON.stringify(actual)}`;
    for (const [k, v] of Object.entries(expected)) {
      const m = mismatch((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
      if (m) return m;
    }
    return undefined;
  }
  return Object.is(actual, expected) ? undefined : `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}
