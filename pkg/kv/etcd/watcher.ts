/**
 * All watches of a backend share one etcd Watch stream. etcd answers create requests in the
 * order it receives them, so created responses are matched to a FIFO of pending creates (as
 * clientv3 does; client-chosen watch ids need etcd 3.4+). When the stream breaks, every watch
 * is re-created on a new stream (another endpoint if this one is unavailable) from the
 * revision after its last delivered event, so no revision is lost or repeated.
 */
import type * as grpc from '@grpc/grpc-js';
import { KvError, kvErrors } from '../errors.ts';
import { keyToBytes } from '../keys.ts';
import type { Watch, WatchBatch, WatchOptions } from '../types.ts';
import type { Connection, Endpoint } from './connection.ts';
import { fromGrpcError, isServiceError } from './errors.ts';
import { fromEvent, headerRevision, rangeEnd, type WireEvent, type WireHeader } from './wire.ts';

interface WireWatchResponse {
  header: WireHeader | null;
  watch_id: number;
  created: boolean;
  canceled: boolean;
  compact_revision: number;
  cancel_reason: string;
  events: WireEvent[];
}

interface Watcher {
  key: string;
  options: WatchOptions;
  handler: (batch: WatchBatch) => void;
  /** The revision to (re)create from: the one after the last delivered event; 0 = now. */
  startRevision: number;
  /** The caller gave no start revision: a compaction below it is not the caller's concern. */
  implicitStart: boolean;
  /** The highest batch revision delivered, so batch revisions never go backwards. */
  revision: number;
  id: number | undefined;
  done: boolean;
}

export class WatchMux {
  private stream: grpc.ClientDuplexStream<object, WireWatchResponse> | undefined;
  private streamEndpoint: Endpoint | undefined;
  private readonly watchers = new Set<Watcher>();
  private readonly byId = new Map<number, Watcher>();
  private pendingCreates: Watcher[] = [];
  private reconnectTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  /** When the stream last failed with no response since; 0 while it works. */
  private brokenSince = 0;
  private closed = false;

  /**
   * @param lastSeenRevision the highest revision this backend has seen in any response: a
   *   watch "from now" starts after it, so it sees every write issued after watch() returns.
   * @param noteRevision called with each header revision received.
   */
  constructor(
    private readonly connection: Connection,
    private readonly lastSeenRevision: () => number,
    private readonly noteRevision: (revision: number) => void,
  ) {}

  watch(key: string, options: WatchOptions, handler: (batch: WatchBatch) => void): Watch {
    if (this.closed) {
      setImmediate(() => handler({ events: [], revision: this.lastSeenRevision(), error: new KvError('closed', 'the etcd backend is closed') }));
      return { cancel() {}, requestProgress() {} };
    }
    const explicit = options.startRevision !== undefined && options.startRevision > 0;
    const seen = this.lastSeenRevision();
    const w: Watcher = {
      key, options, handler,
      startRevision: explicit ? options.startRevision! : seen > 0 ? seen + 1 : 0,
      implicitStart: !explicit,
      revision: 0, id: undefined, done: false,
    };
    this.watchers.add(w);
    if (this.stream) this.create(w);
    else this.connect();
    return {
      cancel: () => this.cancel(w),
      requestProgress: () => this.stream?.write({ progress_request: {} }),
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const stream = this.stream;
    this.stream = undefined;
    stream?.cancel();
    for (const w of [...this.watchers]) this.finish(w, new KvError('closed', 'the etcd backend is closed'));
  }

  private cancel(w: Watcher): void {
    if (w.done) return;
    w.done = true;
    this.watchers.delete(w);
    if (w.id !== undefined) {
      this.byId.delete(w.id);
      this.stream?.write({ cancel_request: { watch_id: w.id } });
    }
    // A watch whose created response is still pending is cancelled when that arrives.
  }

  private finish(w: Watcher, error: KvError): void {
    if (w.done) return;
    this.cancel(w);
    this.deliver(w, { events: [], revision: Math.max(w.revision, this.lastSeenRevision()), error }, true);
  }

  private connect(): void {
    if (this.closed || this.stream || this.reconnectTimer) return;
    let opened: ReturnType<Connection['openStream']>;
    try {
      opened = this.connection.openStream('Watch', 'Watch');
    } catch (err) {
      const failure = fromGrpcError(err, 'watch');
      const error = failure instanceof KvError ? failure : new KvError('unavailable', failure.message, { cause: failure });
      for (const w of [...this.watchers]) this.finish(w, error);
      return;
    }
    const stream = opened.call as grpc.ClientDuplexStream<object, WireWatchResponse>;
    this.stream = stream;
    this.streamEndpoint = opened.endpoint;
    this.byId.clear();
    this.pendingCreates = [];
    stream.on('data', (res: WireWatchResponse) => {
      if (stream === this.stream) this.receive(res);
    });
    stream.on('error', (err: Error) => this.broken(stream, err));
    stream.on('end', () => this.broken(stream, new Error('etcd ended the watch stream')));
    for (const w of this.watchers) this.create(w);
  }

  private create(w: Watcher): void {
    const filters: string[] = [];
    if (w.options.noPut) filters.push('NOPUT');
    if (w.options.noDelete) filters.push('NODELETE');
    this.pendingCreates.push(w);
    this.stream!.write({
      create_request: {
        key: keyToBytes(w.key),
        range_end: rangeEnd(w.options.end),
        start_revision: w.startRevision,
        progress_notify: w.options.progressNotify ?? false,
        filters,
        prev_kv: w.options.prevKv ?? false,
      },
    });
  }

  private receive(res: WireWatchResponse): void {
    const revision = headerRevision(res.header);
    if (revision > 0) this.noteRevision(revision);
    this.failures = 0;
    this.brokenSince = 0;
    if (res.created) {
      const w = this.pendingCreates.shift();
      if (!w) return;
      if (res.canceled || res.watch_id < 0) {
        this.finish(w, new KvError('unavailable', `etcd refused the watch: ${res.cancel_reason || 'no reason given'}`));
      } else if (w.done) {
        this.stream!.write({ cancel_request: { watch_id: res.watch_id } });
      } else {
        w.id = res.watch_id;
        this.byId.set(res.watch_id, w);
      }
      return;
    }
    if (res.watch_id === -1) {
      // etcd 3.4 answers a progress request once for the whole stream.
      for (const w of this.byId.values()) this.deliver(w, { events: [], revision: Math.max(revision, w.revision) });
      return;
    }
    const w = this.byId.get(res.watch_id);
    if (!w || w.done) return;
    if (res.canceled) {
      this.byId.delete(res.watch_id);
      w.id = undefined;
      this.cancelled(w, res);
      return;
    }
    // After a re-create, skip what an earlier stream already delivered.
    const events = res.events.filter((e) => (e.kv?.mod_revision ?? 0) >= w.startRevision).map(fromEvent);
    if (res.events.length > 0 && events.length === 0) return;
    if (events.length > 0) w.startRevision = events[events.length - 1]!.kv.modRevision + 1;
    this.deliver(w, { events, revision: Math.max(revision, w.revision) });
  }

  private cancelled(w: Watcher, res: WireWatchResponse): void {
    if (res.compact_revision > 0 && w.implicitStart && w.revision === 0) {
      // "From now" began at the last revision this client saw, which has since been
      // compacted: start at the oldest revision etcd still has instead.
      w.startRevision = res.compact_revision;
      w.implicitStart = false;
      this.create(w);
      return;
    }
    const error = res.compact_revision > 0
      ? kvErrors.compacted(res.compact_revision)
      : new KvError('unavailable', `etcd cancelled the watch: ${res.cancel_reason || 'no reason given'}`);
    this.finish(w, error);
  }

  private deliver(w: Watcher, batch: WatchBatch, final = false): void {
    if (w.done && !final) return;
    w.revision = batch.revision;
    try {
      w.handler(batch);
    } catch (err) {
      process.emitWarning(`etcd backend: a watch handler threw: ${(err as Error).stack ?? String(err)}`);
    }
  }

  private broken(stream: grpc.ClientDuplexStream<object, WireWatchResponse>, err: Error): void {
    if (stream !== this.stream) return;
    this.stream = undefined;
    this.byId.clear();
    for (const w of this.watchers) w.id = undefined;
    if (this.closed) return;
    if (isServiceError(err)) this.connection.failover(this.streamEndpoint!);
    if (this.watchers.size === 0) return;
    if (this.brokenSince === 0) this.brokenSince = Date.now();
    if (Date.now() - this.brokenSince > this.connection.retryBudgetMs) {
      // Give up as unary calls do, so the owner of each watch learns etcd is gone.
      const error = new KvError('unavailable', `etcd watch: no endpoint reachable for ${this.connection.retryBudgetMs} ms: ${err.message}`, { cause: err });
      for (const w of [...this.watchers]) this.finish(w, error);
      this.brokenSince = 0;
      this.failures = 0;
      return;
    }
    this.failures++;
    const delay = this.failures === 1 ? 0 : Math.min(50 * 2 ** this.failures, 2_000);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
  }
}
