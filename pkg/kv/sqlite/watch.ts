import { KvError, kvErrors } from '../errors.ts';
import { inRange } from '../keys.ts';
import type { Watch, WatchBatch, WatchEvent, WatchOptions } from '../types.ts';
import { rowToKeyValue, type LogRow } from './queries.ts';

/** Where a watcher that starts in the past reads the history that the ring no longer holds. */
export interface HistorySource {
  /**
   * The next page of history at or after fromRev in revision order, resuming after `cursor`
   * (undefined: from the start). `done` means the page reaches the current revision, so the
   * watcher can go live in the same tick.
   */
  page(fromRev: number, cursor: unknown): { rows: LogRow[]; cursor: unknown; done: boolean };
  predecessor(row: LogRow): LogRow | undefined;
}

interface Watcher {
  start: string;
  end: string | undefined;
  options: WatchOptions;
  handler: (batch: WatchBatch) => void;
  /** The next revision this watcher has not yet been given. */
  nextRev: number;
  live: boolean;
  done: boolean;
  deliveredSinceTick: boolean;
}

/**
 * Fans committed events out to watchers. Recent events stay in a ring, so a watcher resuming
 * from a recent revision is served from memory; older starts page through the log on disk
 * without blocking the event loop, then switch to live delivery in the same tick as their last
 * page, so no revision is missed or repeated.
 */
export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  private ring: WatchEvent[] = [];
  private ringStart = 0;
  private ringBytes = 0;
  /** Every event with revision >= ringFloor is in the ring. */
  private ringFloor: number;
  private progressTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly history: HistorySource,
    private readonly state: { currentRev(): number; compactRev(): number },
    private readonly limits: { ringEvents: number; ringBytes: number; progressIntervalMs: number },
  ) {
    this.ringFloor = state.currentRev() + 1;
    this.progressTimer = setInterval(() => this.progressTick(), limits.progressIntervalMs);
    this.progressTimer.unref();
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  watch(key: string, options: WatchOptions, handler: (batch: WatchBatch) => void): Watch {
    const current = this.state.currentRev();
    const start = options.startRevision && options.startRevision > 0 ? options.startRevision : current + 1;
    const w: Watcher = {
      start: key, end: options.end, options, handler, nextRev: start,
      live: start > current, done: false, deliveredSinceTick: false,
    };
    this.watchers.add(w);
    if (!w.live) setImmediate(() => this.catchUp(w, undefined, true));
    return {
      cancel: () => this.remove(w),
      requestProgress: () => {
        if (w.live && !w.done) this.deliver(w, { events: [], revision: this.state.currentRev() });
      },
    };
  }

  /** Called after each durable commit with the events of its revisions, in order. */
  publish(events: WatchEvent[], revision: number): void {
    if (events.length > 0) this.remember(events);
    for (const w of this.watchers) {
      if (!w.live || w.done) continue;
      const mine = events.filter((e) => e.kv.modRevision >= w.nextRev && this.matches(w, e)).map((e) => this.shape(w, e));
      w.nextRev = revision + 1;
      if (mine.length > 0) this.deliver(w, { events: mine, revision });
    }
  }

  /** A compaction ends the watchers still reading history below it, as etcd does. */
  compacted(compactRev: number): void {
    for (const w of this.watchers) {
      if (!w.live && w.nextRev < compactRev) this.fail(w, kvErrors.compacted(compactRev));
    }
  }

  close(): void {
    if (this.progressTimer) clearInterval(this.progressTimer);
    for (const w of this.watchers) this.fail(w, new KvError('closed', 'the datastore is shutting down'));
  }

  private remember(events: WatchEvent[]): void {
    for (const e of events) {
      this.ring.push(e);
      this.ringBytes += eventBytes(e);
    }
    let cut = this.ringStart;
    while (cut < this.ring.length && (this.ring.length - cut > this.limits.ringEvents || this.ringBytes > this.limits.ringBytes)) {
      // Drop whole revisions only, so ringFloor stays exact.
      const rev = this.ring[cut]!.kv.modRevision;
      while (cut < this.ring.length && this.ring[cut]!.kv.modRevision === rev) this.ringBytes -= eventBytes(this.ring[cut++]!);
      this.ringFloor = rev + 1;
    }
    this.ringStart = cut;
    if (this.ringStart > 4096 && this.ringStart > this.ring.length / 2) {
      this.ring = this.ring.slice(this.ringStart);
      this.ringStart = 0;
    }
  }

  private catchUp(w: Watcher, cursor: unknown, first: boolean): void {
    if (w.done) return;
    const compactRev = this.state.compactRev();
    if (w.nextRev < compactRev) {
      this.fail(w, kvErrors.compacted(compactRev));
      return;
    }
    const current = this.state.currentRev();
    if (first && w.nextRev >= this.ringFloor) {
      const events: WatchEvent[] = [];
      for (let i = this.ringStart; i < this.ring.length; i++) {
        const e = this.ring[i]!;
        if (e.kv.modRevision >= w.nextRev && this.matches(w, e)) events.push(this.shape(w, e));
      }
      this.goLive(w, events, current);
      return;
    }
    let page: ReturnType<HistorySource['page']>;
    try {
      page = this.history.page(w.nextRev, cursor);
    } catch (err) {
      this.fail(w, new KvError('unavailable', `reading watch history failed: ${(err as Error).message}`, { cause: err }));
      return;
    }
    const events: WatchEvent[] = [];
    for (const row of page.rows) {
      const e = this.rowToEvent(w, row);
      if (e && this.matches(w, e)) events.push(this.shape(w, e));
    }
    if (page.done) {
      this.goLive(w, events, current);
      return;
    }
    const last = page.rows[page.rows.length - 1];
    if (events.length > 0 && last) this.deliver(w, { events, revision: last.rev });
    setImmediate(() => this.catchUp(w, page.cursor, false));
  }

  private goLive(w: Watcher, events: WatchEvent[], current: number): void {
    w.live = true;
    w.nextRev = current + 1;
    if (events.length > 0) this.deliver(w, { events, revision: current });
  }

  private rowToEvent(w: Watcher, row: LogRow): WatchEvent | undefined {
    if (!inRange(row.key.toString('latin1'), w.start, w.end)) return undefined;
    const kv = rowToKeyValue(row);
    const event: WatchEvent = { type: row.deleted ? 'delete' : 'put', kv };
    if (w.options.prevKv && row.prev_id) {
      const prev = this.history.predecessor(row);
      if (prev && !prev.deleted) event.prevKv = rowToKeyValue(prev);
    }
    return event;
  }

  private matches(w: Watcher, e: WatchEvent): boolean {
    if (e.type === 'put' ? w.options.noPut : w.options.noDelete) return false;
    return inRange(e.kv.key, w.start, w.end);
  }

  private shape(w: Watcher, e: WatchEvent): WatchEvent {
    if (w.options.prevKv || !e.prevKv) return e;
    return { type: e.type, kv: e.kv };
  }

  private deliver(w: Watcher, batch: WatchBatch): void {
    w.deliveredSinceTick = true;
    try {
      w.handler(batch);
    } catch (err) {
      // A consumer that throws must not break delivery to the others.
      this.remove(w);
      process.emitWarning(`watch handler failed and was removed: ${(err as Error).message}`);
    }
  }

  private fail(w: Watcher, error: KvError): void {
    if (w.done) return;
    this.remove(w);
    try {
      w.handler({ events: [], revision: this.state.currentRev(), error });
    } catch {
      // The watcher is gone either way.
    }
  }

  private remove(w: Watcher): void {
    w.done = true;
    this.watchers.delete(w);
  }

  private progressTick(): void {
    const revision = this.state.currentRev();
    for (const w of this.watchers) {
      if (w.live && !w.done && w.options.progressNotify && !w.deliveredSinceTick) this.deliver(w, { events: [], revision });
      w.deliveredSinceTick = false;
    }
  }
}

/** What an event holds in memory, roughly: values dominate. */
function eventBytes(e: WatchEvent): number {
  return 128 + e.kv.key.length * 2 + e.kv.value.length + (e.prevKv ? e.prevKv.value.length + 64 : 0);
}
