import { kvErrors } from '../errors.ts';
import { isSingleKey } from '../keys.ts';
import type { RangeOptions, RangeResult } from '../types.ts';
import { rowToKeyValue, type LogRow } from './queries.ts';

/** What a range read needs of a store: one schema (Queries) or the whole keyspace (KeySpace). */
export interface RangeSource {
  live(key: string): LogRow | undefined;
  keyAt(key: string, rev: number): LogRow | undefined;
  rangeNow(start: string, end: string, limit: number, keysOnly: boolean): LogRow[];
  rangeAt(start: string, end: string, rev: number, limit: number): LogRow[];
  countNow(start: string, end: string): number;
  countAt(start: string, end: string, rev: number): number;
}

/**
 * One synchronous range read on a connection: at the current revision through the live index,
 * at a past one through the log. The caller checks revision bounds (checkReadRevision).
 */
export function readRange(q: RangeSource, key: string, options: RangeOptions, currentRev: number, atRev: number): RangeResult {
  const past = atRev > 0 && atRev < currentRev;
  const limit = options.limit && options.limit > 0 ? options.limit : -1;
  const single = isSingleKey(options.end);
  let rows: LogRow[];
  if (single) {
    const row = past ? q.keyAt(key, atRev) : q.live(key);
    rows = row ? [row] : [];
  } else if (options.countOnly) {
    const count = past ? q.countAt(key, options.end!, atRev) : q.countNow(key, options.end!);
    return { kvs: [], count, more: false, revision: currentRev };
  } else {
    rows = past ? q.rangeAt(key, options.end!, atRev, limit) : q.rangeNow(key, options.end!, limit, options.keysOnly === true);
  }
  if (options.countOnly) return { kvs: [], count: rows.length, more: false, revision: currentRev };
  let count = rows.length;
  if (limit > 0 && rows.length === limit && !single) {
    count = past ? q.countAt(key, options.end!, atRev) : q.countNow(key, options.end!);
  }
  const kvs = rows.map(rowToKeyValue);
  if (options.keysOnly) for (const kv of kvs) kv.value = Buffer.alloc(0);
  return { kvs, count, more: count > kvs.length, revision: currentRev };
}

/** etcd's bounds: the compact revision itself is still readable, the future is not. */
export function checkReadRevision(rev: number | undefined, currentRev: number, compactRev: number): void {
  if (!rev || rev <= 0) return;
  if (rev > currentRev) throw kvErrors.futureRevision();
  if (rev < compactRev) throw kvErrors.compacted(compactRev);
}
