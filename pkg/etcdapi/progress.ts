/**
 * A stream's progress_request: one response with watch_id -1 whose header revision promises
 * that every event at or below it has been sent on this stream, for every watch (Kubernetes'
 * watch cache relies on that for consistent reads). etcd 3.4.23 answered at once with its
 * current revision, which could run ahead of a watch still catching up; later etcd releases
 * wait until all watches are in sync, and so does this: each watch is asked for a progress
 * notification, and the answer is the lowest revision they report.
 */
import type { FacadeContext } from './context.ts';
import type { ActiveWatch } from './watch.ts';

/** A watch still reading history cannot report progress yet: ask again this often. */
const RETRY_MS = 100;
/** Give up waiting and answer with what is known to be delivered (still a true promise). */
const GIVE_UP_MS = 2000;

export class StreamProgress {
  private readonly waiting = new Set<ActiveWatch>();
  private pending = false;
  private asking = false;
  private deadline = 0;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly watches: Map<number, ActiveWatch>,
    private readonly ctx: FacadeContext,
    private readonly respond: (revision: number) => void,
  ) {}

  waitingOn(w: ActiveWatch): boolean {
    return this.waiting.has(w);
  }

  /** A second request while one is pending is answered by the same response. */
  async request(): Promise<void> {
    if (this.pending || this.closed) return;
    this.pending = true;
    this.deadline = Date.now() + GIVE_UP_MS;
    for (const w of this.watches.values()) if (!w.ended && w.created) this.waiting.add(w);
    if (this.waiting.size === 0) return this.finish();
    this.ask();
  }

  /** The watch reported progress, or ended: either way it no longer holds the answer back. */
  answered(w: ActiveWatch): void {
    if (!this.waiting.delete(w)) return;
    if (this.waiting.size === 0 && this.pending && !this.asking) void this.finish();
  }

  close(): void {
    this.closed = true;
    this.waiting.clear();
    if (this.retry) clearTimeout(this.retry);
  }

  private ask(): void {
    this.retry = undefined;
    if (this.closed || !this.pending) return;
    // Stores may answer inside requestProgress(); finish once, after the loop.
    this.asking = true;
    for (const w of [...this.waiting]) w.handle?.requestProgress();
    this.asking = false;
    if (this.waiting.size === 0 || Date.now() >= this.deadline) {
      void this.finish();
      return;
    }
    this.retry = setTimeout(() => this.ask(), RETRY_MS);
    this.retry.unref();
  }

  /** Never rejects: it also runs from timers and store callbacks. */
  private async finish(): Promise<void> {
    if (!this.pending) return;
    this.pending = false;
    this.waiting.clear();
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    const live = [...this.watches.values()].filter((w) => !w.ended && w.created);
    let revision: number;
    try {
      revision = live.length > 0 ? Math.min(...live.map((w) => w.lastRev)) : await this.ctx.currentRevision();
    } catch {
      // The store is closing: the stream is about to end, there is nothing true to promise.
      return;
    }
    if (!this.closed) this.respond(revision);
  }
}
