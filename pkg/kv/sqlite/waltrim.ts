import type Database from 'better-sqlite3';

/**
 * Folds the WAL back into the database file and truncates it once writes have paused, so a
 * store at rest is one compact file (what k3s users see grow: state.db-wal). Under load SQLite's
 * own auto-checkpoint keeps the WAL near journal_size_limit instead.
 */
export class WalTrimmer {
  private timer: NodeJS.Timeout | undefined;
  private lastWrite = Date.now();
  private trimmedSinceWrite = true;

  constructor(private readonly db: Database.Database, private readonly canRun: () => boolean, private readonly quietMs = 30_000) {}

  start(checkEveryMs = 10_000): void {
    this.timer = setInterval(() => this.tick(), checkEveryMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Note a commit that wrote to the file. */
  wrote(): void {
    this.lastWrite = Date.now();
    this.trimmedSinceWrite = false;
  }

  private tick(): void {
    if (this.trimmedSinceWrite || Date.now() - this.lastWrite < this.quietMs || !this.canRun()) return;
    // TRUNCATE waits for nothing: with a reader mid-snapshot it reports busy and we try later.
    const [result] = this.db.pragma('main.wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
    if (result && result.busy === 0) this.trimmedSinceWrite = true;
  }
}
