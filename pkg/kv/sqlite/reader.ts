import Database from 'better-sqlite3';
import { RANGE_END_ALL } from '../keys.ts';
import type { RangeOptions, RangeResult } from '../types.ts';
import { Queries } from './queries.ts';
import { readRange } from './read.ts';
import { configureReader } from './schema.ts';

interface Reader {
  q: Queries;
  busy: boolean;
}

const MAX_READERS = 4;

/**
 * Large ranges are read page by page inside one read transaction on a separate connection:
 * WAL gives that transaction a fixed snapshot, so the pages are consistent with each other
 * while writes keep committing, and the event loop is free between pages.
 */
export class ReaderPool {
  private readonly readers: Reader[] = [];
  private readonly waiting: Array<(r: Reader) => void> = [];

  constructor(private readonly file: string, private readonly nativeBinding: string | undefined) {}

  /**
   * `onSnapshot` runs in the same tick as the snapshot is taken, with its revision: the place
   * to read anything else that must be consistent with it (the in-memory store).
   */
  async pagedRange(key: string, options: RangeOptions, revisionNow: () => number, pageSize: number, onSnapshot?: (rev: number) => void): Promise<RangeResult> {
    const reader = await this.acquire();
    const db = reader.q.db;
    try {
      db.exec('BEGIN');
      // Writes commit only in their own macrotasks, so the revision read here is the one the
      // snapshot (taken by the first SELECT below, in this same tick) reflects.
      const currentRev = revisionNow();
      const atRev = options.revision && options.revision > 0 ? options.revision : currentRev;
      const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
      const kvs: RangeResult['kvs'] = [];
      let start = key;
      for (;;) {
        const want = Math.min(pageSize, limit - kvs.length);
        const page = readRange(reader.q, start, { ...options, limit: want }, currentRev, atRev);
        if (start === key) onSnapshot?.(currentRev);
        kvs.push(...page.kvs);
        if (page.kvs.length < want || kvs.length >= limit) break;
        // The smallest key after the last one read.
        start = page.kvs[page.kvs.length - 1]!.key + '\0';
        await new Promise((resolve) => setImmediate(resolve));
      }
      let count = kvs.length;
      if (kvs.length >= limit) {
        count = readRange(reader.q, key, { end: options.end, countOnly: true }, currentRev, atRev).count;
      }
      return { kvs, count, more: count > kvs.length, revision: currentRev };
    } finally {
      if (db.inTransaction) db.exec('COMMIT');
      this.release(reader);
    }
  }

  /**
   * Every live key of the file, page by page, from one read transaction held until the
   * generator ends (so the pages agree with each other while writes go on). `onSnapshot` runs
   * in the tick the transaction's snapshot is taken, with the revision it reflects.
   */
  async *allKeys(revisionNow: () => number, pageSize: number, onSnapshot: (rev: number) => void): AsyncGenerator<RangeResult['kvs']> {
    const reader = await this.acquire();
    const db = reader.q.db;
    try {
      db.exec('BEGIN');
      const rev = revisionNow();
      let start = '\0';
      let first = true;
      for (;;) {
        const page = readRange(reader.q, start, { end: RANGE_END_ALL, limit: pageSize }, rev, rev);
        if (first) onSnapshot(rev);
        first = false;
        if (page.kvs.length > 0) yield page.kvs;
        if (page.kvs.length < pageSize) return;
        start = page.kvs[page.kvs.length - 1]!.key + '\0';
      }
    } finally {
      if (db.inTransaction) db.exec('COMMIT');
      this.release(reader);
    }
  }

  close(): void {
    for (const r of this.readers) r.q.db.close();
    this.readers.length = 0;
  }

  private acquire(): Promise<Reader> {
    const free = this.readers.find((r) => !r.busy);
    if (free) {
      free.busy = true;
      return Promise.resolve(free);
    }
    if (this.readers.length < MAX_READERS) {
      const db = new Database(this.file, { readonly: true, ...(this.nativeBinding ? { nativeBinding: this.nativeBinding } : {}) });
      configureReader(db);
      const reader = { q: new Queries(db), busy: true };
      this.readers.push(reader);
      return Promise.resolve(reader);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(reader: Reader): void {
    const next = this.waiting.shift();
    if (next) next(reader);
    else reader.busy = false;
  }
}
