/**
 * A work queue of keys for controllers, shaped like client-go's: a key is never reconciled by
 * two workers at once, a key added while it is queued is coalesced, and a key added while it
 * is being reconciled runs once more afterwards (it may have changed under the reconcile).
 * A reconcile that is not done (false or a throw) is retried with a per-key exponential
 * backoff (client-go's ItemExponentialFailureRateLimiter); success forgets the failures.
 */
import { logger } from '../log/log.ts';
import { isClientError } from './errors.ts';

/**
 * true: done. false or a throw: retry with backoff. A number: done for now, look again after
 * that many milliseconds (a deadline, a grace period) without counting a failure.
 */
export type Reconcile = (key: string) => Promise<boolean | number | void>;

export interface WorkQueueOptions {
  name: string;
  /** Reconciles running at once, on different keys (default 1). */
  workers?: number;
  /** First retry delay; doubles per failure of the same key up to maxRetryMs (default 5 ms). */
  retryMs?: number;
  /** Default 60 s. */
  maxRetryMs?: number;
  /** Queue keys but reconcile none until resume(): controllers wait for their informers' first lists. */
  paused?: boolean;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  /** Keys added while processing: queued again once their reconcile ends. */
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private active = 0;
  private stopped = false;
  private paused: boolean;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly log;

  constructor(private readonly reconcile: Reconcile, private readonly options: WorkQueueOptions) {
    this.log = logger(options.name);
    this.paused = options.paused ?? false;
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.pump();
  }

  /** Adds the key after `ms`; an earlier pending addAfter of the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    if (ms <= 0) return this.add(key);
    // setTimeout fires at once past 2^31-1 ms: a far deadline is looked at again in 24 days.
    ms = Math.min(ms, MAX_TIMER_MS);
    const at = Date.now() + ms;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Retries the key after its backoff, counting one more failure. */
  addRateLimited(key: string): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const base = this.options.retryMs ?? 5;
    const max = this.options.maxRetryMs ?? 60_000;
    this.addAfter(key, Math.min(max, base * 2 ** Math.min(n, 30)));
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  /** How many times in a row the key's reconcile failed. */
  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  get length(): number {
    return this.queue.length;
  }

  /** Resolves when nothing is queued or running (delayed adds not counted): for tests. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
    this.dirty.clear();
  }

  private pump(): void {
    const workers = this.options.workers ?? 1;
    while (!this.paused && this.active < workers && this.queue.length > 0 && !this.stopped) {
      const key = this.queue.shift()!;
      this.queued.delete(key);
      this.processing.add(key);
      this.active++;
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    try {
      const outcome = await this.reconcile(key);
      if (outcome === false) {
        this.addRateLimited(key);
      } else {
        this.forget(key);
        if (typeof outcome === 'number') this.addAfter(key, outcome);
      }
    } catch (err) {
      // A conflict is a controller acting on a cache older than its own last write: the retry,
      // once the informer caught up, is the normal path, not worth a warning.
      if (isClientError(err, 'Conflict')) this.log.debug(`${key}: ${(err as Error).message}`);
      else this.log.warn(`${key}: ${(err as Error).message}`);
      this.addRateLimited(key);
    } finally {
      this.processing.delete(key);
      this.active--;
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
      if (this.queue.length === 0 && this.active === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }
}
