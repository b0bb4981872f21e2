/**
 * GET of one object and LIST, with Kubernetes' resourceVersion semantics:
 *   get  rv=""  → the datastore (latest)          rv="0"/N → the watch cache
 *   list rv=""  → cache once it has caught up with the datastore (a consistent read)
 *        rv="0" → cache as it is                  rv=N    → cache once at N (NotOlderThan)
 *        resourceVersionMatch=Exact, or limit/continue → the datastore at one revision.
 */
import type { KObject, ResourceDefinition } from '../../api/types.ts';
import { prefixEnd } from '../../kv/keys.ts';
import { ApiError, apiErrors, type Status } from '../errors.ts';
import { sendObject } from '../http/respond.ts';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, type FieldRequirement, type LabelRequirement } from '../selectors.ts';
import { apiVersionOf, decodeFromStorage, storagePrefix, toVersion } from '../storage/codec.ts';
import { jsonOf, type CachedObject } from '../storage/watchcache.ts';
import type { Scope } from './context.ts';
import { decodeContinue, encodeContinue } from './continue.ts';
import { forbidden, goQuote, notSupported, optionsInvalid, type OptionProblem } from './options.ts';
import { buildTable, partialMetadata } from './table.ts';

/** How long a read waits for the cache to reach the revision it must show (then 504, as Kubernetes). */
const CACHE_WAIT_MS = 3_000;

export interface Filter {
  labels: LabelRequirement[];
  fields: FieldRequirement[];
  namespace: string;
}

/** strconv's complaint about a number it cannot read: "invalid syntax" or "value out of range". */
function goNumberError(func: 'ParseInt' | 'ParseUint', value: string, max: bigint): string {
  const digits = func === 'ParseInt' ? /^[+-]?\d+$/ : /^\d+$/;
  const why = digits.test(value) && BigInt(value) > max ? 'value out of range' : 'invalid syntax';
  return `strconv.${func}: parsing ${goQuote(value)}: ${why}`;
}

/** int64 query parameters (limit, timeoutSeconds) as Convert_Slice_string_To_int64 reads them. */
export function parseInt64Param(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (!/^[+-]?\d+$/.test(value) || BigInt(value) > 2n ** 63n - 1n || BigInt(value) < -(2n ** 63n)) {
    throw apiErrors.badRequest(goNumberError('ParseInt', value, 2n ** 63n - 1n));
  }
  return Number(value);
}

/** A status without a reason (Kubernetes' answer to storage errors it does not classify). */
class UnclassifiedError extends ApiError {
  override toStatus(): Status {
    const status = super.toStatus();
    delete status.reason;
    return status;
  }
}

/**
 * A resourceVersion parameter; APIObjectVersioner reads it as a uint64. A list refuses a bad
 * one as 400 (ValidateListOptions); get and watch pass the storage error through, as Kubernetes
 * still does, as a 500 without a reason.
 */
export function parseResourceVersion(value: string | null, verb: 'list' | 'get' | 'watch'): number | undefined {
  if (value === null || value === '') return undefined;
  if (/^\d+$/.test(value) && BigInt(value) <= 2n ** 64n - 1n) return Number(value);
  const text = `resourceVersion: Invalid value: ${goQuote(value)}: ${goNumberError('ParseUint', value, 2n ** 64n - 1n)}`;
  if (verb === 'list') throw apiErrors.badRequest(`invalid resource version: ${text}`);
  throw new UnclassifiedError(500, 'InternalError', text);
}

export function parseFilter(scope: Scope): Filter {
  const { def, query, info } = scope;
  const fields = parseFieldSelector(query.get('fieldSelector') ?? '');
  for (const f of fields) {
    if (f.field !== 'metadata.name' && f.field !== 'metadata.namespace' && !def.fieldSelectors?.[f.field]) {
      // Kinds with their own field label conversion name the label; the rest fall back to metav1's.
      const own = def.custom || Object.keys(def.fieldSelectors ?? {}).length > 0;
      throw apiErrors.badRequest(own ? `field label not supported: ${f.field}` : `"${f.field}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
    }
  }
  return { labels: parseLabelSelector(query.get('labelSelector') ?? ''), fields, namespace: info.namespace };
}

export function fieldValue(def: ResourceDefinition, obj: KObject, field: string): string | undefined {
  if (field === 'metadata.name') return obj.metadata.name;
  if (field === 'metadata.namespace') return obj.metadata.namespace ?? '';
  return def.fieldSelectors?.[field]?.(obj);
}

export function matches(def: ResourceDefinition, filter: Filter, obj: KObject): boolean {
  if (filter.namespace && def.namespaced && obj.metadata.namespace !== filter.namespace) return false;
  if (filter.labels.length > 0 && !matchesLabels(filter.labels, obj.metadata.labels)) return false;
  if (filter.fields.length > 0 && !matchesFields(filter.fields, (f) => fieldValue(def, obj, f))) return false;
  return true;
}

/** Waits until the cache shows `revision`; 504 "Too large resource version" when it does not come. */
export async function awaitCache(scope: Scope, revision: number): Promise<void> {
  if (await scope.ctx.cache.waitFor(revision, CACHE_WAIT_MS)) return;
  // storage.NewTooLargeResourceVersionError: a Timeout the client retries after a second.
  throw apiErrors.tooLargeResourceVersion(revision, scope.ctx.cache.revision);
}

export async function handleGet(scope: Scope): Promise<void> {
  const { ctx, def, info, query, output } = scope;
  const rv = parseResourceVersion(query.get('resourceVersion'), 'get');
  let obj: KObject;
  if (rv === undefined) {
    // A consistent read: from the cache when it already shows the datastore's revision (its
    // JSON is serialized once and shared), else from the datastore.
    const key = def.namespaced ? `${storagePrefix(def, info.namespace)}${info.name}` : `${storagePrefix(def)}${info.name}`;
    if (output.kind === 'object' && !output.yaml && !def.conversion && ctx.cache.revision >= (await ctx.store.currentRevision())) {
      const cached = ctx.cache.get(def.storagePath, key);
      if (!cached) throw apiErrors.notFound({ group: def.group, resource: def.plural }, info.name);
      sendObject(scope.res, 200, jsonOf(cached), output);
      return;
    }
    obj = await ctx.store.get(def, info.namespace, info.name);
  } else {
    if (rv > 0) await awaitCache(scope, rv);
    const key = def.namespaced ? `${storagePrefix(def, info.namespace)}${info.name}` : `${storagePrefix(def)}${info.name}`;
    const cached = ctx.cache.get(def.storagePath, key);
    if (!cached) throw apiErrors.notFound({ group: def.group, resource: def.plural }, info.name);
    obj = cached.obj;
  }
  sendOne(scope, 200, toVersion(def, obj));
}

/** One object in the form the client asked for. */
export function sendOne(scope: Scope, code: number, obj: KObject, headers: Record<string, string> = {}): void {
  const { output, def, ctx } = scope;
  if (output.kind === 'table') {
    sendObject(scope.res, code, buildTable(ctx.printerFor(def), [obj], { now: ctx.now(), query: scope.query, resourceVersion: obj.metadata.resourceVersion ?? '' }), output, headers);
  } else if (output.kind === 'partial') {
    sendObject(scope.res, code, partialMetadata(obj), output, headers);
  } else {
    sendObject(scope.res, code, obj, output, headers);
  }
}

export async function handleList(scope: Scope): Promise<void> {
  const { ctx, def, query } = scope;
  const filter = parseFilter(scope);
  const rvText = query.get('resourceVersion') ?? '';
  const match = query.get('resourceVersionMatch') ?? '';
  const continueToken = query.get('continue') ?? '';
  const problems: OptionProblem[] = [];
  if (match !== '') {
    if (rvText === '') problems.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    if (continueToken !== '') problems.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    if (match !== 'Exact' && match !== 'NotOlderThan') problems.push(notSupported('resourceVersionMatch', goQuote(match), ['Exact', 'NotOlderThan', '']));
    if (match === 'Exact' && rvText === '0') problems.push(forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
  }
  if (query.has('sendInitialEvents')) problems.push(forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  if (problems.length > 0) throw optionsInvalid('ListOptions', problems);
  // A negative limit asks for no paging, as in Kubernetes.
  const limit = Math.max(0, parseInt64Param(query.get('limit')) ?? 0);
  if (continueToken !== '' && rvText !== '' && rvText !== '0') throw apiErrors.badRequest('specifying resource version is not allowed when using continue');
  const rv = parseResourceVersion(rvText, 'list');

  // resourceVersion=0 is "any version": the cache answers it whole, ignoring limit, as the
  // Kubernetes watch cache does (informers list this way on start).
  const pageFromStore = (limit > 0 && !(rv === 0 && match !== 'Exact')) || continueToken !== '' || match === 'Exact';
  if (pageFromStore) {
    await listFromStore(scope, filter, { limit, continueToken, revision: match === 'Exact' ? rv : undefined });
    return;
  }
  if (rv === undefined) await awaitCache(scope, await ctx.store.currentRevision());
  else if (rv > 0) await awaitCache(scope, rv);
  const prefix = def.namespaced && filter.namespace ? storagePrefix(def, filter.namespace) : undefined;
  const items = ctx.cache.list(def.storagePath, prefix).filter((c) => matches(def, filter, c.obj));
  sendList(scope, items, String(ctx.cache.revision));
}

/** Paged (or exact-revision) list read from the datastore at one revision, as Kubernetes does. */
async function listFromStore(scope: Scope, filter: Filter, opts: { limit: number; continueToken: string; revision?: number }): Promise<void> {
  const { ctx, def } = scope;
  const prefix = def.namespaced && filter.namespace ? storagePrefix(def, filter.namespace) : storagePrefix(def);
  let start = prefix;
  let revision = opts.revision;
  if (opts.continueToken !== '') {
    const token = decodeContinue(opts.continueToken, prefix);
    start = token.start;
    revision = token.revision;
  }
  revision ??= await ctx.store.currentRevision();
  const end = prefixEnd(prefix);
  const items: KObject[] = [];
  let next: string | undefined;
  let remaining: number | undefined;
  const filtered = filter.labels.length > 0 || filter.fields.length > 0;
  for (;;) {
    const page = await ctx.store.rangeAt(start, end, revision, opts.limit > 0 ? opts.limit - items.length + (filtered ? opts.limit : 0) : 0);
    let last: string | undefined;
    let full = false;
    let index = -1;
    for (const kv of page.kvs) {
      index++;
      last = kv.key;
      const obj = decodeFromStorage(kv.value, kv.modRevision, kv.key);
      if (!matches(def, filter, obj)) continue;
      items.push(obj);
      if (opts.limit > 0 && items.length >= opts.limit) {
        full = true;
        break;
      }
    }
    if (full) {
      const left = page.count - (index + 1);
      if (left > 0) {
        next = last! + '\u0000';
        if (!filtered) remaining = left;
      }
      break;
    }
    if (!page.more || last === undefined) break;
    start = last + '\u0000';
  }
  const cont = next !== undefined ? encodeContinue(next, prefix, revision) : undefined;
  sendList(scope, items.map((obj) => ({ key: '', obj, revision: 0 })), String(revision), cont, remaining);
}

/** Writes a list by concatenating the cached JSON of its items (each serialized once, shared). */
export function sendList(scope: Scope, items: CachedObject[], resourceVersion: string, cont?: string, remaining?: number): void {
  const { def, output, ctx } = scope;
  const metadata: Record<string, unknown> = { resourceVersion };
  if (cont) metadata.continue = cont;
  if (remaining !== undefined && remaining > 0) metadata.remainingItemCount = remaining;
  if (output.kind === 'table') {
    const objs = items.map((c) => toVersion(def, c.obj));
    const table = buildTable(ctx.printerFor(def), objs, { now: ctx.now(), query: scope.query, resourceVersion, continueToken: cont, remainingItemCount: remaining });
    sendObject(scope.res, 200, table, output);
    return;
  }
  if (output.kind === 'partial') {
    sendObject(scope.res, 200, { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata, items: items.map((c) => partialMetadata(toVersion(def, c.obj))) }, output);
    return;
  }
  const head = `{"kind":${JSON.stringify(def.listKind)},"apiVersion":${JSON.stringify(apiVersionOf(def))},"metadata":${JSON.stringify(metadata)},"items":[`;
  const body = def.conversion || items.some((c) => c.key === '')
    ? items.map((c) => JSON.stringify(toVersion(def, c.obj))).join(',')
    : items.map((c) => (c.obj.apiVersion === apiVersionOf(def) && c.obj.kind === def.kind ? jsonOf(c) : JSON.stringify(toVersion(def, c.obj)))).join(',');
  sendObject(scope.res, 200, `${head}${body}]}`, output);
}
