/**
 * A local cache of one resource kept current from the API, as client-go's reflector and
 * informer: list at resourceVersion=0 (the server's watch cache answers), watch from the
 * list's resourceVersion with bookmarks, re-watch from the last version seen when a watch
 * ends, and relist when the server says that version is gone (410), emitting the differences.
 */
import type { KObject } from '../api/types.ts';
import { logger } from '../log/log.ts';
import type { Client, ListOptions, WatchOptions } from './client.ts';
import { ClientError, isExpired } from './errors.ts';
import { withQuery } from './paths.ts';

export interface InformerOptions {
  /** Collection path, e.g. resourcePath({ version: 'v1', resource: 'pods', namespace }). */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** For logs. */
  name?: string;
  /** Server-side watch length before the informer re-watches (default 5–10 min, randomised). */
  watchTimeoutSeconds?: number;
  /** Backoff after a failed list or watch: first and largest delay (default 200 ms, 30 s). */
  backoffMs?: { initial: number; max: number };
  /** Keep metadata.managedFields (dropped by default: controllers never read them, and they are often half an object's size). */
  keepManagedFields?: boolean;
}

export type AddHandler<T> = (obj: T) => void;
export type UpdateHandler<T> = (oldObj: T, newObj: T) => void;
export type DeleteHandler<T> = (obj: T) => void;

/** The store key of an object: "namespace/name", or "name" for cluster-scoped objects. */
export function objectKey(obj: KObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : String(obj.metadata.name);
}

/** Values an object is filed under in one index (e.g. a pod's node name). */
export type IndexFunc<T> = (obj: T) => string[];

export class Informer<T extends KObject = KObject> {
  private readonly store = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  private readonly indexes = new Map<string, Map<string, Map<string, T>>>();
  private readonly adds: AddHandler<T>[] = [];
  private readonly updates: UpdateHandler<T>[] = [];
  private readonly deletes: DeleteHandler<T>[] = [];
  private readonly syncWaiters: (() => void)[] = [];
  private synced = false;
  private stopped = false;
  private started = false;
  private lastResourceVersion = '';
  private stopCurrent: (() => void) | undefined;
  private sleeping: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  private readonly log;
  /** How many full lists were made (the first one included): a relist after 410 adds one. */
  listCount = 0;
  /** How many watches were opened. */
  watchCount = 0;
  /** Views fed by this informer (attached while started), how many are not stopped, and what to do when none is left. */
  private readonly followers = new Set<Informer<T>>();
  private views = 0;
  private onUnfollowed: (() => void) | undefined;

  /**
   * `leader`: this informer is a view of that one (see follow()): its cache, indexes and
   * sync are the leader's; its handlers are its own.
   */
  constructor(private readonly client: Client, private readonly options: InformerOptions, private readonly leader?: Informer<T>) {
    this.log = logger(options.name ?? `informer ${options.path}`);
  }

  /**
   * A view of this informer for one consumer, as client-go's shared informers hand out: it
   * lists and watches nothing itself; while started it receives this informer's events
   * (objects already cached arrive as adds, as for a handler added late in client-go), and
   * stop() detaches only it.
   */
  follow(): Informer<T> {
    this.views++;
    return new Informer<T>(this.client, this.options, this);
  }

  /** `fn` runs once every view made by follow() has stopped (its owner may then stop this informer). */
  whenUnfollowed(fn: () => void): this {
    this.onUnfollowed = fn;
    return this;
  }

  onAdd(handler: AddHandler<T>): this {
    this.adds.push(handler);
    // A view already attached gets what its leader holds, as a late client-go handler does.
    if (this.leader?.followers.has(this)) for (const obj of this.leader.store.values()) this.emit([handler], (h) => h(obj));
    return this;
  }

  onUpdate(handler: UpdateHandler<T>): this {
    this.updates.push(handler);
    return this;
  }

  onDelete(handler: DeleteHandler<T>): this {
    this.deletes.push(handler);
    return this;
  }

  /** Files every object under the values `fn` gives; add indexes before start(). */
  addIndex(name: string, fn: IndexFunc<T>): this {
    if (this.leader) {
      this.leader.addIndex(name, fn);
      return this;
    }
    if (this.indexers.has(name)) return this;
    this.indexers.set(name, fn);
    const index = new Map<string, Map<string, T>>();
    this.indexes.set(name, index);
    for (const [key, obj] of this.store) this.indexOne(name, fn, index, key, obj);
    return this;
  }

  /** The objects filed under `value` in index `name` (an unknown index throws). */
  byIndex(name: string, value: string): T[] {
    if (this.leader) return this.leader.byIndex(name, value);
    const index = this.indexes.get(name);
    if (!index) throw new Error(`informer ${this.options.path} has no index ${name}`);
    const bucket = index.get(value);
    return bucket ? [...bucket.values()] : [];
  }

  /** Starts listing and watching in the background; idempotent. */
  start(): this {
    if (this.leader) {
      if (this.stopped || this.leader.followers.has(this)) return this;
      this.leader.followers.add(this);
      for (const obj of this.leader.store.values()) this.emit(this.adds, (h) => h(obj));
      this.leader.start();
      return this;
    }
    if (!this.started) {
      this.started = true;
      void this.run();
    }
    return this;
  }

  stop(): void {
    if (this.leader) {
      if (this.stopped) return;
      this.stopped = true;
      this.leader.followers.delete(this);
      if (--this.leader.views === 0) this.leader.onUnfollowed?.();
      return;
    }
    this.stopped = true;
    this.stopCurrent?.();
    if (this.sleeping) {
      clearTimeout(this.sleeping.timer);
      this.sleeping.resolve();
    }
  }

  hasSynced(): boolean {
    return this.leader ? this.leader.hasSynced() : this.synced;
  }

  /** Resolves once the first list is in the store (never if stopped before). */
  waitForSync(): Promise<void> {
    if (this.leader) return this.leader.waitForSync();
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  get(key: string): T | undefined {
    return (this.leader ?? this).store.get(key);
  }

  list(): T[] {
    return [...(this.leader ?? this).store.values()];
  }

  keys(): string[] {
    return [...(this.leader ?? this).store.keys()];
  }

  /** The resourceVersion the informer is current to. */
  get resourceVersion(): string {
    return this.leader ? this.leader.resourceVersion : this.lastResourceVersion;
  }

  private async run(): Promise<void> {
    const { initial, max } = this.options.backoffMs ?? { initial: 200, max: 30_000 };
    let delay = initial;
    let needList = true;
    while (!this.stopped) {
      try {
        if (needList) {
          // RV=0 is served from the server's cache; after a 410 only a consistent list is new enough.
          await this.relist(this.listCount === 0 ? '0' : undefined);
          needList = false;
        }
        const progressed = await this.watchOnce();
        if (progressed) delay = initial;
        else await this.sleep(delay);
      } catch (err) {
        if (this.stopped) return;
        if (isExpired(err)) {
          this.log.info(`resourceVersion ${this.lastResourceVersion} expired: relisting`);
          needList = true;
          continue;
        }
        this.log.warn(`${needList ? 'list' : 'watch'} failed: ${(err as Error).message}; retrying in ${delay} ms`);
        await this.sleep(delay);
        delay = Math.min(max, delay * 2);
      }
    }
  }

  private async relist(resourceVersion: string | undefined): Promise<void> {
    const opts: ListOptions = { labelSelector: this.options.labelSelector, fieldSelector: this.options.fieldSelector, resourceVersion };
    const list = await this.client.list<T>(this.options.path, opts);
    if (this.stopped) return;
    this.listCount++;
    const seen = new Set<string>();
    for (const item of list.items) {
      const key = objectKey(item);
      seen.add(key);
      this.upsert(key, item);
    }
    for (const [key, old] of this.store) if (!seen.has(key)) this.remove(key, old);
    this.lastResourceVersion = list.metadata.resourceVersion ?? '';
    if (!this.synced) {
      this.synced = true;
      for (const resolve of this.syncWaiters.splice(0)) resolve();
    }
  }

  /** One watch until the server ends it; true if it delivered anything (resets the backoff). */
  private async watchOnce(): Promise<boolean> {
    const timeoutSeconds = this.options.watchTimeoutSeconds ?? Math.floor(300 + Math.random() * 300);
    const opts: WatchOptions = {
      resourceVersion: this.lastResourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds,
      labelSelector: this.options.labelSelector,
      fieldSelector: this.options.fieldSelector,
    };
    const watch = this.client.watch<T>(withQuery(this.options.path, {}), opts);
    this.watchCount++;
    this.stopCurrent = () => watch.stop();
    let progressed = false;
    const started = Date.now();
    try {
      for await (const event of watch) {
        if (this.stopped) break;
        if (event.type === 'ERROR') {
          throw new ClientError(event.object.code ?? 500, event.object);
        }
        progressed = true;
        const obj = event.object;
        if (obj.metadata?.resourceVersion) this.lastResourceVersion = obj.metadata.resourceVersion;
        if (event.type === 'BOOKMARK') continue;
        const key = objectKey(obj);
        if (event.type === 'DELETED') {
          const old = this.store.get(key);
          this.remove(key, old ?? obj, obj);
        } else {
          this.upsert(key, obj);
        }
      }
    } finally {
      this.stopCurrent = undefined;
      watch.stop();
    }
    // A watch the server ended at once with nothing to say is a failure in disguise: back off.
    return progressed || Date.now() - started >= 1000;
  }

  private upsert(key: string, obj: T): void {
    const old = this.store.get(key);
    if (old && old.metadata.resourceVersion === obj.metadata.resourceVersion) return;
    if (!this.options.keepManagedFields) delete obj.metadata.managedFields;
    this.store.set(key, obj);
    if (old) this.unindex(key, old);
    this.index(key, obj);
    if (old) this.emitAll((i) => i.emit(i.updates, (h) => h(old, obj)));
    else this.emitAll((i) => i.emit(i.adds, (h) => h(obj)));
  }

  private remove(key: string, old: T | undefined, last?: T): void {
    this.store.delete(key);
    if (old) this.unindex(key, old);
    const gone = last ?? old;
    if (gone) this.emitAll((i) => i.emit(i.deletes, (h) => h(gone)));
  }

  /** To this informer's handlers, then to each attached view's. */
  private emitAll(deliver: (informer: Informer<T>) => void): void {
    deliver(this);
    for (const f of this.followers) deliver(f);
  }

  private index(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) this.indexOne(name, fn, this.indexes.get(name)!, key, obj);
  }

  private indexOne(name: string, fn: IndexFunc<T>, index: Map<string, Map<string, T>>, key: string, obj: T): void {
    let values: string[];
    try {
      values = fn(obj);
    } catch (err) {
      this.log.error(`index ${name} failed for ${key}: ${(err as Error).message}`);
      return;
    }
    for (const v of values) {
      let bucket = index.get(v);
      if (!bucket) index.set(v, (bucket = new Map()));
      bucket.set(key, obj);
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const index = this.indexes.get(name)!;
      let values: string[];
      try {
        values = fn(obj);
      } catch {
        values = [...index.keys()];
      }
      for (const v of values) {
        const bucket = index.get(v);
        if (!bucket) continue;
        bucket.delete(key);
        if (bucket.size === 0) index.delete(v);
      }
    }
  }

  /** A throwing handler must not stop the informer or the other handlers. */
  private emit<H>(handlers: H[], call: (h: H) => void): void {
    for (const h of handlers) {
      try {
        call(h);
      } catch (err) {
        this.log.error(`handler failed: ${(err as Error).message}`);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleeping = undefined;
        resolve();
      }, ms);
      this.sleeping = { timer, resolve };
    });
  }
}
