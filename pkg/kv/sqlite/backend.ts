import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { KvError, kvErrors } from '../errors.ts';
import { isSingleKey, RANGE_END_ALL } from '../keys.ts';
import type { SnapshotChunk, SnapshotChunks } from '../../snapshot/source.ts';
import type {
  Backend, BackendStatus, KeyValue, LeaseGrant, LeaseTimeToLive, RangeOptions, RangeResult, TxnRequest, TxnResult,
  Watch, WatchBatch, WatchEvent, WatchOptions,
} from '../types.ts';
import { TxnApplier } from './apply.ts';
import { Committer, type WriteJob } from './committer.ts';
import { Compactor, type CompactionOptions } from './compactor.ts';
import { WalSync } from './durability.ts';
import { KeySpaceHistory } from './history.ts';
import { KeySpace } from './keyspace.ts';
import { Lessor, MAX_TTL_SECONDS, MIN_TTL_SECONDS } from './lessor.ts';
import { betterSqliteNativeBinding } from './native.ts';
import { Queries } from './queries.ts';
import { checkReadRevision, readRange } from './read.ts';
import { ReaderPool } from './reader.ts';
import { attachMemory, configureWriter, migrate, readMeta, refuseForeign } from './schema.ts';
import { validateTxn } from './validate.ts';
import { VolatileCheckpointer } from './volatile.ts';
import { WalTrimmer } from './waltrim.ts';
import { WatchHub } from './watch.ts';

export interface SqliteBackendOptions {
  file: string;
  compaction?: Partial<CompactionOptions>;
  /** Events kept in memory for watchers that resume (default 20,000, and at most 16 MiB of them). */
  watchRingEvents?: number;
  watchRingBytes?: number;
  /** How often watchers that asked for progress notifications get one (default 10 s). */
  progressIntervalMs?: number;
  /**
   * Key prefixes held in memory and checkpointed (see volatile.ts); none by default, so the
   * plain store keeps etcd's every-write-durable contract. The server passes Kubernetes'
   * Lease and Event prefixes.
   */
  volatilePrefixes?: string[];
  /** How often volatile keys are checkpointed to disk (default 10 minutes). */
  volatileCheckpointMs?: number;
  /** After this long without writes the WAL is folded into the file and truncated (default 30 s). */
  walQuietMs?: number;
}

/** A range larger than this is read in pages from a snapshot, yielding between pages. */
const SYNC_RANGE_LIMIT = 1000;
/**
 * Revisions handed to volatile writes are not on disk, so a durable "floor" is kept ahead of
 * them: after a crash the store resumes above every revision it may have handed out.
 */
const REV_FLOOR_STEP = 10_000;

export class SqliteBackend implements Backend {
  readonly name: string;
  /** The newest revision committed (visible to reads). */
  private rev: number;
  /** The newest revision durable and published to watchers; watchers live by this one. */
  private durableRev: number;
  private compactRev: number;
  private revFloor: number;
  /** Volatile history before this revision was lost with the last restart. */
  private readonly volatileHistoryFloor: number;
  private closing = false;
  private readonly ks: KeySpace;
  private readonly committer: Committer;
  private readonly hub: WatchHub;
  private readonly lessor: Lessor;
  private readonly compactor: Compactor;
  private readonly readers: ReaderPool;
  private readonly checkpointer: VolatileCheckpointer;
  private pendingEvents: WatchEvent[] = [];
  private readonly walSync: WalSync;
  private readonly walTrimmer: WalTrimmer;

  constructor(private readonly db: Database.Database, private readonly options: SqliteBackendOptions) {
    this.name = `sqlite ${options.file}`;
    const main = new Queries(db, 'main');
    const volatile = options.volatilePrefixes ?? [];
    this.ks = new KeySpace(main, volatile.length > 0 ? new Queries(db, 'mem') : undefined, volatile);
    this.walSync = new WalSync(options.file);
    this.committer = new Committer(db, this.walSync);
    this.walTrimmer = new WalTrimmer(db, () => this.committer.idleNow, options.walQuietMs ?? 30_000);
    this.committer.onDiskWrite = () => this.walTrimmer.wrote();
    this.checkpointer = new VolatileCheckpointer(db, this.ks, this.committer, options.volatileCheckpointMs ?? 600_000);
    const volatileMax = this.checkpointer.load();
    const maxRev = (main.stmt('maxRev').get() as { rev: number | null }).rev ?? 0;
    this.compactRev = readMeta(db, 'compact_rev');
    this.revFloor = readMeta(db, 'rev_floor');
    this.rev = Math.max(maxRev, this.compactRev, this.revFloor, volatileMax);
    this.durableRev = this.rev;
    this.volatileHistoryFloor = this.rev + 1;
    this.committer.onCommitted = () => {
      this.compactor?.afterCommit();
      const events = this.pendingEvents;
      const rev = this.rev;
      this.pendingEvents = [];
      return () => {
        this.durableRev = rev;
        if (events.length > 0) this.hub.publish(events, rev);
      };
    };
    this.hub = new WatchHub(
      new KeySpaceHistory(this.ks, () => this.durableRev),
      { currentRev: () => this.durableRev, compactRev: () => this.compactRev },
      { ringEvents: options.watchRingEvents ?? 20_000, ringBytes: options.watchRingBytes ?? 16 * 1024 * 1024, progressIntervalMs: options.progressIntervalMs ?? 10_000 },
    );
    this.lessor = new Lessor((id) => {
      this.leaseRevoke(id).catch(() => {});
    });
    for (const row of main.stmt('allLeases').all() as Array<{ id: number; ttl: number }>) this.lessor.add(row.id, row.ttl);
    for (const q of [main, this.ks.mem]) {
      if (!q) continue;
      for (const row of q.stmt('liveLeases').all() as Array<{ key: Buffer; lease: number }>) this.lessor.attach(row.key.toString('latin1'), 0, row.lease);
    }
    this.lessor.start();
    this.readers = new ReaderPool(options.file, betterSqliteNativeBinding());
    this.compactor = new Compactor(db, [main, ...(this.ks.mem ? [this.ks.mem] : [])], this.committer, {
      currentRev: () => this.rev,
      compactRev: () => this.compactRev,
      compact: (rev) => this.compact(rev),
    }, options.compaction);
    this.compactor.start();
    if (this.ks.hasVolatile) this.checkpointer.start();
    this.walTrimmer.start(Math.min(10_000, Math.max(50, options.walQuietMs ?? 10_000)));
  }

  get revision(): number {
    return this.rev;
  }

  currentRevision(): number {
    return this.rev;
  }

  async range(key: string, options: RangeOptions = {}): Promise<RangeResult> {
    this.assertOpen();
    if (key.length === 0) throw kvErrors.emptyKey();
    checkReadRevision(options.revision, this.rev, this.compactRev);
    this.checkVolatileHistory(key, options.end, options.revision);
    const single = isSingleKey(options.end);
    const small = options.limit !== undefined && options.limit > 0 && options.limit <= SYNC_RANGE_LIMIT;
    const stores = this.ks.forRange(key, options.end);
    if (single || small || options.countOnly || !stores.includes(this.ks.main)) {
      return readRange(this.ks, key, options, this.rev, options.revision ?? 0);
    }
    const mem = this.ks.mem;
    if (!mem || stores.length === 1) return this.readers.pagedRange(key, options, () => this.rev, SYNC_RANGE_LIMIT);
    // Both stores: the durable part is paged from a snapshot, the in-memory part (small) is
    // read in the very tick that snapshot is taken, so the two agree on one revision.
    let memPart: RangeResult | undefined;
    const mainPart = await this.readers.pagedRange(key, options, () => this.rev, SYNC_RANGE_LIMIT, (rev) => {
      memPart = readRange(mem, key, options, rev, options.revision ?? 0);
    });
    return mergeRanges(mainPart, memPart!, options.limit ?? 0);
  }

  txn(request: TxnRequest): Promise<TxnResult> {
    try {
      this.assertOpen();
      validateTxn(request);
    } catch (err) {
      return Promise.reject(err);
    }
    let applier: TxnApplier | undefined;
    return this.committer.submit(this.revisionJob(() => {
      applier = new TxnApplier(this.ks, this.rev, this.compactRev, (id) => this.lessor.has(id));
      const result = applier.run(request);
      return { result, revision: applier.revision, wroteToDisk: applier.wroteToDisk };
    }, () => {
      const effects = applier!.effects;
      for (const move of effects.leaseMoves) this.lessor.attach(move.key, move.from, move.to);
      this.queueEvents(effects.events);
    }));
  }

  async compact(revision: number): Promise<void> {
    this.assertOpen();
    if (revision <= this.compactRev) {
      throw kvErrors.compacted(this.compactRev);
    }
    if (revision > this.rev) throw kvErrors.futureRevision();
    // Held in memory: the compact revision reaches the file only with the first purge of file
    // rows below it (same transaction, compactor.ts), so a cluster whose only writes are to
    // volatile keys compacts without writing to disk, and after a restart the file never
    // claims history it no longer has.
    this.compactRev = revision;
    this.hub.compacted(revision);
    this.compactor.purgeThrough(revision);
  }

  watch(key: string, options: WatchOptions, handler: (batch: WatchBatch) => void): Watch {
    const lost = this.closing
      ? new KvError('closed', 'the datastore is closed')
      : this.volatileHistoryLost(key, options.end, options.startRevision);
    if (lost) {
      setImmediate(() => handler({ events: [], revision: this.rev, error: lost }));
      return { cancel() {}, requestProgress() {} };
    }
    return this.hub.watch(key, options, handler);
  }

  async leaseGrant(ttl: number, id = 0): Promise<LeaseGrant> {
    this.assertOpen();
    if (!Number.isFinite(ttl) || ttl > MAX_TTL_SECONDS) throw new KvError('invalid-ttl', 'etcdserver: too large lease TTL');
    const granted = Math.max(MIN_TTL_SECONDS, Math.ceil(ttl));
    if (id < 0 || !Number.isSafeInteger(id)) throw kvErrors.leaseNotFound();
    const leaseId = id === 0 ? this.lessor.newId() : id;
    if (this.lessor.has(leaseId)) throw new KvError('lease-exists', 'etcdserver: lease already exists');
    await this.committer.submit({
      apply: () => {
        if (this.lessor.has(leaseId)) throw new KvError('lease-exists', 'etcdserver: lease already exists');
        this.ks.main.stmt('insertLease').run(leaseId, granted);
        this.lessor.add(leaseId, granted);
      },
      rollback: () => this.lessor.remove(leaseId),
    });
    return { id: leaseId, ttl: granted };
  }

  async leaseRevoke(id: number): Promise<void> {
    this.assertOpen();
    if (!this.lessor.has(id)) throw kvErrors.leaseNotFound();
    let applier: TxnApplier | undefined;
    await this.committer.submit(this.revisionJob(() => {
      if (!this.lessor.has(id)) throw kvErrors.leaseNotFound();
      applier = new TxnApplier(this.ks, this.rev, this.compactRev, () => true);
      applier.run({ success: this.lessor.keysOf(id).sort().map((key) => ({ type: 'delete' as const, key })) });
      this.ks.main.stmt('deleteLease').run(id);
      return { result: undefined, revision: applier.revision, wroteToDisk: true };
    }, () => {
      this.queueEvents(applier!.effects.events);
      this.lessor.remove(id);
    }));
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
    const pages = this.db.pragma('main.page_count', { simple: true }) as number;
    const free = this.db.pragma('main.freelist_count', { simple: true }) as number;
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

  /**
   * The snapshot of the whole store at one revision (pkg/snapshot): file keys from one read
   * transaction, and in the tick that transaction's snapshot is taken, the in-memory volatile
   * keys and the leases, so all three agree on one revision while writes go on.
   */
  async *snapshotChunks(pageSize = 1000): SnapshotChunks {
    this.assertOpen();
    let pinned: SnapshotChunk | undefined;
    let memKvs: KeyValue[] = [];
    const pages = this.readers.allKeys(() => this.rev, pageSize, (rev) => {
      const mem = this.ks.mem;
      if (mem) memKvs = readRange(mem, '\0', { end: RANGE_END_ALL }, rev, 0).kvs;
      const leases = (this.ks.main.stmt('allLeases').all() as Array<{ id: number; ttl: number }>).filter((l) => this.lessor.has(l.id));
      pinned = { type: 'pinned', revision: rev, compactRevision: this.compactRev, leases };
    });
    let announced = false;
    for await (const kvs of pages) {
      if (!announced) yield pinned!;
      announced = true;
      yield { type: 'kvs', kvs };
    }
    // An empty file yields no page; the snapshot was pinned all the same.
    if (!announced) yield pinned!;
    if (memKvs.length > 0) yield { type: 'kvs', kvs: memKvs };
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.compactor.stop();
    this.walTrimmer.stop();
    this.lessor.stop();
    this.checkpointer.stop();
    // The last write of a clean shutdown: volatile keys as they are, and the exact revision, so
    // a clean restart loses nothing and does not skip revisions.
    if (this.ks.hasVolatile) {
      await this.committer.submit({
        apply: () => {
          this.checkpointer.writeJob();
          this.ks.main.setMeta('rev_floor', this.rev);
        },
      }).catch(() => {});
    }
    await this.committer.close();
    this.hub.close();
    this.readers.close();
    this.db.pragma('main.wal_checkpoint(TRUNCATE)');
    this.walSync.close();
    this.db.close();
  }

  /**
   * A write job that may take a revision: keeps this.rev in step inside the batch, restores it
   * if the job or the batch fails, and moves the durable revision floor ahead when needed.
   */
  private revisionJob<T>(apply: () => { result: T; revision: number; wroteToDisk: boolean }, committed: () => void): WriteJob<T> {
    let before = 0;
    let floorBefore = 0;
    let disk = true;
    return {
      apply: () => {
        before = this.rev;
        floorBefore = this.revFloor;
        const { result, revision, wroteToDisk } = apply();
        disk = wroteToDisk;
        this.rev = revision;
        if (this.ks.hasVolatile && this.rev > this.revFloor) {
          this.revFloor = this.rev + REV_FLOOR_STEP;
          this.ks.main.setMeta('rev_floor', this.revFloor);
          disk = true;
        }
        return result;
      },
      wroteToDisk: () => disk,
      rollback: () => {
        this.rev = before;
        this.revFloor = floorBefore;
      },
      committed,
    };
  }

  private queueEvents(events: WatchEvent[]): void {
    for (const e of events) this.pendingEvents.push(e);
    if (this.ks.hasVolatile) this.checkpointer.noteEvents(events);
  }

  private volatileHistoryLost(key: string, end: string | undefined, fromRev: number | undefined): KvError | undefined {
    if (!fromRev || fromRev <= 0 || fromRev >= this.volatileHistoryFloor || !this.ks.touchesVolatile(key, end)) return undefined;
    const compactRevision = Math.max(this.compactRev, this.volatileHistoryFloor);
    return kvErrors.compacted(compactRevision);
  }

  private checkVolatileHistory(key: string, end: string | undefined, rev: number | undefined): void {
    const lost = this.volatileHistoryLost(key, end, rev);
    if (lost) throw lost;
  }

  private assertOpen(): void {
    if (this.closing) throw new KvError('closed', 'the datastore is closed');
  }
}

function mergeRanges(a: RangeResult, b: RangeResult, limit: number): RangeResult {
  let kvs: KeyValue[] = [...a.kvs, ...b.kvs].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  if (limit > 0) kvs = kvs.slice(0, limit);
  const count = a.count + b.count;
  return { kvs, count, more: count > kvs.length, revision: a.revision };
}

export async function openSqliteBackend(options: SqliteBackendOptions): Promise<SqliteBackend> {
  fs.mkdirSync(path.dirname(options.file), { recursive: true, mode: 0o700 });
  const nativeBinding = betterSqliteNativeBinding();
  const db = new Database(options.file, nativeBinding ? { nativeBinding } : {});
  try {
    // Before any pragma writes: switching another program's database to WAL would change its file.
    refuseForeign(db, options.file);
    configureWriter(db);
    migrate(db, options.file);
    if ((options.volatilePrefixes ?? []).length > 0) attachMemory(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return new SqliteBackend(db, options);
}
