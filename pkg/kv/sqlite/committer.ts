import type Database from 'better-sqlite3';
import { KvError } from '../errors.ts';

/**
 * One unit of write work. `apply` runs inside the shared SQLite transaction (in its own
 * savepoint, so a failing job leaves no trace). `committed` runs right after the COMMIT, to
 * bring in-memory mirrors of the database up to date; the caller's promise settles only once
 * the commit is durable.
 */
export interface WriteJob<T> {
  apply(): T;
  committed?(result: T): void;
  /** Undo in-memory state that apply() changed, when the job or the whole batch fails. */
  rollback?(): void;
  /** Whether this job wrote to the database file (default true); memory-only jobs need no fsync. */
  wroteToDisk?(): boolean;
}

/** Makes everything committed so far durable, off the event loop. */
export interface Durability {
  sync(done: (err: Error | null) => void): void;
}

interface Pending {
  job: WriteJob<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

interface CommittedBatch {
  needsSync: boolean;
  finish(err: Error | null): void;
}

const MAX_BATCH = 2000;

/**
 * Group commit, pipelined. Every write submitted in one turn of the event loop goes into one
 * SQLite transaction. The COMMIT only writes the WAL (synchronous=NORMAL); durability comes
 * from an fdatasync of the WAL on libuv's thread pool, and callers are answered, and watchers
 * told, only when the sync that followed their commit has completed. While one sync runs, the
 * next batches commit and wait for the next sync together, so the event loop never blocks on
 * the disk and many writers share each fsync.
 */
export class Committer {
  private queue: Pending[] = [];
  private scheduled = false;
  private closed = false;
  private idle: Array<() => void> = [];
  private syncing = false;
  private awaitingSync: CommittedBatch[] = [];
  /**
   * Called right after each COMMIT; the function it returns (if any) runs when that commit is
   * durable, before callers' promises settle — where watch events are published.
   */
  onCommitted: () => (() => void) | void = () => {};
  /** Called after each COMMIT that wrote to the database file. */
  onDiskWrite: () => void = () => {};

  private readonly control: Record<'begin' | 'savepoint' | 'release' | 'rollbackTo' | 'commit', Database.Statement>;

  constructor(private readonly db: Database.Database, private readonly durability: Durability) {
    // Prepared once: db.exec would parse these five statements again for every write.
    this.control = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      savepoint: db.prepare('SAVEPOINT job'),
      release: db.prepare('RELEASE job'),
      rollbackTo: db.prepare('ROLLBACK TO job'),
      commit: db.prepare('COMMIT'),
    };
  }

  submit<T>(job: WriteJob<T>): Promise<T> {
    if (this.closed) return Promise.reject(new KvError('closed', 'the datastore is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ job: job as WriteJob<unknown>, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  get pending(): number {
    return this.queue.length;
  }

  /** No write queued, committing or waiting for its sync: the database is at rest. */
  get idleNow(): boolean {
    return !this.scheduled && !this.syncing && this.queue.length === 0 && this.awaitingSync.length === 0;
  }

  /** Stop taking work; resolves once everything already submitted is committed and durable. */
  close(): Promise<void> {
    this.closed = true;
    return new Promise((resolve) => {
      this.idle.push(resolve);
      this.checkIdle();
    });
  }

  private flush(): void {
    const batch = this.queue.splice(0, MAX_BATCH);
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      const c = this.control;
      c.begin.run();
      for (const p of batch) {
        c.savepoint.run();
        try {
          outcomes.push({ ok: true, value: p.job.apply() });
          c.release.run();
        } catch (error) {
          c.rollbackTo.run();
          c.release.run();
          p.job.rollback?.();
          outcomes.push({ ok: false, error });
        }
      }
      c.commit.run();
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing of this batch was written.
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      for (let i = batch.length - 1; i >= 0; i--) if (outcomes[i]?.ok) batch[i]!.job.rollback?.();
      const failure = new KvError('unavailable', `datastore write failed: ${(error as Error).message}`, { cause: error });
      for (const p of batch) p.reject(failure);
      this.after();
      return;
    }
    let needsSync = false;
    batch.forEach((p, i) => {
      const outcome = outcomes[i]!;
      if (!outcome.ok) return;
      if (p.job.wroteToDisk?.() ?? true) needsSync = true;
      try {
        p.job.committed?.(outcome.value);
      } catch (err) {
        process.emitWarning(`post-commit hook failed: ${(err as Error).message}`);
      }
    });
    if (needsSync) this.onDiskWrite();
    const publish = this.onCommitted();
    this.awaitingSync.push({
      needsSync,
      finish: (err) => {
        if (!err && publish) publish();
        batch.forEach((p, i) => {
          const outcome = outcomes[i]!;
          if (err && outcome.ok) {
            p.reject(new KvError('unavailable', `datastore sync failed: ${err.message}`, { cause: err }));
          } else if (outcome.ok) p.resolve(outcome.value);
          else p.reject(outcome.error);
        });
      },
    });
    this.drainDurable();
    this.after();
  }

  /**
   * Finishes committed batches in commit order: those that need no fsync as soon as nothing
   * before them waits for one, the others once a sync started after their commit completes.
   */
  private drainDurable(): void {
    if (this.syncing) return;
    while (this.awaitingSync.length > 0 && !this.awaitingSync[0]!.needsSync) this.awaitingSync.shift()!.finish(null);
    if (this.awaitingSync.length === 0) {
      this.checkIdle();
      return;
    }
    const group = this.awaitingSync.splice(0);
    this.syncing = true;
    this.durability.sync((err) => {
      this.syncing = false;
      if (err) process.emitWarning(`datastore fsync failed: ${err.message}`);
      for (const b of group) b.finish(err);
      this.drainDurable();
    });
  }

  private after(): void {
    if (this.queue.length > 0) {
      setImmediate(() => this.flush());
      return;
    }
    this.scheduled = false;
    this.checkIdle();
  }

  private checkIdle(): void {
    if (!this.idleNow) return;
    if (this.idle.length > 0) for (const done of this.idle.splice(0)) done();
  }
}
