import { keyToBytes } from '../keys.ts';
import { KvError, kvErrors } from '../errors.ts';
import type {
  Compare, DeleteOp, DeleteResult, KeyValue, Op, OpResult, PutOp, PutResult, RangeOp, RangeOpResult,
  TxnRequest, TxnResult, WatchEvent,
} from '../types.ts';
import type { KeySpace } from './keyspace.ts';
import { rowToKeyValue, type LogRow } from './queries.ts';
import { checkReadRevision, readRange } from './read.ts';

interface Decision {
  succeeded: boolean;
  nested: Map<TxnRequest, Decision>;
}

/** What one applied txn changed, for the watch hub and the lessor once the commit is durable. */
export interface TxnEffects {
  events: WatchEvent[];
  /** Key attachments to leases that changed: lease 0 means "none". */
  leaseMoves: Array<{ key: string; from: number; to: number }>;
}

/**
 * Applies one txn inside the writer's open SQLite transaction. Reads in a txn see the txn's own
 * earlier writes (as in etcd); all writes of the txn share one revision, taken only if the txn
 * writes at all.
 */
export class TxnApplier {
  private rev = 0;
  private wrote = false;
  /** Whether a write went to the database file (volatile-only txns need no fsync). */
  wroteToDisk = false;
  readonly effects: TxnEffects = { events: [], leaseMoves: [] };

  constructor(
    private readonly ks: KeySpace,
    private readonly baseRev: number,
    private readonly compactRev: number,
    private readonly leaseExists: (id: number) => boolean,
  ) {}

  /** The store revision after this txn. */
  get revision(): number {
    return this.wrote ? this.rev : this.baseRev;
  }

  run(req: TxnRequest): TxnResult {
    // etcd decides every branch, nested ones included, against the store as it was before the
    // txn, and only then applies the chosen ops.
    return this.execute(req, this.decide(req));
  }

  private decide(req: TxnRequest): Decision {
    const succeeded = (req.compare ?? []).every((c) => this.compare(c));
    const nested = new Map<TxnRequest, Decision>();
    for (const op of (succeeded ? req.success : req.failure) ?? []) {
      if (op.type === 'txn') nested.set(op.txn, this.decide(op.txn));
    }
    return { succeeded, nested };
  }

  private execute(req: TxnRequest, decision: Decision): TxnResult {
    const ops = (decision.succeeded ? req.success : req.failure) ?? [];
    const responses = ops.map((op): OpResult => (op.type === 'txn'
      ? { type: 'txn', ...this.execute(op.txn, decision.nested.get(op.txn)!), revision: this.revision }
      : this.op(op)));
    return { succeeded: decision.succeeded, revision: this.revision, responses };
  }

  private nextRev(): number {
    if (!this.wrote) {
      this.wrote = true;
      this.rev = this.baseRev + 1;
    }
    return this.rev;
  }

  private op(op: Exclude<Op, { type: 'txn' }>): OpResult {
    switch (op.type) {
      case 'range': return this.range(op);
      case 'put': return this.put(op);
      case 'delete': return this.delete(op);
    }
  }

  private range(op: RangeOp): RangeOpResult {
    const rev = op.options?.revision ?? 0;
    checkReadRevision(rev, this.revision, this.compactRev);
    const result = readRange(this.ks, op.key, op.options ?? {}, this.revision, rev);
    return { type: 'range', ...result };
  }

  private put(op: PutOp): PutResult {
    const store = this.ks.forKey(op.key);
    const cur = store.live(op.key);
    if ((op.ignoreValue || op.ignoreLease) && !cur) throw new KvError('empty-key', 'etcdserver: key not found');
    const lease = op.ignoreLease ? cur!.lease : op.lease ?? 0;
    if (lease !== 0 && !this.leaseExists(lease)) throw kvErrors.leaseNotFound();
    const value = op.ignoreValue ? cur!.value ?? Buffer.alloc(0) : op.value;
    const rev = this.nextRev();
    const createRev = cur ? cur.create_rev : rev;
    const version = cur ? cur.version + 1 : 1;
    const key = keyToBytes(op.key);
    if (store === this.ks.main) this.wroteToDisk = true;
    const info = store.stmt('insertLog').run(rev, key, createRev, version, lease, 0, value, cur?.id ?? 0);
    store.stmt('upsertLive').run(key, info.lastInsertRowid);
    const prev = cur ? rowToKeyValue(cur) : undefined;
    const kv: KeyValue = { key: op.key, value, createRevision: createRev, modRevision: rev, version, lease };
    this.effects.events.push(prev ? { type: 'put', kv, prevKv: prev } : { type: 'put', kv });
    if ((prev?.lease ?? 0) !== lease) this.effects.leaseMoves.push({ key: op.key, from: prev?.lease ?? 0, to: lease });
    const result: PutResult = { type: 'put', revision: rev };
    if (op.prevKv && prev) result.prevKv = prev;
    return result;
  }

  private delete(op: DeleteOp): DeleteResult {
    const rows = op.end ? this.ks.rangeNow(op.key, op.end, -1, false) : [this.ks.live(op.key)].filter((r): r is LogRow => !!r);
    if (rows.length === 0) return { type: 'delete', revision: this.revision, deleted: 0, ...(op.prevKv ? { prevKvs: [] } : {}) };
    const rev = this.nextRev();
    const prevKvs: KeyValue[] = [];
    for (const row of rows) {
      const prev = rowToKeyValue(row);
      const store = this.ks.forKey(prev.key);
      if (store === this.ks.main) this.wroteToDisk = true;
      store.stmt('insertLog').run(rev, row.key, 0, 0, 0, 1, Buffer.alloc(0), row.id);
      store.stmt('deleteLive').run(row.key);
      prevKvs.push(prev);
      const kv: KeyValue = { key: prev.key, value: Buffer.alloc(0), createRevision: 0, modRevision: rev, version: 0, lease: 0 };
      this.effects.events.push({ type: 'delete', kv, prevKv: prev });
      if (prev.lease !== 0) this.effects.leaseMoves.push({ key: prev.key, from: prev.lease, to: 0 });
    }
    const result: DeleteResult = { type: 'delete', revision: rev, deleted: rows.length };
    if (op.prevKv) result.prevKvs = prevKvs;
    return result;
  }

  private compare(c: Compare): boolean {
    const rows = c.end ? this.ks.rangeNow(c.key, c.end, -1, c.target !== 'value') : [this.ks.live(c.key)].filter((r): r is LogRow => !!r);
    if (rows.length === 0) return c.target === 'value' ? false : compareOne(c, undefined);
    return rows.every((row) => compareOne(c, row));
  }
}

/** etcd's compareKV: a missing key has version, create, mod and lease 0. */
function compareOne(c: Compare, row: LogRow | undefined): boolean {
  let order: number;
  if (c.target === 'value') {
    if (!row) return false;
    order = Buffer.compare(row.value ?? Buffer.alloc(0), c.value as Buffer);
  } else {
    const have = !row ? 0 : c.target === 'version' ? row.version : c.target === 'create' ? row.create_rev : c.target === 'mod' ? row.rev : row.lease;
    const want = c.value as number;
    order = have < want ? -1 : have > want ? 1 : 0;
  }
  switch (c.result) {
    case '=': return order === 0;
    case '!=': return order !== 0;
    case '>': return order > 0;
    case '<': return order < 0;
  }
}
