/**
 * WATCH served from the watch cache: a stream of `{"type":…,"object":…}` lines. Each watcher
 * has a bounded queue drained at the pace its connection accepts; one that falls too far behind
 * is ended (its client re-watches from the last revision it saw, as with Kubernetes), so it
 * never holds up the others or grows memory without bound.
 */
import type { ServerResponse } from 'node:http';
import type { KObject } from '../../api/types.ts';
import { apiErrors } from '../errors.ts';
import { isTrue } from '../requestinfo.ts';
import { apiVersionOf, storagePrefix, toVersion } from '../storage/codec.ts';
import { jsonOf, type CacheEvent, type CachedObject } from '../storage/watchcache.ts';
import type { Scope } from './context.ts';
import { awaitCache, matches, parseFilter, parseInt64Param, parseResourceVersion } from './list.ts';
import { buildTable } from './table.ts';

/** Events waiting for a slow connection before it is cut off. */
const MAX_QUEUED_EVENTS = 10_000;
/** …or this many bytes of them (queued lines keep old versions of objects alive). */
const MAX_QUEUED_BYTES = 64 * 1024 * 1024;
/** Bytes handed to the connection before waiting for it to drain. */
const HIGH_WATER_BYTES = 1024 * 1024;
const BOOKMARK_INTERVAL_MS = 60_000;

/** Kubernetes never refuses a query boolean: anything but absent, 0 or false is true. */
function boolParam(query: URLSearchParams, name: string): boolean | undefined {
  const v = query.get(name);
  if (v === null) return undefined;
  return isTrue(v);
}

export async function handleWatch(scope: Scope): Promise<void> {
  const { ctx, def, query, req, res, output } = scope;
  const filter = parseFilter(scope);
  if (scope.info.name !== '') filter.fields.push({ field: 'metadata.name', operator: '=', value: scope.info.name });
  const rv = parseResourceVersion(query.get('resourceVersion'), 'watch');
  const bookmarks = boolParam(query, 'allowWatchBookmarks') ?? false;
  const sendInitialEvents = boolParam(query, 'sendInitialEvents');
  const match = query.get('resourceVersionMatch') ?? '';
  if (sendInitialEvents !== undefined) {
    if (match !== 'NotOlderThan') throw apiErrors.invalid('ListOptions', 'meta.k8s.io', '', [{ type: 'FieldValueForbidden', field: 'sendInitialEvents', detail: 'sendInitialEvents is forbidden for watch unless resourceVersionMatch is set to NotOlderThan' }]);
    if (sendInitialEvents && !bookmarks) throw apiErrors.invalid('ListOptions', 'meta.k8s.io', '', [{ type: 'FieldValueForbidden', field: 'allowWatchBookmarks', detail: 'allowWatchBookmarks must be set to true when sendInitialEvents is true' }]);
  } else if (match !== '') {
    throw apiErrors.badRequest('resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided');
  }
  // 0 or absent: the server's own 30–60 minutes; negative: a watch that ends at once.
  const timeoutSeconds = parseInt64Param(query.get('timeoutSeconds')) || 1800 * (1 + Math.random());

  // Which events come first: everything there is (synthetic ADDED), or what happened after rv.
  const initial = sendInitialEvents ?? (rv === undefined || rv === 0);
  if (rv === undefined) await awaitCache(scope, await ctx.store.currentRevision());
  else if (rv > 0) await awaitCache(scope, rv);
  const from = initial ? ctx.cache.revision : rv!;

  const queue: string[] = [];
  let closed = false;
  let firstTable = true;

  const encode = (type: string, obj: KObject, cached?: CachedObject): string => {
    if (output.kind === 'table') {
      // Kubernetes sends the column definitions with the first event only.
      const table = buildTable(ctx.printerFor(def), [obj], { now: ctx.now(), query, resourceVersion: obj.metadata.resourceVersion ?? '', noHeaders: !firstTable });
      firstTable = false;
      return `{"type":"${type}","object":${JSON.stringify(table)}}\n`;
    }
    if (output.kind === 'partial') return `{"type":"${type}","object":${JSON.stringify({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata })}}\n`;
    const json = cached && !def.conversion && cached.obj.apiVersion === apiVersionOf(def) && cached.obj.kind === def.kind ? jsonOf(cached) : JSON.stringify(toVersion(def, obj));
    return `{"type":"${type}","object":${json}}\n`;
  };
  const bookmark = (revision: number, initialEnd: boolean): string => {
    const metadata: Record<string, unknown> = { resourceVersion: String(revision) };
    if (initialEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
    return `{"type":"BOOKMARK","object":${JSON.stringify({ kind: def.kind, apiVersion: apiVersionOf(def), metadata })}}\n`;
  };

  let queuedBytes = 0;
  const pump = (): void => {
    while (queue.length > 0 && !closed && res.writableLength < HIGH_WATER_BYTES) {
      const line = queue.shift()!;
      queuedBytes -= line.length;
      (res as ServerResponse).write(line);
    }
  };
  const push = (line: string): void => {
    if (closed) return;
    queue.push(line);
    queuedBytes += line.length;
    if (queue.length > MAX_QUEUED_EVENTS || queuedBytes > MAX_QUEUED_BYTES) {
      // Too far behind: end it; its client re-watches from the last revision it got.
      queue.length = 0;
      queuedBytes = 0;
      finish();
      return;
    }
    pump();
  };
  const onEvents = (events: CacheEvent[], revision: number): void => {
    if (revision < 0) {
      finish();
      return;
    }
    for (const e of events) deliver(e);
  };
  const deliver = (e: CacheEvent): void => {
    const now = matches(def, filter, e.object.obj);
    const before = e.prev !== undefined && e.type !== 'ADDED' && matches(def, filter, e.prev.obj);
    if (e.type === 'DELETED') {
      if (before || now) push(encode('DELETED', e.object.obj, e.object));
    } else if (now && before) {
      push(encode('MODIFIED', e.object.obj, e.object));
    } else if (now) {
      push(encode('ADDED', e.object.obj, e.object));
    } else if (before) {
      // No longer matches the selector: to this watcher the object is gone.
      push(encode('DELETED', e.object.obj, e.object));
    }
  };

  const sub = ctx.cache.subscribe(def.storagePath, from, onEvents);
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
  (res as { flushHeaders?: () => void }).flushHeaders?.();
  if (!sub) {
    // As Kubernetes' cacher: the stream opens, then one ERROR event says 410 Expired.
    const status = apiErrors.expired(from, ctx.cache.oldestRevision(def.storagePath)).toStatus();
    res.end(`{"type":"ERROR","object":${JSON.stringify(status)}}\n`);
    return;
  }
  const timers: NodeJS.Timeout[] = [];
  const finish = (): void => {
    if (closed) return;
    closed = true;
    sub.cancel();
    for (const t of timers) clearTimeout(t);
    res.end();
    // A client that reads nothing never lets the end through: drop the stream and its buffers.
    setTimeout(() => {
      if (!res.writableFinished) res.destroy();
    }, 10_000).unref();
  };
  res.on('drain', pump);
  res.on('close', finish);
  req.on('close', finish);
  res.on('error', finish);
  timers.push(setTimeout(finish, Math.max(0, timeoutSeconds) * 1000));

  if (initial) {
    const prefix = def.namespaced && filter.namespace ? storagePrefix(def, filter.namespace) : undefined;
    for (const c of ctx.cache.list(def.storagePath, prefix)) {
      if (matches(def, filter, c.obj)) push(encode('ADDED', c.obj, c));
    }
    if (sendInitialEvents) push(bookmark(from, true));
  }
  for (const e of sub.backlog) deliver(e);
  if (bookmarks) {
    const tick = (): void => {
      if (closed) return;
      // Every event of this resource up to the cache revision has been queued already.
      if (queue.length === 0) push(bookmark(Math.max(ctx.cache.revision, from), false));
      timers.push(setTimeout(tick, BOOKMARK_INTERVAL_MS));
    };
    timers.push(setTimeout(tick, BOOKMARK_INTERVAL_MS));
  }
}
