/**
 * Writes: POST (create), PUT (update), PATCH, DELETE and DELETE of a collection, with the
 * request checks Kubernetes makes before the store: the body's kind and apiVersion match the
 * URL, namespaces agree, dryRun/fieldManager/fieldValidation are well formed.
 */
import type { KObject, ResourceDefinition } from '../../api/types.ts';
import { apiErrors } from '../errors.ts';
import { decodeObject, mediaType, readBody } from '../http/body.ts';
import { sendObject } from '../http/respond.ts';
import { isTrue } from '../requestinfo.ts';
import { apiVersionOf, storagePrefix, toVersion } from '../storage/codec.ts';
import type { DeleteOptions } from '../storage/store.ts';
import { strategyContext, type Scope } from './context.ts';
import { matches, parseFilter, sendOne } from './list.ts';
import { checkFields, fieldValidationMode } from './fields.ts';
import { strictPatchError, warningHeaderValue } from '../../api/openapi/fieldvalidation.ts';

export function dryRunOf(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  for (const v of values) {
    if (v !== 'All') throw apiErrors.badRequest(`Invalid dryRun value: "${v}": supported values: "All"`);
  }
  return values.length > 0;
}

export function fieldManagerOf(query: URLSearchParams): string | undefined {
  const m = query.get('fieldManager');
  if (m === null) return undefined;
  if (m.length > 128) throw apiErrors.badRequest('fieldManager: Too long: may not be more than 128 bytes');
  if (/[^\x20-\x7e]/.test(m)) throw apiErrors.badRequest(`fieldManager: Invalid value: "${m}": must only contain printable characters`);
  return m;
}

/** The kind of body a subresource or the resource itself takes. */
function expectedKind(def: ResourceDefinition, subresource: string): { kind: string; apiVersion?: string } {
  if (subresource === 'scale') return { kind: 'Scale', apiVersion: 'autoscaling/v1' };
  return { kind: def.kind, apiVersion: apiVersionOf(def) };
}

/** Decodes the body as an object of the URL's kind and namespace, or throws 400 as Kubernetes. */
export async function readObject(scope: Scope): Promise<KObject> {
  return (await readObjectWithText(scope)).obj;
}

/** As readObject, also returning the body's text when it was JSON (strict validation finds duplicate fields there). */
export async function readObjectWithText(scope: Scope): Promise<{ obj: KObject; rawJson?: string }> {
  const { req, def, info, ctx } = scope;
  const body = await readBody(req);
  const contentType = req.headers['content-type'];
  const want = expectedKind(def, info.subresource);
  const type = mediaType(contentType);
  if (type === 'application/vnd.kubernetes.protobuf' && def.custom) throw apiErrors.unsupportedMediaType(type);
  const obj = await decodeObject(body, contentType, (b) => ctx.decodeProtobuf(b, { apiVersion: want.apiVersion ?? apiVersionOf(def), kind: want.kind }));
  const rawJson = type === 'application/json' || type === '' ? body.toString('utf8') : undefined;
  if (obj.kind === undefined || obj.kind === '') {
    if (obj.apiVersion !== undefined || body.length > 0) {
      // Kubernetes fills kind/apiVersion from the URL when both are absent (a bare object).
      if (obj.apiVersion !== undefined) throw apiErrors.badRequest(`Object 'Kind' is missing in '${body.toString('utf8').slice(0, 200)}'`);
    }
    obj.kind = want.kind;
    obj.apiVersion ??= want.apiVersion;
  }
  if (obj.kind !== want.kind) {
    throw apiErrors.badRequest(`${obj.kind} in version "${obj.apiVersion ?? ''}" cannot be handled as a ${want.kind}: the kind in the body does not match the resource of the request`);
  }
  if (want.apiVersion !== undefined && obj.apiVersion !== want.apiVersion) {
    if (obj.apiVersion === undefined || obj.apiVersion === '') obj.apiVersion = want.apiVersion;
    else throw apiErrors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${want.apiVersion})`);
  }
  if (def.namespaced) {
    const ns = obj.metadata.namespace;
    if (ns !== undefined && ns !== '' && ns !== info.namespace) {
      throw apiErrors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    obj.metadata.namespace = info.namespace;
  } else {
    delete obj.metadata.namespace;
  }
  return { obj, rawJson };
}

/** Stored form of a body written through a version that is a view of another. */
function toStored(def: ResourceDefinition, obj: KObject): KObject {
  return def.conversion ? def.conversion.toStored(obj) : obj;
}

export async function handleCreate(scope: Scope): Promise<void> {
  const { ctx, def, query } = scope;
  const dryRun = dryRunOf(query);
  fieldManagerOf(query);
  const { obj, rawJson } = await readObjectWithText(scope);
  const warnings = checkFields(scope, obj, rawJson);
  const created = await ctx.store.create(def, toStored(def, obj), strategyContext(scope, dryRun));
  sendOne(scope, 201, toVersion(def, created), warnings);
}

export async function handleUpdate(scope: Scope): Promise<void> {
  const { ctx, def, info, query } = scope;
  const dryRun = dryRunOf(query);
  fieldManagerOf(query);
  const { obj, rawJson } = await readObjectWithText(scope);
  if (obj.metadata.name !== undefined && obj.metadata.name !== info.name) {
    throw apiErrors.badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${info.name})`);
  }
  obj.metadata.name = info.name;
  const warnings = checkFields(scope, obj, rawJson);
  const result = await ctx.store.update(def, info.namespace, info.name, () => toStored(def, obj), strategyContext(scope, dryRun), {
    createIfMissing: def.strategy.allowCreateOnUpdate === true && info.subresource === '',
  });
  sendOne(scope, result.created ? 201 : 200, toVersion(def, result.obj), warnings);
}

export async function handlePatch(scope: Scope): Promise<void> {
  const { ctx, def, info, query, req } = scope;
  const dryRun = dryRunOf(query);
  const manager = fieldManagerOf(query);
  const patchType = mediaType(req.headers['content-type']);
  const isApply = patchType === 'application/apply-patch+yaml';
  if (isApply && !manager) throw apiErrors.badRequest('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
  const force = query.get('force');
  if (force !== null && !isApply && isTrue(force)) {
    throw apiErrors.badRequest('PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
  }
  const patcher = ctx.patcher;
  if (!patcher) throw apiErrors.unsupportedPatch(patchType);
  const body = await readBody(req);
  let warnings: Record<string, string> = {};
  const mode = fieldValidationMode(query);
  const result = await ctx.store.update(
    def,
    info.namespace,
    info.name,
    async (current) => {
      const patched = await patcher.apply(patchType, current ? toVersion(def, current) : undefined, body, scope);
      // Field validation looks at the patched object (Kubernetes: 422 on "patch" under Strict).
      const problems = mode === 'Ignore' || !ctx.fieldProblems ? [] : ctx.fieldProblems(def, patched);
      if (problems.length > 0 && mode === 'Strict') throw strictPatchError(JSON.stringify(patched), problems);
      warnings = problems.length > 0 ? { warning: problems.map(warningHeaderValue).join(', ') } : {};
      if (patched.metadata?.name !== undefined && patched.metadata.name !== info.name) {
        throw apiErrors.badRequest(`the name of the object (${patched.metadata.name}) does not match the name on the URL (${info.name})`);
      }
      patched.metadata.name = info.name;
      if (def.namespaced) patched.metadata.namespace = info.namespace;
      return toStored(def, patched);
    },
    strategyContext(scope, dryRun, isApply),
    { createIfMissing: isApply && info.subresource === '' },
  );
  sendOne(scope, result.created ? 201 : 200, toVersion(def, result.obj), warnings);
}

async function deleteOptionsFrom(scope: Scope, body: Buffer): Promise<DeleteOptions> {
  const { query, req, ctx } = scope;
  const options: DeleteOptions = {};
  if (body.length > 0) {
    // kubectl drain sends DeleteOptions as protobuf; everyone else as JSON.
    const parsed = (await decodeObject(body, req.headers['content-type'] ?? 'application/json', (b) => ctx.decodeProtobuf(b, { apiVersion: 'v1', kind: 'DeleteOptions' }))) as Record<string, unknown>;
    if (typeof parsed.gracePeriodSeconds === 'number') options.gracePeriodSeconds = parsed.gracePeriodSeconds;
    if (typeof parsed.propagationPolicy === 'string') options.propagationPolicy = parsed.propagationPolicy as DeleteOptions['propagationPolicy'];
    if (parsed.orphanDependents === true) options.propagationPolicy = 'Orphan';
    if (parsed.preconditions && typeof parsed.preconditions === 'object') options.preconditions = parsed.preconditions as DeleteOptions['preconditions'];
    if (Array.isArray(parsed.dryRun) && parsed.dryRun.length > 0) options.dryRun = true;
  }
  const grace = query.get('gracePeriodSeconds');
  if (grace !== null) {
    if (!/^-?\d+$/.test(grace)) throw apiErrors.badRequest(`invalid gracePeriodSeconds "${grace}"`);
    options.gracePeriodSeconds = Number(grace);
  }
  const policy = query.get('propagationPolicy');
  if (policy !== null) options.propagationPolicy = policy as DeleteOptions['propagationPolicy'];
  if (isTrue(query.get('orphanDependents'))) options.propagationPolicy = 'Orphan';
  if (options.propagationPolicy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(options.propagationPolicy)) {
    throw apiErrors.invalid('DeleteOptions', 'meta.k8s.io', '', [{ type: 'FieldValueNotSupported', field: 'propagationPolicy', badValue: options.propagationPolicy, supported: ['Foreground', 'Background', 'Orphan', 'nil'] }]);
  }
  if (dryRunOf(query)) options.dryRun = true;
  return options;
}

function deletedStatus(def: ResourceDefinition, obj: KObject): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name: obj.metadata.name, ...(def.group === '' ? {} : { group: def.group }), kind: def.plural, uid: obj.metadata.uid },
  };
}

/** Kinds whose registry answers a DELETE with the deleted object (ReturnDeletedObject in Kubernetes). */
const RETURNS_DELETED_OBJECT = new Set(['/pods', '/serviceaccounts', 'storage.k8s.io/storageclasses']);

export async function handleDelete(scope: Scope): Promise<void> {
  const { ctx, def, info, query, req } = scope;
  const options = await deleteOptionsFrom(scope, await readBody(req));
  const result = await ctx.store.delete(def, info.namespace, info.name, options, strategyContext(scope, options.dryRun ?? false));
  if (result.deleted && !RETURNS_DELETED_OBJECT.has(`${def.group}/${def.plural}`)) sendObject(scope.res, 200, deletedStatus(def, result.obj), scope.output);
  else sendOne(scope, 200, toVersion(def, result.obj));
}

export async function handleDeleteCollection(scope: Scope): Promise<void> {
  const { ctx, def, info, query, req } = scope;
  const options = await deleteOptionsFrom(scope, await readBody(req));
  const filter = parseFilter(scope);
  await ctx.cache.waitFor(await ctx.store.currentRevision(), 3000);
  const prefix = def.namespaced && info.namespace ? storagePrefix(def, info.namespace) : undefined;
  const targets = ctx.cache.list(def.storagePath, prefix).filter((c) => matches(def, filter, c.obj));
  const items: KObject[] = [];
  for (const t of targets) {
    try {
      const r = await ctx.store.delete(def, t.obj.metadata.namespace ?? '', t.obj.metadata.name!, options, strategyContext(scope, options.dryRun ?? false));
      items.push(toVersion(def, r.obj));
    } catch (err) {
      if ((err as { reason?: string }).reason !== 'NotFound') throw err;
    }
  }
  sendObject(scope.res, 200, { kind: def.listKind, apiVersion: apiVersionOf(def), metadata: {}, items }, scope.output);
}
