import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { KvError } from '../errors.ts';
import type {
  Backend, BackendStatus, LeaseGrant, LeaseTimeToLive, RangeOptions, RangeResult, TxnRequest, TxnResult,
  Watch, WatchBatch, WatchEvent, WatchOptions,
} from '../types.ts';
import { TxnApplier } from './apply.ts';
import { Committer } from './committer.ts';
import { Compactor, type CompactionOptions } from './compactor.ts';
import { Lessor, MAX_TTL_SECONDS, MIN_TTL_SECONDS } from './lessor.ts';
import { betterSqliteNativeBinding } from './native.ts';
import { Queries } from './queries.ts';
import { checkReadRevision, readRange } from './read.ts';
import { ReaderPool } from './reader.ts';
import { configureWriter, migrate, readMeta } from './schema.ts';
import { validateTxn } from './validate.ts';
import { WatchHub } from './watch.ts';

export interface SqliteBackendOptions {
  file: string;
  compaction?: Partial<CompactionOptions>;
  /** Events kept in memory for watchers that resume (default 20,000). */
  watchRingEvents?: number;
  /** How often watchers that asked for progress notifications get one (default 10 s). */
  progressIntervalMs?: number;
}

/** A range larger than this is read in pages from a snapshot, yielding between pages. */
const SYNC_RANGE_LIMIT = 1000;

export class SqliteBackend implements Backend {
  readonly name: string;
  private rev: number;
  private compactRev: number;
  private closing = false;
  private readonly q: Queries;
  private readonly committer: Committer;
  private readonly hub: WatchHub;
  private readonly lessor: Lessor;
  private readonly compactor: Compactor;
  private readonly readers: ReaderPool;
  private pendingEvents: WatchEvent[] = [];

  constructor(private readonly db: Database.Database, private readonly options: SqliteBackendOptions) {
    this.name = `sqlite ${options.file}`;
    this.q = new Queries(db);
    const maxRev = (this.q.stmt('maxRev').get() as { rev: number | null }).rev ?? 0;
    this.compactRev = readMeta(db, 'compact_rev');
    this.rev = Math.max(maxRev, this.compactRev, readMeta(db, 'rev_floor'));
    this.committer = new Committer(db);
    this.committer.onCommitted = () => {
      this.publish();
      this.compactor?.afterCommit();
    };
    this.hub = new WatchHub(
      { history: (from, after, limit) => this.q.history(from, this.rev, after, limit), rowById: (id) => this.q.byId(id) },
      { currentRev: () => this.rev, compactRev: () => this.compactRev },
      { ringEvents: options.watchRingEvents ?? 20_000, progressIntervalMs: options.progressIntervalMs ?? 10_000 },
    );
    this.lessor = new Lessor((id) => {
      this.leaseRevoke(id).catch(() => {});
    });
    for (const row of this.q.stmt('allLeases').all() as Array<{ id: number; ttl: number }>) this.lessor.add(row.id, row.ttl);
    for (const row of this.q.stmt('liveLeases').all() as Array<{ key: Buffer; lease: number }>) {
      this.lessor.attach(row.key.toString('latin1'), 0, row.lease);
    }
    this.lessor.start();
    this.readers = new ReaderPool(options.file, betterSqliteNativeBinding());
    this.compactor = new Compactor(db, this.q, this.committer, {
      currentRev: () => this.rev,
      compactRev: () => this.compactRev,
      compact: (rev) => this.compact(rev),
    }, options.compaction);
    this.compactor.start();
  }

  get revision(): number {
    return this.rev;
  }

  async range(key: string, options: RangeOptions = {}): Promise<RangeResult> {
    this.assertOpen();
    checkReadRevision(options.revision, this.rev, this.compactRev);
    const single = options.end === undefined || options.end === '';
    const small = options.limit !== undefined && options.limit > 0 && options.limit <= SYNC_RANGE_LIMIT;
    if (single || small || options.countOnly) return readRange(this.q, key, options, this.rev, options.revision ?? 0);
    return this.readers.pagedRange(key, options, this.rev, SYNC_RANGE_LIMIT);
  }

  txn(request: TxnRequest): Promise<TxnResult> {
    try {
      this.assertOpen();
      validateTxn(request);
    } catch (err) {
      return Promise.reject(err);
    }
    let before = 0;
    let applier: TxnApplier | undefined;
    return this.committer.submit({
      apply: () => {
        before = this.rev;
        applier = new TxnApplier(this.q, this.rev, this.compactRev, (id) => this.lessor.has(id));
        const result = applier.run(request);
        this.rev = applier.revision;
        return result;
      },
      rollback: () => {
        this.rev = before;
      },
      committed: () => {
        const effects = applier!.effects;
        for (const move of effects.leaseMoves) this.lessor.attach(move.key, move.from, move.to);
        for (const e of effects.events) this.pendingEvents.push(e);
      },
    });
  }

  async compact(revision: number): Promise<void> {
    this.assertOpen();
    if (revision <= this.compactRev) {
      throw new KvError('compacted', 'mvcc: required revision has been compacted', { compactRevision: this.compactRev });
    }
    if (revision > this.rev) throw new KvError('future-revision', 'mvcc: required revision is a future revision');
    await this.committer.submit({ apply: () => this.q.setMeta('compact_rev', revision) });
    if (revision > this.compactRev) this.compactRev = revision;
    this.hub.compacted(revision);
    this.compactor.purgeThrough(revision);
  }

  watch(key: string, options: WatchOptions, handler: (batch: WatchBatch) => void): Watch {
    if (this.closing) {
      setImmediate(() => handler({ events: [], revision: this.rev, error: new KvError('closed', 'the datastore is closed') }));
      return { cancel() {}, requestProgress() {} };
    }
    return this.hub.watch(key, options, handler);
  }

  async leaseGrant(ttl: number, id = 0): Promise<LeaseGrant> {
    this.assertOpen();
    if (!Number.isFinite(ttl) || ttl > MAX_TTL_SECONDS) throw new KvError('invalid-ttl', 'etcdserver: too large lease TTL');
    const granted = Math.max(MIN_TTL_SECONDS, Math.ceil(ttl));
    if (id < 0 || !Number.isSafeInteger(id)) throw new KvError('lease-not-found', 'etcdserver: requested lease not found');
    const leaseId = id === 0 ? this.lessor.newId() : id;
    if (this.lessor.has(leaseId)) throw new KvError('lease-exists', 'etcdserver: lease already exists');
    await this.committer.submit({
      apply: () => {
        if (this.lessor.has(leaseId)) throw new KvError('lease-exists', 'etcdserver: lease already exists');
        this.q.stmt('insertLease').run(leaseId, granted);
        this.lessor.add(leaseId, granted);
      },
      rollback: () => this.lessor.remove(leaseId),
    });
    return { id: leaseId, ttl: granted };
  }

  async leaseRevoke(id: number): Promise<void> {
    this.assertOpen();
    if (!this.lessor.has(id)) throw new KvError('lease-not-found', 'etcdserver: requested lease not found');
    let applier: TxnApplier | undefined;
    let before = 0;
    await this.committer.submit({
      apply: () => {
        if (!this.lessor.has(id)) throw new KvError('lease-not-found', 'etcdserver: requested lease not found');
        before = this.rev;
        applier = new TxnApplier(this.q, this.rev, this.compactRev, () => true);
        applier.run({ success: this.lessor.keysOf(id).sort().map((key) => ({ type: 'delete' as const, key })) });
        this.rev = applier.revision;
        this.q.stmt('deleteLease').run(id);
      },
      rollback: () => {
        this.rev = before;
      },
      committed: () => {
        for (const e of applier!.effects.events) this.pendingEvents.push(e);
        this.lessor.remove(id);
      },
    });
  }

  async leaseKeepAlive(id: number): Promise<LeaseGrant> {
    this.assertOpen();
    return { id, ttl: this.lessor.renew(id) };
  }

  async leaseTimeToLive(id: number, withKeys = false): Promise<LeaseTimeToLive> {
    this.assertOpen();
    const t = this.lessor.timeToLive(id);
    if (!t) return { id, ttl: -1, grantedTtl: 0, keys: [] };
    return { id, ttl: t.ttl, grantedTtl: t.grantedTtl, keys: withKeys ? this.lessor.keysOf(id).sort() : [] };
  }

  async leaseList(): Promise<number[]> {
    this.assertOpen();
    return this.lessor.ids();
  }

  async status(): Promise<BackendStatus> {
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    let walBytes = 0;
    try {
      walBytes = fs.statSync(`${this.options.file}-wal`).size;
    } catch {
      // No WAL file right after a checkpoint that truncated it.
    }
    return {
      revision: this.rev,
      compactRevision: this.compactRev,
      dbSize: pages * pageSize + walBytes,
      dbSizeInUse: (pages - free) * pageSize,
      version: '3.5.0',
    };
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.compactor.stop();
    this.lessor.stop();
    await this.committer.close();
    this.hub.close();
    this.readers.close();
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }

  private publish(): void {
    if (this.pendingEvents.length === 0) return;
    const events = this.pendingEvents;
    this.pendingEvents = [];
    this.hub.publish(events, this.rev);
  }

  private assertOpen(): void {
    if (this.closing) throw new KvError('closed', 'the datastore is closed');
  }
}

export async function openSqliteBackend(options: SqliteBackendOptions): Promise<SqliteBackend> {
  fs.mkdirSync(path.dirname(options.file), { recursive: true, mode: 0o700 });
  const nativeBinding = betterSqliteNativeBinding();
  const db = new Database(options.file, nativeBinding ? { nativeBinding } : {});
  try {
    configureWriter(db);
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return new SqliteBackend(db, options);
}
