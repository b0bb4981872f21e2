import type Database from 'better-sqlite3';
import { isKvError } from '../errors.ts';
import type { Committer } from './committer.ts';
import type { Queries } from './queries.ts';

export interface CompactionOptions {
  /** How often the compactor looks at the history (ms). */
  intervalMs: number;
  /** Revisions of history kept behind the current one (kine keeps 1,000). */
  retainRevisions: number;
  /** Compact at once, without waiting for the timer, when this much history has piled up. */
  burstRevisions: number;
  /** Log rows examined per delete batch: bounds how long one batch holds the writer. */
  batchRows: number;
}

const DEFAULTS: CompactionOptions = { intervalMs: 60_000, retainRevisions: 1000, burstRevisions: 2000, batchRows: 2000 };

/**
 * Automatic compaction. The logical step (moving the compact revision) is one tiny write; the
 * physical step deletes superseded rows in short batches queued behind ordinary writes, so it
 * never holds the writer for long, then hands free pages back to the file system a little at
 * a time (auto_vacuum=INCREMENTAL), so steady churn does not grow the file without bound.
 */
export class Compactor {
  private readonly options: CompactionOptions;
  private timer: NodeJS.Timeout | undefined;
  /** Per store: the log id below which every row has been examined. */
  private readonly purgedIds = new Map<Queries, number>();
  private target = 0;
  private running = false;
  private stopped = false;

  constructor(
    private readonly db: Database.Database,
    private readonly stores: Queries[],
    private readonly committer: Committer,
    private readonly store: { currentRev(): number; compactRev(): number; compact(rev: number): Promise<void> },
    options: Partial<CompactionOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  start(): void {
    for (const q of this.stores) this.purgedIds.set(q, q.schema === 'main' ? (q.stmt('getMeta').get('purged_id') as { value: number } | undefined)?.value ?? 0 : 0);
    this.timer = setInterval(() => this.auto(), this.options.intervalMs);
    this.timer.unref();
    const compactRev = this.store.compactRev();
    if (compactRev > 0) this.purgeThrough(compactRev);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }

  /** Cheap check after each commit, for bursts of writes between timer ticks. */
  afterCommit(): void {
    if (this.store.currentRev() - this.store.compactRev() > this.options.burstRevisions + this.options.retainRevisions) this.auto();
  }

  private auto(): void {
    const target = this.store.currentRev() - this.options.retainRevisions;
    if (target <= this.store.compactRev() || this.stopped) return;
    this.store.compact(target).catch((err) => {
      if (!isKvError(err, 'compacted') && !isKvError(err, 'closed')) process.emitWarning(`automatic compaction failed: ${(err as Error).message}`);
    });
  }

  /** Physically delete what a compaction at `rev` made unreachable. */
  purgeThrough(rev: number): void {
    if (rev > this.target) this.target = rev;
    if (!this.running) void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (!this.stopped) {
        const target = this.target;
        let progressed = false;
        for (const q of this.stores) {
          const upTo = (q.stmt('idBelowRev').get(target) as { id: number | null }).id ?? 0;
          const lo = this.purgedIds.get(q) ?? 0;
          if (lo >= upTo) continue;
          const hi = Math.min(upTo, lo + this.options.batchRows);
          await this.committer.submit({
            apply: () => {
              q.stmt('compactPredecessors').run(lo, hi);
              q.stmt('compactTombstones').run(lo, hi);
              if (q.schema === 'main') {
                q.setMeta('purged_id', hi);
                q.setMeta('compact_rev', target);
              }
            },
            wroteToDisk: () => q.schema === 'main',
          });
          this.purgedIds.set(q, hi);
          progressed = true;
        }
        if (!progressed) break;
      }
      if (!this.stopped) await this.vacuum();
    } catch (err) {
      if (!isKvError(err, 'closed')) process.emitWarning(`compaction purge failed: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
  }

  /** Return free pages to the file system once they are a sizeable part of the file. */
  private async vacuum(): Promise<void> {
    for (;;) {
      const free = this.db.pragma('freelist_count', { simple: true }) as number;
      const pages = this.db.pragma('page_count', { simple: true }) as number;
      if (free < 256 || free < pages / 4 || this.stopped) return;
      await this.committer.submit({ apply: () => this.db.pragma('incremental_vacuum(512)') });
    }
  }
}
