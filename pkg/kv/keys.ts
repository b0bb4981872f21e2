/**
 * Keys are binary strings: one UTF-16 code unit per byte (latin1). For the ASCII keys that
 * Kubernetes uses this is the plain string, JS string order equals etcd's byte order, and any
 * byte key that etcdctl sends survives the round trip unchanged.
 */
export function keyFromBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function keyToBytes(key: string): Buffer {
  return Buffer.from(key, 'latin1');
}

/** etcd's "\0" range end: every key at or after the start key. */
export const RANGE_END_ALL = '\0';

/**
 * The exclusive end of the range of keys that start with `prefix` (etcd's GetPrefixRangeEnd):
 * the prefix with its last byte below 0xff incremented and the rest dropped; "\0" when the
 * prefix is empty or all 0xff, meaning "to the end of the keyspace".
 */
export function prefixEnd(prefix: string): string {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const c = prefix.charCodeAt(i);
    if (c < 0xff) return prefix.slice(0, i) + String.fromCharCode(c + 1);
  }
  return RANGE_END_ALL;
}

/** Whether a range end means "the single key" (etcd: an absent or empty range_end). */
export function isSingleKey(end: string | undefined): end is undefined | '' {
  return end === undefined || end === '';
}

/** Whether `key` falls in the range [start, end) in etcd's terms (no end: the single key). */
export function inRange(key: string, start: string, end: string | undefined): boolean {
  if (isSingleKey(end)) return key === start;
  if (end === RANGE_END_ALL) return key >= start;
  return key >= start && key < end;
}
