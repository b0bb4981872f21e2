/**
 * The watch cache: every object under /registry/ in memory, fed by one datastore watch, with a
 * ring of recent events per resource. LIST and WATCH are served from here, so a thousand
 * informers cost the datastore one watch. A slow watcher is cut off by the HTTP layer (bounded
 * queue), never holding up the dispatch loop or other watchers.
 */
import type { Backend, KeyValue, Watch, WatchBatch } from '../../kv/types.ts';
import { prefixEnd } from '../../kv/keys.ts';
import type { KObject } from '../../api/types.ts';
import { logger } from '../../log/log.ts';
import { decodeFromStorage } from './codec.ts';
import { ResourceCache, type CacheEvent, type CachedObject, type EventSink } from './resourcecache.ts';

export { jsonOf, type CacheEvent, type CacheEventType, type CachedObject, type EventSink } from './resourcecache.ts';

const log = logger('apiserver');

const ROOT = '/registry/';
/** Events kept per resource for watches that resume from a recent resourceVersion. */
export const DEFAULT_RING_CAPACITY = 4096;

const PROGRESS_REQUEST_INTERVAL_MS = 100;

export interface WatchCacheOptions {
  ringCapacity?: number;
}

export class WatchCache {
  private readonly resources = new Map<string, ResourceCache>();
  /** Keys under /registry/ that belong to no registered resource yet (CRDs registered later). */
  private readonly orphans = new Map<string, KeyValue>();
  private watch?: Watch;
  private currentRevision = 0;
  private waiters: { revision: number; resolve: () => void }[] = [];
  private progressTimer?: NodeJS.Timeout;
  private stopped = false;

  private readonly ringCapacity: number;

  constructor(
    private readonly backend: Backend,
    options: WatchCacheOptions = {},
  ) {
    this.ringCapacity = options.ringCapacity ?? DEFAULT_RING_CAPACITY;
  }

  get revision(): number {
    return this.currentRevision;
  }

  /** Loads everything under /registry/ and follows the datastore from there. */
  async start(storagePaths: string[]): Promise<void> {
    const result = await this.backend.range(ROOT, { end: prefixEnd(ROOT) });
    this.currentRevision = result.revision;
    for (const p of storagePaths) this.resources.set(p, new ResourceCache(p, result.revision, this.ringCapacity));
    for (const kv of result.kvs) {
      const resource = this.resourceOf(kv.key);
      if (!resource) {
        this.orphans.set(kv.key, kv);
        continue;
      }
      const c = this.decode(kv);
      if (c) resource.objects.set(kv.key, c);
    }
    this.follow(result.revision + 1);
  }

  private follow(fromRevision: number): void {
    this.watch = this.backend.watch(ROOT, { end: prefixEnd(ROOT), startRevision: fromRevision, prevKv: true, progressNotify: true }, (batch) => this.apply(batch));
  }

  private apply(batch: WatchBatch): void {
    if (batch.error) {
      if (this.stopped || batch.error.code === 'closed') return;
      // Compaction ran past us or the stream overflowed: reload and rebuild, as a relist would.
      log.warn(`watch cache lost the datastore watch (${batch.error.message}); reloading`);
      this.watch?.cancel();
      void this.reload();
      return;
    }
    const touched = new Map<ResourceCache, CacheEvent[]>();
    for (const ev of batch.events) {
      const resource = this.resourceOf(ev.kv.key);
      if (!resource) {
        if (ev.type === 'put') this.orphans.set(ev.kv.key, ev.kv);
        else this.orphans.delete(ev.kv.key);
        continue;
      }
      const prev = resource.objects.get(ev.kv.key);
      let event: CacheEvent | undefined;
      if (ev.type === 'put') {
        const c = this.decode(ev.kv);
        if (!c) continue;
        resource.objects.set(ev.kv.key, c);
        event = { type: prev ? 'MODIFIED' : 'ADDED', object: c, prev, revision: ev.kv.modRevision };
      } else if (prev) {
        resource.objects.delete(ev.kv.key);
        const last: KObject = { ...prev.obj, metadata: { ...prev.obj.metadata, resourceVersion: String(ev.kv.modRevision) } };
        event = { type: 'DELETED', object: { key: prev.key, obj: last, revision: ev.kv.modRevision }, prev, revision: ev.kv.modRevision };
      }
      if (!event) continue;
      resource.record(event);
      const list = touched.get(resource) ?? [];
      list.push(event);
      touched.set(resource, list);
    }
    this.currentRevision = Math.max(this.currentRevision, batch.revision);
    for (const [resource, events] of touched) {
      for (const sink of resource.sinks) sink(events, this.currentRevision);
    }
    this.wakeWaiters();
  }

  private async reload(): Promise<void> {
    if (this.stopped) return;
    const paths = [...this.resources.keys()];
    const sinks = new Map([...this.resources].map(([p, r]) => [p, r.sinks]));
    try {
      const result = await this.backend.range(ROOT, { end: prefixEnd(ROOT) });
      this.orphans.clear();
      for (const p of paths) {
        const fresh = new ResourceCache(p, result.revision, this.ringCapacity);
        for (const s of sinks.get(p) ?? []) fresh.sinks.add(s);
        this.resources.set(p, fresh);
      }
      for (const kv of result.kvs) {
        const resource = this.resourceOf(kv.key);
        if (!resource) this.orphans.set(kv.key, kv);
        else {
          const c = this.decode(kv);
          if (c) resource.objects.set(kv.key, c);
        }
      }
      this.currentRevision = result.revision;
      // Watchers cannot know what they missed: end them so their clients relist.
      for (const r of this.resources.values()) {
        for (const s of r.sinks) s([], -1);
      }
      this.follow(result.revision + 1);
      this.wakeWaiters();
    } catch (err) {
      log.error(`watch cache reload failed: ${(err as Error).message}; retrying`);
      setTimeout(() => void this.reload(), 1000).unref();
    }
  }

  private decode(kv: KeyValue): CachedObject | undefined {
    try {
      return { key: kv.key, obj: decodeFromStorage(kv.value, kv.modRevision, kv.key), revision: kv.modRevision };
    } catch (err) {
      log.warn(`skipping ${kv.key}: ${(err as Error).message}`);
      return undefined;
    }
  }

  private resourceOf(key: string): ResourceCache | undefined {
    if (!key.startsWith(ROOT)) return undefined;
    const rest = key.slice(ROOT.length);
    const first = rest.indexOf('/');
    if (first < 0) return undefined;
    const second = rest.indexOf('/', first + 1);
    if (second > 0) {
      const two = this.resources.get(rest.slice(0, second));
      if (two) return two;
    }
    return this.resources.get(rest.slice(0, first));
  }

  /** Starts caching a resource added at run time (a CRD), adopting keys already stored for it. */
  register(storagePath: string): void {
    if (this.resources.has(storagePath)) return;
    const resource = new ResourceCache(storagePath, this.currentRevision, this.ringCapacity);
    this.resources.set(storagePath, resource);
    for (const [key, kv] of this.orphans) {
      if (this.resourceOf(key) === resource) {
        const c = this.decode(kv);
        if (c) resource.objects.set(key, c);
        this.orphans.delete(key);
      }
    }
  }

  unregister(storagePath: string): void {
    const resource = this.resources.get(storagePath);
    if (!resource) return;
    this.resources.delete(storagePath);
    for (const s of resource.sinks) s([], -1);
    for (const [key, c] of resource.objects) this.orphans.set(key, { key, value: Buffer.from(c.json ?? JSON.stringify(c.obj)), createRevision: 0, modRevision: c.revision, version: 1, lease: 0 });
  }

  /** Objects of a resource (optionally one namespace), in key order. */
  list(storagePath: string, prefix?: string): CachedObject[] {
    const resource = this.resources.get(storagePath);
    if (!resource) return [];
    const out: CachedObject[] = [];
    for (const [key, c] of resource.objects) if (prefix === undefined || key.startsWith(prefix)) out.push(c);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Objects of a resource in no particular order: for hot paths that filter (authorization). */
  *values(storagePath: string, prefix?: string): IterableIterator<CachedObject> {
    const resource = this.resources.get(storagePath);
    if (!resource) return;
    for (const [key, c] of resource.objects) if (prefix === undefined || key.startsWith(prefix)) yield c;
  }

  get(storagePath: string, key: string): CachedObject | undefined {
    return this.resources.get(storagePath)?.objects.get(key);
  }

  count(storagePath: string): number {
    return this.resources.get(storagePath)?.objects.size ?? 0;
  }

  /**
   * Subscribes to a resource's events after `fromRevision`: returns the backlog (events the
   * subscriber missed) or undefined when it is too old (the caller answers 410 Expired).
   * The sink is called with revision -1 when the subscriber must end (resource removed, cache reset).
   */
  subscribe(storagePath: string, fromRevision: number, sink: EventSink): { backlog: CacheEvent[]; cancel: () => void } | undefined {
    const resource = this.resources.get(storagePath);
    if (!resource) return { backlog: [], cancel: () => {} };
    const backlog = resource.since(fromRevision);
    if (backlog === undefined) return undefined;
    resource.sinks.add(sink);
    return { backlog, cancel: () => resource.sinks.delete(sink) };
  }

  /** The oldest revision a watch of this resource can resume from. */
  oldestRevision(storagePath: string): number {
    return this.resources.get(storagePath)?.completeSince ?? this.currentRevision;
  }

  /**
   * Resolves once the cache has seen every write up to `revision`, false on timeout. Writes
   * outside /registry/ reach the cache only as progress notifications, so they are asked for
   * while anyone waits (as Kubernetes' cacher does), not only once: a datastore watch still
   * catching up drops the request.
   */
  async waitFor(revision: number, timeoutMs: number): Promise<boolean> {
    if (this.currentRevision >= revision) return true;
    const reached = new Promise<boolean>((resolve) => {
      const waiter = {
        revision,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        this.stopProgressRequests();
        resolve(false);
      }, timeoutMs);
      // Registered before asking: a datastore may answer the request synchronously.
      this.waiters.push(waiter);
    });
    this.requestProgress();
    return reached;
  }

  private requestProgress(): void {
    this.watch?.requestProgress();
    this.wakeWaiters();
    if (this.waiters.length > 0 && !this.progressTimer) {
      this.progressTimer = setInterval(() => this.watch?.requestProgress(), PROGRESS_REQUEST_INTERVAL_MS);
      this.progressTimer.unref();
    }
  }

  private stopProgressRequests(): void {
    if (this.waiters.length > 0 || !this.progressTimer) return;
    clearInterval(this.progressTimer);
    this.progressTimer = undefined;
  }

  private wakeWaiters(): void {
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => w.revision <= this.currentRevision);
    this.waiters = this.waiters.filter((w) => w.revision > this.currentRevision);
    for (const w of ready) w.resolve();
    this.stopProgressRequests();
  }

  stop(): void {
    this.stopped = true;
    if (this.progressTimer) clearInterval(this.progressTimer);
    this.progressTimer = undefined;
    this.watch?.cancel();
    for (const r of this.resources.values()) for (const s of r.sinks) s([], -1);
  }
}
