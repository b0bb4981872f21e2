/**
 * What every contract section shares: the backend under test, keys isolated under a random
 * prefix, small write helpers, bounded waits that fail with a message (never a timing
 * assertion), and a recorder for watch batches.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { isKvError, type KvError, type KvErrorCode } from '../errors.ts';
import type { Backend, KeyValue, Op, TxnResult, WatchBatch, WatchEvent } from '../types.ts';

export type ContractSection = 'kv' | 'txn' | 'concurrency' | 'watch' | 'lease' | 'lease-expiry' | 'compaction' | 'scale' | 'close';

export interface ContractOptions {
  /** Sections to leave out. */
  skip?: ContractSection[];
  /**
   * The store is shared with other writers (e.g. a common etcd): revisions are only checked
   * to grow, not to grow by exactly one, and the compaction section (global) is skipped.
   */
  shared?: boolean;
  /** The give-up bound of every wait loop (default 60 s): a limit, never an expectation. */
  waitLimitMs?: number;
  /** Keys in the large-keyspace test (default 5,000). */
  manyKeys?: number;
}

export interface Harness {
  /** The backend under test; valid inside it()/before() callbacks. */
  readonly backend: Backend;
  /** Opens a further backend on the same kind of store (for close() tests). */
  open(): Promise<Backend>;
  /** `name` under this run's unique prefix. */
  key(name: string): string;
  readonly prefix: string;
  readonly shared: boolean;
  readonly waitLimitMs: number;
  readonly manyKeys: number;
}

export function createHarness(open: () => Promise<Backend>, options: ContractOptions): Harness & { start(): Promise<void>; stop(): Promise<void> } {
  let backend: Backend | undefined;
  const prefix = `/tsk-contract/${crypto.randomBytes(6).toString('hex')}/`;
  return {
    get backend(): Backend {
      if (!backend) throw new Error('contract: the backend is not open (use it only inside tests)');
      return backend;
    },
    open,
    key: (name) => prefix + name,
    prefix,
    shared: options.shared ?? false,
    waitLimitMs: options.waitLimitMs ?? 60_000,
    manyKeys: options.manyKeys ?? 5_000,
    async start() {
      backend = await open();
    },
    async stop() {
      await backend?.close();
    },
  };
}

export const buf = (s: string): Buffer => Buffer.from(s);

export function put(key: string, value: string | Buffer, extra: { lease?: number; prevKv?: boolean } = {}): Op {
  return { type: 'put', key, value: typeof value === 'string' ? buf(value) : value, ...extra };
}

export async function putOne(b: Backend, key: string, value: string | Buffer, extra: { lease?: number; prevKv?: boolean } = {}): Promise<TxnResult> {
  const res = await b.txn({ success: [put(key, value, extra)] });
  assert.equal(res.succeeded, true, `put ${key}: a txn without compares succeeds`);
  return res;
}

export async function deleteOne(b: Backend, key: string, end?: string): Promise<TxnResult> {
  return b.txn({ success: [{ type: 'delete', key, ...(end === undefined ? {} : { end }) }] });
}

export async function get(b: Backend, key: string, revision?: number): Promise<KeyValue | undefined> {
  const res = await b.range(key, revision === undefined ? {} : { revision });
  assert.ok(res.kvs.length <= 1, `a single-key range returns at most one key, got ${res.kvs.length}`);
  return res.kvs[0];
}

/** The store's current revision (a read's header revision). */
export async function currentRevision(b: Backend): Promise<number> {
  return (await b.range('/tsk-contract/revision-probe', { countOnly: true })).revision;
}

/** Asserts that `promise` rejects with a KvError of `code`; returns the error. */
export async function rejectsWith<T>(promise: Promise<T>, code: KvErrorCode, what: string): Promise<KvError> {
  try {
    await promise;
  } catch (err) {
    const got = err instanceof Error ? `${err.name} ${(err as { code?: string }).code ?? ''}: ${err.message}` : String(err);
    assert.ok(isKvError(err, code), `${what}: expected KvError '${code}', got ${got}`);
    return err;
  }
  assert.fail(`${what}: expected KvError '${code}', but it succeeded`);
}

/** Polls `check` until it returns a value other than undefined, or fails after the limit. */
export async function waitFor<T>(check: () => T | undefined | Promise<T | undefined>, what: string, limitMs: number): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (let pause = 5; ; pause = Math.min(pause * 2, 200)) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`gave up after ${limitMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pause));
  }
}

/** Everything a watch handler received, with waits on it. */
export class Recorder {
  readonly batches: WatchBatch[] = [];
  readonly handler = (batch: WatchBatch): void => {
    this.batches.push(batch);
  };

  constructor(private readonly limitMs: number) {}

  get events(): WatchEvent[] {
    return this.batches.flatMap((b) => b.events);
  }

  get error(): WatchBatch['error'] {
    return this.batches.find((b) => b.error)?.error;
  }

  /** Waits until at least `n` events arrived (or an error batch, which fails the wait). */
  async waitForEvents(n: number, what = `${n} watch events`): Promise<WatchEvent[]> {
    return waitFor(() => {
      if (this.error) assert.fail(`watch ended with ${this.error.code} (${this.error.message}) while waiting for ${what}`);
      const events = this.events;
      return events.length >= n ? events : undefined;
    }, `${what} (have ${this.events.length})`, this.limitMs);
  }

  /** Waits until an event at or past `revision` arrived. */
  async waitForRevision(revision: number): Promise<WatchEvent[]> {
    return waitFor(() => {
      if (this.error) assert.fail(`watch ended with ${this.error.code} (${this.error.message}) while waiting for revision ${revision}`);
      const events = this.events;
      return events.some((e) => e.kv.modRevision >= revision) ? events : undefined;
    }, `a watch event at revision ${revision} (last: ${this.events.at(-1)?.kv.modRevision ?? 'none'})`, this.limitMs);
  }

  async waitForError(): Promise<NonNullable<WatchBatch['error']>> {
    return waitFor(() => this.error, 'the watch to end with an error', this.limitMs);
  }
}

/** A compact, comparable view of events: [type, key, value, modRevision]. */
export function summarize(events: WatchEvent[], h: Harness): Array<[string, string, string, number]> {
  return events.map((e) => [e.type, e.kv.key.slice(h.prefix.length), e.kv.value.toString(), e.kv.modRevision]);
}

/** Runs `fn` over items with at most `concurrency` in flight. */
export async function pool<T, R>(items: T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
  return results;
}
