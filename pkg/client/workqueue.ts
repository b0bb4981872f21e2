/**
 * A work queue of keys for controllers: each key is reconciled by one call at a time, keys
 * added while queued are coalesced, and a reconcile that is not done (false or a throw) is
 * retried after a delay. The shape of client-go's workqueue, without rate-limit tiers yet.
 */
import { logger } from '../log/log.ts';

export type Reconcile = (key: string) => Promise<boolean>;

export class WorkQueue {
  private readonly pending = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = false;
  private stopped = false;
  private readonly log;

  constructor(private readonly reconcile: Reconcile, private readonly options: { name: string; retryMs?: number }) {
    this.log = logger(options.name);
  }

  add(key: string): void {
    if (this.stopped) return;
    this.pending.add(key);
    void this.drain();
  }

  addAfter(key: string, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.pending.clear();
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.pending.size > 0 && !this.stopped) {
        const key = this.pending.values().next().value as string;
        this.pending.delete(key);
        const retry = this.options.retryMs ?? 1000;
        try {
          if (!(await this.reconcile(key))) this.addAfter(key, retry);
        } catch (err) {
          this.log.warn(`${key}: ${(err as Error).message}`);
          this.addAfter(key, retry);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
