/**
 * etcdserverpb.Watch: one session per bidirectional stream, multiplexing many watches as
 * etcd's watchServer does (etcdserver/api/v3rpc/watch.go). Each watch is a Backend watch;
 * this file turns its batches into WatchResponses, in order, created response first.
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { KvError } from '../kv/errors.ts';
import type { Watch, WatchBatch, WatchOptions } from '../kv/types.ts';
import { logger } from '../log/log.ts';
import { GRPC_OVERHEAD_BYTES, type FacadeContext } from './context.ts';
import { eventSize, eventToWire, keyOf, rangeEndOf } from './convert.ts';
import { etcdErrors, toEtcdError, watchCancelReasons } from './errors.ts';
import { RequestQueue } from './queue.ts';
import { StreamProgress } from './progress.ts';
import { num, type WireEvent, type WireWatchCreateRequest, type WireWatchRequest, type WireWatchResponse } from './wire.ts';

const log = logger('etcdapi');

export interface ActiveWatch {
  id: number;
  handle: Watch | undefined;
  /** The created response is written: batches that arrive before wait in `early`. */
  created: boolean;
  early: WatchBatch[];
  /** No more responses for it; the ID stays taken until the client cancels, as in etcd. */
  ended: boolean;
  prevKv: boolean;
  fragment: boolean;
  progressNotify: boolean;
  /** Something was sent since the last progress tick (etcd sends notifications only to idle watches). */
  sentSinceTick: boolean;
  /** The progress tick asked the store for a notification on this watch's behalf. */
  notifyAsked: boolean;
  /** Every event at or below this revision has been written to the stream. */
  lastRev: number;
}

export class WatchSession {
  private readonly watches = new Map<number, ActiveWatch>();
  private nextId = 0;
  /** Bytes handed to the stream and not yet flushed to the client. */
  private buffered = 0;
  private readonly queue: RequestQueue<WireWatchRequest>;
  private readonly progress: StreamProgress;
  private readonly ticker: NodeJS.Timeout;

  constructor(
    private readonly ctx: FacadeContext,
    private readonly call: ServerDuplexStream<WireWatchRequest, WireWatchResponse>,
  ) {
    this.queue = new RequestQueue(call, (req) => this.handle(req), false);
    this.progress = new StreamProgress(this.watches, ctx, (revision) => this.send({ header: ctx.header(revision), watch_id: -1 }, 64));
    this.ticker = setInterval(() => this.progressTick(), ctx.limits.progressNotifyIntervalMs);
    this.ticker.unref();
    // Server shutdown ends the stream the way a stopping etcd does, so clients reconnect.
    const stop = () => this.queue.fail(etcdErrors.stopped());
    ctx.openStreams.add(stop);
    this.queue.onClose(() => {
      ctx.openStreams.delete(stop);
      this.shutdown();
    });
    this.queue.start();
  }

  private async handle(req: WireWatchRequest): Promise<void> {
    switch (req.request_union) {
      case 'create_request': return this.create(req.create_request ?? {});
      case 'cancel_request': return this.cancel(num(req.cancel_request?.watch_id));
      case 'progress_request': return this.progress.request();
      // An empty request: etcd ignores it.
      default: return;
    }
  }

  private async create(c: WireWatchCreateRequest): Promise<void> {
    // etcd: an empty key is the smallest key, "\0".
    const key = keyOf(c.key) || '\0';
    const end = rangeEndOf(c.range_end);
    const revision = await this.ctx.currentRevision();
    if (!this.queue.open) return;
    const refuse = (reason: string) => this.send({ header: this.ctx.header(revision), watch_id: -1, created: true, canceled: true, cancel_reason: reason }, 128);
    if (end !== undefined && end !== '\0' && key >= end) return refuse(watchCancelReasons.emptyRange);
    let id = num(c.watch_id);
    if (id !== 0) {
      if (this.watches.has(id)) return refuse(watchCancelReasons.duplicateId);
    } else {
      while (this.watches.has(this.nextId)) this.nextId++;
      id = this.nextId++;
    }
    const start = num(c.start_revision) > 0 ? num(c.start_revision) : revision + 1;
    const w: ActiveWatch = {
      id, handle: undefined, created: false, early: [], ended: false, prevKv: c.prev_kv === true,
      fragment: c.fragment === true, progressNotify: c.progress_notify === true, sentSinceTick: false,
      // Nothing below its start concerns the watch; history from there on is still to come.
      notifyAsked: false, lastRev: Math.min(start - 1, revision),
    };
    const options: WatchOptions = { startRevision: start };
    if (end !== undefined) options.end = end;
    if (w.prevKv) options.prevKv = true;
    const filters = c.filters ?? [];
    if (filters.includes('NOPUT')) options.noPut = true;
    if (filters.includes('NODELETE')) options.noDelete = true;
    this.watches.set(id, w);
    try {
      w.handle = this.ctx.backend.watch(key, options, (batch) => this.onBatch(w, batch));
    } catch (err) {
      this.watches.delete(id);
      return refuse(toEtcdError(err).message);
    }
    this.send({ header: this.ctx.header(revision), watch_id: id, created: true }, 64);
    w.created = true;
    for (const batch of w.early.splice(0)) this.onBatch(w, batch);
  }

  private async cancel(id: number): Promise<void> {
    const w = this.watches.get(id);
    // etcd answers nothing when the ID is unknown.
    if (!w) return;
    this.watches.delete(id);
    this.endWatch(w);
    const revision = await this.ctx.currentRevision();
    this.send({ header: this.ctx.header(Math.max(revision, w.lastRev)), watch_id: id, canceled: true }, 64);
  }

  private onBatch(w: ActiveWatch, batch: WatchBatch): void {
    if (w.ended) return;
    if (!w.created) {
      w.early.push(batch);
      return;
    }
    if (batch.error) return this.storeEnded(w, batch.error, batch.revision);
    if (batch.events.length === 0) {
      w.lastRev = Math.max(w.lastRev, batch.revision);
      // A notification nobody asked for comes from the store's own timer: pass it on only to
      // a watch that wants notifications.
      const wanted = w.notifyAsked || (!this.progress.waitingOn(w) && w.progressNotify);
      w.notifyAsked = false;
      if (wanted) this.send({ header: this.ctx.header(batch.revision), watch_id: w.id }, 64);
      this.progress.answered(w);
      return;
    }
    const events = batch.events.map((e) => eventToWire(e, w.prevKv));
    const size = events.reduce((sum, e) => sum + eventSize(e), 64);
    const bound = this.ctx.limits.watchStreamBufferBytes;
    if (this.buffered > 0 && this.buffered + size > bound) return this.overflow(w, bound);
    w.lastRev = Math.max(w.lastRev, batch.revision);
    w.sentSinceTick = true;
    this.sendEvents(w, batch.revision, events, size);
  }

  /** Large responses are split only for watches that asked (fragment), as etcd does. */
  private sendEvents(w: ActiveWatch, revision: number, events: WireEvent[], size: number): void {
    const max = this.ctx.limits.maxRequestBytes + GRPC_OVERHEAD_BYTES;
    const header = this.ctx.header(revision);
    if (!w.fragment || size < max || events.length < 2) {
      this.send({ header, watch_id: w.id, events }, size);
      return;
    }
    let i = 0;
    while (i < events.length) {
      const chunk: WireEvent[] = [];
      let chunkSize = 64;
      while (i < events.length) {
        const next = eventSize(events[i]!);
        if (chunk.length > 0 && chunkSize + next >= max) break;
        chunk.push(events[i++]!);
        chunkSize += next;
      }
      this.send({ header, watch_id: w.id, events: chunk, fragment: i < events.length }, chunkSize);
    }
  }

  /** The store ended the watch: compaction (etcd's compact_revision answer) or an error. */
  private storeEnded(w: ActiveWatch, error: KvError, revision: number): void {
    this.endWatch(w);
    if (error.code === 'compacted') {
      // etcd 3.4 sends this response with revision 0 in its header.
      this.send({ header: this.ctx.header(0), watch_id: w.id, canceled: true, compact_revision: error.compactRevision ?? 0 }, 64);
      return;
    }
    const reason = error.code === 'watch-overflow'
      ? `tsk: watch ${w.id} fell too far behind the store and was canceled; watch again from revision ${w.lastRev + 1}`
      : toEtcdError(error).message;
    this.send({ header: this.ctx.header(Math.max(revision, w.lastRev)), watch_id: w.id, canceled: true, cancel_reason: reason }, 256);
  }

  /**
   * The client reads this stream too slowly: rather than queue without bound or hold back the
   * other watches of the stream, the watch that would grow the queue past the bound ends.
   */
  private overflow(w: ActiveWatch, bound: number): void {
    this.endWatch(w);
    const reason = `tsk: watch ${w.id} canceled: the client reads its stream too slowly (more than ${bound} bytes queued); watch again from revision ${w.lastRev + 1}`;
    log.warn(`${this.call.getPeer()}: ${reason}`);
    this.send({ header: this.ctx.header(w.lastRev), watch_id: w.id, canceled: true, cancel_reason: reason }, 256);
  }

  private endWatch(w: ActiveWatch): void {
    if (w.ended) return;
    w.ended = true;
    w.early = [];
    w.handle?.cancel();
    this.progress.answered(w);
  }

  /** etcd's progress ticker: a notification for each progress_notify watch idle since the last tick. */
  private progressTick(): void {
    for (const w of this.watches.values()) {
      if (w.ended || !w.created || !w.progressNotify) continue;
      if (!w.sentSinceTick) {
        w.notifyAsked = true;
        w.handle?.requestProgress();
      }
      w.sentSinceTick = false;
    }
  }

  private send(response: WireWatchResponse, size: number): void {
    if (!this.queue.open) return;
    this.buffered += size;
    this.call.write(response, () => {
      this.buffered -= size;
    });
  }

  private shutdown(): void {
    clearInterval(this.ticker);
    this.progress.close();
    for (const w of this.watches.values()) this.endWatch(w);
    this.watches.clear();
  }
}
