/**
 * The one generic store: create, read, update and delete for every resource, with the
 * per-resource Strategy plugged in, optimistic concurrency on the datastore's modRevision,
 * and reads served from the watch cache when the client's resourceVersion allows.
 */
import type { Backend, RangeResult } from '../../kv/types.ts';
import { isKvError } from '../../kv/errors.ts';
import type { FieldError, KObject, ResourceDefinition, StrategyContext } from '../../api/types.ts';
import { ApiError, apiErrors } from '../errors.ts';
import { decodeFromStorage, encodeForStorage, storageKey } from './codec.ts';
import { dropEmptyMeta, generateName, prepareCreateMeta, prepareUpdateMeta, sameObject, timestamp, updateGeneration } from './meta.ts';
import type { WatchCache } from './watchcache.ts';
import { cloneJson } from '../../api/json.ts';

/** Hooks the server adds around every write: metadata validation, namespace lifecycle, managedFields. */
export interface WriteHooks {
  validateMeta(def: ResourceDefinition, obj: KObject, old: KObject | undefined): FieldError[];
  /** Admission before a create: e.g. the namespace must exist and not be terminating. */
  admitCreate?(def: ResourceDefinition, obj: KObject, ctx: StrategyContext): void;
  /** Admission of a delete (e.g. the system namespaces may not go); throws to refuse. */
  admitDelete?(def: ResourceDefinition, obj: KObject, ctx: StrategyContext): void;
  /** Admission of any write once validated (e.g. RBAC escalation checks, quota charges); throws to refuse. */
  admit?(def: ResourceDefinition, obj: KObject, old: KObject | undefined, ctx: StrategyContext): void | Promise<void>;
  /** Records the write's field ownership (managedFields) once defaults are in; returns the object to store. */
  trackFields?(def: ResourceDefinition, obj: KObject, old: KObject | undefined, ctx: StrategyContext): KObject;
}

export interface Current {
  obj: KObject;
  modRevision: number;
}

export interface UpdateResult {
  obj: KObject;
  created: boolean;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  dryRun?: boolean;
}

export interface DeleteResult {
  /** The object as it was removed, or as it remains (deletionTimestamp set, finalizers pending). */
  obj: KObject;
  deleted: boolean;
}

const MAX_RETRIES = 16;

function qr(def: ResourceDefinition): { group: string; resource: string } {
  return { group: def.group, resource: def.plural };
}

function invalid(def: ResourceDefinition, obj: KObject, errors: FieldError[]): ApiError {
  return apiErrors.invalid(def.kind, def.group, obj.metadata.name ?? '', errors);
}

function isNamespace(def: ResourceDefinition): boolean {
  return def.group === '' && def.kind === 'Namespace';
}

/**
 * What still holds an object being deleted: metadata.finalizers, and for a namespace also
 * spec.finalizers (the namespace controller's 'kubernetes', cleared through /finalize).
 */
export function pendingFinalizers(def: ResourceDefinition, obj: KObject): string[] {
  const meta = obj.metadata.finalizers ?? [];
  return isNamespace(def) ? [...meta, ...((obj.spec?.finalizers as string[] | undefined) ?? [])] : meta;
}

/** One queue of async work per key: work on a key waits for the work before it. */
class KeyedTurns {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    const result = previous ? previous.then(work, work) : work();
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

export class Store {
  private readonly writers = new KeyedTurns();
  constructor(
    private readonly backend: Backend,
    readonly cache: WatchCache,
    private readonly hooks: WriteHooks,
  ) {}

  /** The datastore's current revision (a consistent read point). */
  async currentRevision(): Promise<number> {
    return this.backend.currentRevision?.() ?? (await this.backend.range('/registry/\u0000')).revision;
  }

  async read(def: ResourceDefinition, namespace: string, name: string, revision?: number): Promise<Current | undefined> {
    const key = storageKey(def, namespace, name);
    let result;
    try {
      result = await this.backend.range(key, revision ? { revision } : undefined);
    } catch (err) {
      if (isKvError(err, 'compacted')) throw apiErrors.expired(revision ?? 0, (err as { compactRevision?: number }).compactRevision ?? 0);
      if (isKvError(err, 'future-revision')) throw apiErrors.tooLargeResourceVersion(revision ?? 0, await this.currentRevision());
      throw err;
    }
    const kv = result.kvs[0];
    if (!kv) return undefined;
    return { obj: decodeFromStorage(kv.value, kv.modRevision, key), modRevision: kv.modRevision };
  }

  /**
   * The object as the watch cache holds it, copied, when the datastore publishes its writes
   * before answering them (sqlite: the cache then shows every write of this process that has
   * completed). A cache behind the datastore (a write through the etcd API, say) costs only a
   * retry: updates compare-and-put on the revision read. Undefined: ask the datastore.
   */
  private cached(def: ResourceDefinition, key: string): Current | undefined {
    if (!this.backend.currentRevision) return undefined;
    const c = this.cache.get(def.storagePath, key);
    return c ? { obj: cloneJson(c.obj), modRevision: c.revision } : undefined;
  }

  /** A page of raw keys at one revision, for paged and exact-revision lists. */
  async rangeAt(start: string, end: string, revision: number, limit: number): Promise<RangeResult> {
    try {
      return await this.backend.range(start, { end, revision, limit });
    } catch (err) {
      if (isKvError(err, 'compacted')) {
        throw apiErrors.expiredWith('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
      }
      if (isKvError(err, 'future-revision')) throw apiErrors.tooLargeResourceVersion(revision, await this.currentRevision());
      throw err;
    }
  }

  async get(def: ResourceDefinition, namespace: string, name: string): Promise<KObject> {
    const current = await this.read(def, namespace, name);
    if (!current) throw apiErrors.notFound(qr(def), name);
    return current.obj;
  }

  private async prepareCreate(def: ResourceDefinition, obj: KObject, ctx: StrategyContext): Promise<KObject> {
    prepareCreateMeta(def, obj, ctx.now);
    def.strategy.defaults?.(obj);
    await def.strategy.prepareForCreate?.(obj, ctx);
    const errors = [...this.hooks.validateMeta(def, obj, undefined), ...(def.strategy.validate?.(obj, ctx) ?? [])];
    if (errors.length > 0) throw invalid(def, obj, errors);
    this.hooks.admitCreate?.(def, obj, ctx);
    await this.hooks.admit?.(def, obj, undefined, ctx);
    const tracked = this.hooks.trackFields ? this.hooks.trackFields(def, obj, undefined, ctx) : obj;
    dropEmptyMeta(tracked);
    return tracked;
  }

  async create(def: ResourceDefinition, obj: KObject, ctx: StrategyContext): Promise<KObject> {
    const generated = !obj.metadata.name && !!obj.metadata.generateName;
    for (let attempt = 0; ; attempt++) {
      let candidate: KObject = attempt === 0 ? obj : cloneJson(obj);
      if (generated) candidate.metadata.name = generateName(obj.metadata.generateName!);
      if (!candidate.metadata.name) {
        throw invalid(def, candidate, [{ type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required' }]);
      }
      candidate = await this.prepareCreate(def, candidate, ctx);
      const key = storageKey(def, candidate.metadata.namespace ?? '', candidate.metadata.name!);
      if (ctx.dryRun) {
        if ((await this.backend.range(key, { countOnly: true })).count > 0) throw apiErrors.alreadyExists(qr(def), candidate.metadata.name!);
        return candidate;
      }
      const result = await this.backend.txn({
        compare: [{ key, target: 'create', result: '=', value: 0 }],
        success: [{ type: 'put', key, value: encodeForStorage(candidate) }],
      });
      if (result.succeeded) {
        candidate.metadata.resourceVersion = String(result.revision);
        return candidate;
      }
      // A generated name that collided gets another suffix, as Kubernetes retries it.
      if (!generated) throw apiErrors.alreadyExists(qr(def), candidate.metadata.name!);
      if (attempt >= 8) {
        const err = apiErrors.alreadyExists(qr(def), candidate.metadata.name!);
        err.message += ', the server was not able to generate a unique name for the object';
        err.details!.retryAfterSeconds = 1;
        throw err;
      }
    }
  }

  /**
   * Read-modify-write with optimistic concurrency. `tryUpdate` gets the current object
   * (undefined when missing) and returns the desired one; when that carries a resourceVersion
   * it must match (409 Conflict), otherwise a concurrent write just retries.
   */
  async update(
    def: ResourceDefinition,
    namespace: string,
    name: string,
    tryUpdate: (current: KObject | undefined) => Promise<KObject> | KObject,
    ctx: StrategyContext,
    options: { createIfMissing?: boolean } = {},
  ): Promise<UpdateResult> {
    // Writers of one object in this process take turns: each reads what the previous one
    // wrote, so a burst of patches does not collide on the datastore and exhaust the retries.
    // The compare-and-put below still guards against other servers.
    return this.writers.run(storageKey(def, namespace, name), () => this.updateNow(def, namespace, name, tryUpdate, ctx, options));
  }

  private async updateNow(
    def: ResourceDefinition,
    namespace: string,
    name: string,
    tryUpdate: (current: KObject | undefined) => Promise<KObject> | KObject,
    ctx: StrategyContext,
    options: { createIfMissing?: boolean },
  ): Promise<UpdateResult> {
    const cached = this.cached(def, storageKey(def, namespace, name));
    if (cached) {
      // Only a write that lands shows the cache was current: any other outcome (no change, a
      // failed precondition or validation, a lost race) is decided again on the datastore's copy.
      const outcome = await this.attempt(def, name, cached, tryUpdate, ctx, options).catch(() => undefined);
      if (outcome?.kind === 'written') return outcome.result;
    }
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const outcome = await this.attempt(def, name, await this.read(def, namespace, name), tryUpdate, ctx, options);
      if (outcome.kind !== 'retry') return outcome.result;
    }
    throw apiErrors.conflict(qr(def), name, 'too many concurrent writes, try again');
  }

  /** One read-modify-write over `current`: written, settled without a write, or to be tried again (the object moved). */
  private async attempt(
    def: ResourceDefinition,
    name: string,
    current: Current | undefined,
    tryUpdate: (current: KObject | undefined) => Promise<KObject> | KObject,
    ctx: StrategyContext,
    options: { createIfMissing?: boolean },
  ): Promise<{ kind: 'written' | 'settled'; result: UpdateResult } | { kind: 'retry' }> {
    const settled = (obj: KObject) => ({ kind: 'settled' as const, result: { obj, created: false } });
    const written = (obj: KObject) => ({ kind: 'written' as const, result: { obj, created: false } });
    const desired = await tryUpdate(current ? cloneJson(current.obj) : undefined);
    if (!current) {
      if (!options.createIfMissing) throw apiErrors.notFound(qr(def), name);
      if (desired.metadata.resourceVersion) throw apiErrors.notFound(qr(def), name);
      desired.metadata.name = name;
      try {
        return { kind: 'written', result: { obj: await this.create(def, desired, ctx), created: true } };
      } catch (err) {
        if (err instanceof ApiError && err.reason === 'AlreadyExists') return { kind: 'retry' };
        throw err;
      }
    }
    const wanted = desired.metadata.resourceVersion;
    if (wanted !== undefined && wanted !== '' && wanted !== String(current.modRevision)) {
      throw apiErrors.conflict(qr(def), name);
    }
    if (desired.metadata.uid && desired.metadata.uid !== current.obj.metadata.uid) {
      throw apiErrors.conflict(qr(def), name, `Precondition failed: UID in precondition: ${desired.metadata.uid}, UID in object meta: ${current.obj.metadata.uid}`);
    }
    let next = prepareUpdateMeta(def, desired, current.obj, ctx.subresource);
    def.strategy.defaults?.(next);
    // Compared after defaulting: omitting a defaulted field is no change of spec.
    updateGeneration(next, current.obj);
    await def.strategy.prepareForUpdate?.(next, current.obj, ctx);
    const errors = [...this.hooks.validateMeta(def, next, current.obj), ...(def.strategy.validateUpdate?.(next, current.obj, ctx) ?? [])];
    if (errors.length > 0) throw invalid(def, next, errors);
    await this.hooks.admit?.(def, next, current.obj, ctx);
    if (this.hooks.trackFields) next = this.hooks.trackFields(def, next, current.obj, ctx);
    dropEmptyMeta(next);
    next.metadata.resourceVersion = current.obj.metadata.resourceVersion;
    if (sameObject(next, current.obj)) return settled(current.obj);
    // The last finalizer removed from an object being deleted: it goes now.
    if (next.metadata.deletionTimestamp && pendingFinalizers(def, next).length === 0 && !(def.strategy.gracefulDeletion && (next.metadata.deletionGracePeriodSeconds ?? 0) > 0)) {
      if (ctx.dryRun) return settled(next);
      const gone = await this.deleteAt(def, current, next);
      if (gone) return written(gone);
      if (wanted) throw apiErrors.conflict(qr(def), name);
      return { kind: 'retry' };
    }
    if (ctx.dryRun) return settled(next);
    const stored = await this.putAt(def, current, next);
    if (stored) return written(stored);
    if (wanted) throw apiErrors.conflict(qr(def), name);
    return { kind: 'retry' };
  }

  /** Writes `next` over `current` if it is still at its revision; undefined when it moved. */
  private async putAt(def: ResourceDefinition, current: Current, next: KObject): Promise<KObject | undefined> {
    const key = storageKey(def, current.obj.metadata.namespace ?? '', current.obj.metadata.name!);
    const result = await this.backend.txn({
      compare: [{ key, target: 'mod', result: '=', value: current.modRevision }],
      success: [{ type: 'put', key, value: encodeForStorage(next) }],
    });
    if (!result.succeeded) return undefined;
    next.metadata.resourceVersion = String(result.revision);
    return next;
  }

  /** Deletes `current` if it is still at its revision; returns the last state, or undefined when it moved. */
  private async deleteAt(def: ResourceDefinition, current: Current, last: KObject): Promise<KObject | undefined> {
    const key = storageKey(def, current.obj.metadata.namespace ?? '', current.obj.metadata.name!);
    const result = await this.backend.txn({
      compare: [{ key, target: 'mod', result: '=', value: current.modRevision }],
      success: [{ type: 'delete', key }],
    });
    if (!result.succeeded) return undefined;
    return { ...last, metadata: { ...last.metadata, resourceVersion: String(result.revision) } };
  }

  async delete(def: ResourceDefinition, namespace: string, name: string, options: DeleteOptions, ctx: StrategyContext): Promise<DeleteResult> {
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const current = await this.read(def, namespace, name);
      if (!current) throw apiErrors.notFound(qr(def), name);
      this.hooks.admitDelete?.(def, current.obj, ctx);
      const pre = options.preconditions;
      if (pre?.uid && pre.uid !== current.obj.metadata.uid) {
        throw apiErrors.conflict(qr(def), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.obj.metadata.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== String(current.modRevision)) {
        throw apiErrors.conflict(qr(def), name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.modRevision}`);
      }
      const next = cloneJson(current.obj);
      const finalizers = new Set(pendingFinalizers(def, next));
      if (options.propagationPolicy === 'Foreground') finalizers.add('foregroundDeletion');
      if (options.propagationPolicy === 'Orphan') finalizers.add('orphan');
      const grace = this.gracePeriod(def, current.obj, options);
      if (finalizers.size === 0 && grace === 0) {
        if (options.dryRun) return { obj: current.obj, deleted: true };
        const gone = await this.deleteAt(def, current, current.obj);
        if (gone) return { obj: gone, deleted: true };
        continue;
      }
      // Graceful or finalized: mark it and let the owner of the finalizer (or the kubelet) finish.
      const metaFinalizers = [...finalizers].filter((f) => !isNamespace(def) || !(next.spec?.finalizers ?? []).includes(f));
      if (metaFinalizers.length > 0) next.metadata.finalizers = metaFinalizers;
      if (isNamespace(def)) next.status = { ...next.status, phase: 'Terminating' };
      if (!next.metadata.deletionTimestamp || (grace > 0 && grace < (next.metadata.deletionGracePeriodSeconds ?? Infinity))) {
        // Kubernetes bumps generation when it starts a graceful deletion, so controllers notice.
        if (!next.metadata.deletionTimestamp && next.metadata.generation !== undefined) next.metadata.generation++;
        next.metadata.deletionTimestamp = timestamp(new Date(ctx.now.getTime() + grace * 1000));
        next.metadata.deletionGracePeriodSeconds = grace;
      }
      if (sameObject(next, current.obj)) return { obj: current.obj, deleted: false };
      if (options.dryRun) return { obj: next, deleted: false };
      const stored = await this.putAt(def, current, next);
      if (stored) return { obj: stored, deleted: false };
    }
    throw apiErrors.conflict(qr(def), name, 'too many concurrent writes, try again');
  }

  /** Pods bound to a node get a grace period (the kubelet ends them); everything else goes at once. */
  private gracePeriod(def: ResourceDefinition, obj: KObject, options: DeleteOptions): number {
    if (!def.strategy.gracefulDeletion) return 0;
    if (!obj.spec?.nodeName) return 0;
    const phase = obj.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return 0;
    const requested = options.gracePeriodSeconds ?? obj.spec?.terminationGracePeriodSeconds ?? 30;
    return Math.max(0, requested);
  }
}
