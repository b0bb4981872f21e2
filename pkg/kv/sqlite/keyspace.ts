import { isSingleKey, prefixEnd, RANGE_END_ALL } from '../keys.ts';
import type { LogRow, Queries } from './queries.ts';

/**
 * The keyspace split in two stores: durable keys in the database file, volatile keys (by
 * prefix) in the attached in-memory database. Every read and write goes through here, so the
 * rest of the backend sees one ordered keyspace.
 */
export class KeySpace {
  private readonly volatileRanges: Array<{ start: string; end: string }>;

  constructor(readonly main: Queries, readonly mem: Queries | undefined, volatilePrefixes: string[]) {
    this.volatileRanges = mem ? volatilePrefixes.map((p) => ({ start: p, end: prefixEnd(p) })) : [];
  }

  get hasVolatile(): boolean {
    return this.volatileRanges.length > 0;
  }

  isVolatile(key: string): boolean {
    return this.volatileRanges.some((r) => key >= r.start && (r.end === RANGE_END_ALL || key < r.end));
  }

  forKey(key: string): Queries {
    return this.mem && this.isVolatile(key) ? this.mem : this.main;
  }

  /** The stores a range [start, end) touches ('' end: the single key), main first. */
  forRange(start: string, end: string | undefined): Queries[] {
    if (isSingleKey(end)) return [this.forKey(start)];
    if (!this.mem || this.volatileRanges.length === 0) return [this.main];
    const touchesMem = this.volatileRanges.some((r) => overlaps(start, end, r.start, r.end));
    const insideMem = this.volatileRanges.some((r) => start >= r.start && (r.end === RANGE_END_ALL || (end !== RANGE_END_ALL && end <= r.end)));
    if (insideMem) return [this.mem];
    return touchesMem ? [this.main, this.mem] : [this.main];
  }

  touchesVolatile(start: string, end: string | undefined): boolean {
    return this.forRange(start, end).some((q) => q === this.mem);
  }

  live(key: string): LogRow | undefined {
    return this.forKey(key).live(key);
  }

  keyAt(key: string, rev: number): LogRow | undefined {
    return this.forKey(key).keyAt(key, rev);
  }

  rangeNow(start: string, end: string, limit: number, keysOnly: boolean): LogRow[] {
    return mergeByKey(this.forRange(start, end).map((q) => q.rangeNow(start, end, limit, keysOnly)), limit);
  }

  rangeAt(start: string, end: string, rev: number, limit: number): LogRow[] {
    return mergeByKey(this.forRange(start, end).map((q) => q.rangeAt(start, end, rev, limit)), limit);
  }

  countNow(start: string, end: string): number {
    return this.forRange(start, end).reduce((n, q) => n + q.countNow(start, end), 0);
  }

  countAt(start: string, end: string, rev: number): number {
    return this.forRange(start, end).reduce((n, q) => n + q.countAt(start, end, rev), 0);
  }

  /** A row's predecessor lives in the same store as the row's key. */
  predecessor(row: LogRow): LogRow | undefined {
    if (!row.prev_id) return undefined;
    return this.forKey(row.key.toString('latin1')).byId(row.prev_id);
  }
}

function overlaps(aStart: string, aEnd: string, bStart: string, bEnd: string): boolean {
  const aBeforeB = aEnd !== RANGE_END_ALL && aEnd <= bStart;
  const bBeforeA = bEnd !== RANGE_END_ALL && bEnd <= aStart;
  return !aBeforeB && !bBeforeA;
}

function mergeByKey(parts: LogRow[][], limit: number): LogRow[] {
  if (parts.length === 1) return parts[0]!;
  const out = [...parts[0]!, ...parts[1]!].sort((a, b) => Buffer.compare(a.key, b.key));
  return limit > 0 ? out.slice(0, limit) : out;
}
