import type Database from 'better-sqlite3';
import { KvError } from '../errors.ts';

/**
 * One unit of write work. `apply` runs inside the shared SQLite transaction (in its own
 * savepoint, so a failing job leaves no trace); `commit` runs only after the fsync, which is
 * where results become visible to watchers and callers.
 */
export interface WriteJob<T> {
  apply(): T;
  committed?(result: T): void;
  /** Undo in-memory state that apply() changed, when the job or the whole batch fails. */
  rollback?(): void;
}

interface Pending {
  job: WriteJob<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

const MAX_BATCH = 2000;

/**
 * Group commit: every write submitted in one turn of the event loop goes into one SQLite
 * transaction and one fsync. With 16 writers in flight that is ~16 writes per fsync, which is
 * how a synchronous=FULL store keeps up with etcd.
 */
export class Committer {
  private queue: Pending[] = [];
  private scheduled = false;
  private closed = false;
  private idle: Array<() => void> = [];
  /** Called after each durable commit, before callers' promises settle. */
  onCommitted: () => void = () => {};

  constructor(private readonly db: Database.Database) {}

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

  /** Stop taking work; resolves once everything already submitted is committed. */
  close(): Promise<void> {
    this.closed = true;
    if (!this.scheduled && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private flush(): void {
    const batch = this.queue.splice(0, MAX_BATCH);
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.db.exec('BEGIN IMMEDIATE');
      for (const p of batch) {
        this.db.exec('SAVEPOINT job');
        try {
          outcomes.push({ ok: true, value: p.job.apply() });
          this.db.exec('RELEASE job');
        } catch (error) {
          this.db.exec('ROLLBACK TO job');
          this.db.exec('RELEASE job');
          p.job.rollback?.();
          outcomes.push({ ok: false, error });
        }
      }
      this.db.exec('COMMIT');
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing of this batch is durable.
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      for (let i = batch.length - 1; i >= 0; i--) if (outcomes[i]?.ok) batch[i]!.job.rollback?.();
      const failure = new KvError('unavailable', `datastore write failed: ${(error as Error).message}`, { cause: error });
      for (const p of batch) p.reject(failure);
      this.after();
      return;
    }
    batch.forEach((p, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) {
        try {
          p.job.committed?.(outcome.value);
        } catch (err) {
          process.emitWarning(`post-commit hook failed: ${(err as Error).message}`);
        }
      }
    });
    this.onCommitted();
    batch.forEach((p, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) p.resolve(outcome.value);
      else p.reject(outcome.error);
    });
    this.after();
  }

  private after(): void {
    if (this.queue.length > 0) {
      setImmediate(() => this.flush());
      return;
    }
    this.scheduled = false;
    if (this.idle.length > 0) for (const done of this.idle.splice(0)) done();
  }
}
