/**
 * Writes: POST (create), PUT (update), PATCH, DELETE and DELETE of a collection, with the
 * request checks Kubernetes makes before the store: the body's kind and apiVersion match the
 * URL, namespaces agree, dryRun/fieldManager/fieldValidation are well formed.
 */
import type { KObject, ResourceDefinition } from '../../api/types.ts';
import { ApiError, apiErrors } from '../errors.ts';
import { bodyFormat, decodeObject, mediaType, readBody } from '../http/body.ts';
import { sendObject } from '../http/respond.ts';
import { isTrue } from '../requestinfo.ts';
import { apiVersionOf, storageKey, storagePrefix, toVersion } from '../storage/codec.ts';
import { jsonOf } from '../storage/watchcache.ts';
import type { DeleteOptions } from '../storage/store.ts';
import { strategyContext, type Scope } from './context.ts';
import { matches, parseFilter, sendOne } from './list.ts';
import { checkFields } from './fields.ts';
import { deleteDryRunProblems, optionsInvalid, writeOptions, type WriteOptions } from './options.ts';
import { checkBodyKind, type ExpectedKind } from './typemeta.ts';
import { strictPatchError, warningHeaderValue } from '../../api/openapi/fieldvalidation.ts';

/** dryRun of a request, validated as CreateOptions (422 for anything but "All"). */
export function dryRunOf(query: URLSearchParams): boolean {
  return writeOptions(query, 'CreateOptions').dryRun;
}

/** The kind of body a subresource or the resource itself takes. */
function expectedKind(def: ResourceDefinition, subresource: string): ExpectedKind {
  if (subresource === 'scale') return { group: 'autoscaling', version: 'v1', kind: 'Scale' };
  return { group: def.group, version: def.version, kind: def.kind, custom: def.custom === true };
}

/** Decodes the body as an object of the URL's kind and namespace, or throws 400 as Kubernetes. */
export async function readObject(scope: Scope): Promise<KObject> {
  return (await readObjectWithText(scope)).obj;
}

export interface RequestObject {
  obj: KObject;
  /** The body's text when it was JSON (strict validation finds duplicate fields there). */
  rawJson?: string;
  /** go-yaml's strict error about keys a YAML body repeats. */
  yamlDuplicates?: string;
  options: WriteOptions;
}

/**
 * A POST or PUT body, checked in Kubernetes' order: Content-Type (415), size (413), the
 * Create/UpdateOptions in the query (422), the decoding (400), then kind and namespace (400).
 */
export async function readObjectWithText(scope: Scope): Promise<RequestObject> {
  const { req, def, info, ctx } = scope;
  const want = expectedKind(def, info.subresource);
  const format = bodyFormat(req.headers['content-type'], !def.custom);
  const body = await readBody(req);
  const options = writeOptions(scope.query, req.method === 'PUT' ? 'UpdateOptions' : 'CreateOptions');
  const apiVersion = want.group === '' ? want.version : `${want.group}/${want.version}`;
  const decoded = await decodeObject(body, format, (b) => ctx.decodeProtobuf(b, { apiVersion, kind: want.kind }), want.kind);
  const obj = checkBodyKind(ctx.table, want, decoded.typeMeta, decoded.obj, body);
  if (def.namespaced) {
    const ns = obj.metadata.namespace;
    if (ns !== undefined && ns !== '' && ns !== info.namespace) {
      throw apiErrors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    obj.metadata.namespace = info.namespace;
  } else {
    delete obj.metadata.namespace;
  }
  return { obj, rawJson: format === 'json' ? body.toString('utf8') : undefined, yamlDuplicates: decoded.yamlDuplicates, options };
}

/** The store's key function refuses names that are no single path segment (IsValidPathSegmentName). */
export function checkPathSegmentName(name: string): void {
  let problems: string[];
  if (name === '.' || name === '..') problems = [`may not be '${name}'`];
  else problems = ['/', '%'].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
  if (problems.length > 0) throw apiErrors.badRequest(`Name parameter invalid: ${JSON.stringify(name)}: ${problems.join(';')}`);
}

/** checkName of an update: the body must name the object of the URL, an absent name included. */
export function checkUpdateName(obj: KObject, name: string): void {
  const given = obj.metadata?.name ?? '';
  if (given !== name) throw apiErrors.badRequest(`the name of the object (${given}) does not match the name on the URL (${name})`);
}

/** Stored form of a body written through a version that is a view of another. */
function toStored(def: ResourceDefinition, obj: KObject): KObject {
  return def.conversion ? def.conversion.toStored(obj) : obj;
}

/**
 * A write's answer. When the watch cache holds exactly the stored revision (sqlite publishes
 * before answering), its JSON is sent: serialized once for this answer and every watcher.
 */
function sendWritten(scope: Scope, code: number, stored: KObject, dryRun: boolean, headers: Record<string, string>): void {
  const { ctx, def, output } = scope;
  if (!dryRun && output.kind === 'object' && !output.yaml && !def.conversion) {
    const cached = ctx.cache.get(def.storagePath, storageKey(def, stored.metadata.namespace ?? '', stored.metadata.name ?? ''));
    if (cached && String(cached.revision) === stored.metadata.resourceVersion && cached.obj.apiVersion === apiVersionOf(def) && cached.obj.kind === def.kind) {
      sendObject(scope.res, code, jsonOf(cached), output, headers);
      return;
    }
  }
  sendOne(scope, code, toVersion(def, stored), headers);
}

export async function handleCreate(scope: Scope): Promise<void> {
  const { ctx, def } = scope;
  const { obj, rawJson, yamlDuplicates, options } = await readObjectWithText(scope);
  const warnings = checkFields(scope, obj, rawJson, yamlDuplicates);
  const created = await ctx.store.create(def, toStored(def, obj), strategyContext(scope, options.dryRun));
  sendWritten(scope, 201, created, options.dryRun, warnings);
}

export async function handleUpdate(scope: Scope): Promise<void> {
  const { ctx, def, info } = scope;
  const { obj, rawJson, yamlDuplicates, options } = await readObjectWithText(scope);
  checkUpdateName(obj, info.name);
  checkPathSegmentName(info.name);
  const warnings = checkFields(scope, obj, rawJson, yamlDuplicates);
  const result = await ctx.store.update(def, info.namespace, info.name, () => toStored(def, obj), strategyContext(scope, options.dryRun), {
    createIfMissing: def.strategy.allowCreateOnUpdate === true && info.subresource === '',
  });
  sendWritten(scope, result.created ? 201 : 200, result.obj, options.dryRun, warnings);
}

export async function handlePatch(scope: Scope): Promise<void> {
  const { ctx, def, info, query, req } = scope;
  const patchType = mediaType(req.headers['content-type']);
  const isApply = patchType === 'application/apply-patch+yaml';
  const patcher = ctx.patcher;
  if (!patcher) throw apiErrors.unsupportedPatch(patchType);
  const body = await readBody(req);
  const { dryRun, fieldValidation: mode } = writeOptions(query, 'PatchOptions', isApply);
  let warnings: Record<string, string> = {};
  const result = await ctx.store.update(
    def,
    info.namespace,
    info.name,
    async (current) => {
      const patched = await patcher.apply(patchType, current ? toVersion(def, current) : undefined, body, scope);
      // A patch that leaves a wrong-typed value fails to decode in Kubernetes: 422 on "patch".
      const mismatch = def.custom ? undefined : ctx.typeProblem?.(def, patched);
      if (mismatch) {
        const detail = `Invalid value: ${JSON.stringify(JSON.stringify(patched))}: ${mismatch}`;
        throw new ApiError(422, 'Invalid', `The request is invalid: patch: ${detail}`, { causes: [{ reason: 'FieldValueInvalid', message: detail, field: 'patch' }] });
      }
      // Field validation looks at the patched object (Kubernetes: 422 on "patch" under Strict).
      const problems = mode === 'Ignore' || !ctx.fieldProblems ? [] : ctx.fieldProblems(def, patched);
      if (problems.length > 0 && mode === 'Strict') throw strictPatchError(JSON.stringify(patched), problems);
      warnings = problems.length > 0 ? { warning: problems.map(warningHeaderValue).join(', ') } : {};
      if (patched.metadata?.name !== undefined && patched.metadata.name !== info.name) {
        throw apiErrors.badRequest(`the name of the object (${patched.metadata.name}) does not match the name on the URL (${info.name})`);
      }
      patched.metadata.name = info.name;
      if (def.namespaced) patched.metadata.namespace = info.namespace;
      // Only a resourceVersion the patch itself names is a precondition; one carried over from
      // the current object would turn a lost race into a 409 where Kubernetes retries the patch.
      if (current && patched.metadata.resourceVersion === current.metadata.resourceVersion) delete patched.metadata.resourceVersion;
      return toStored(def, patched);
    },
    strategyContext(scope, dryRun, isApply),
    { createIfMissing: isApply && info.subresource === '' },
  );
  sendWritten(scope, result.created ? 201 : 200, result.obj, dryRun, warnings);
}

async function deleteOptionsFrom(scope: Scope, body: Buffer): Promise<DeleteOptions> {
  const { query, req, ctx } = scope;
  const options: DeleteOptions = {};
  if (body.length > 0) {
    // kubectl drain sends DeleteOptions as protobuf; everyone else as JSON.
    const format = bodyFormat(req.headers['content-type'], true);
    const parsed = (await decodeObject(body, format, (b) => ctx.decodeProtobuf(b, { apiVersion: 'v1', kind: 'DeleteOptions' }), 'DeleteOptions')).obj as Record<string, unknown>;
    if (typeof parsed.gracePeriodSeconds === 'number') options.gracePeriodSeconds = parsed.gracePeriodSeconds;
    if (typeof parsed.propagationPolicy === 'string') options.propagationPolicy = parsed.propagationPolicy as DeleteOptions['propagationPolicy'];
    if (parsed.orphanDependents === true) options.propagationPolicy = 'Orphan';
    if (parsed.preconditions && typeof parsed.preconditions === 'object') options.preconditions = parsed.preconditions as DeleteOptions['preconditions'];
    if (Array.isArray(parsed.dryRun) && parsed.dryRun.length > 0) {
      const problems = deleteDryRunProblems(parsed.dryRun.map(String));
      if (problems.length > 0) throw optionsInvalid('DeleteOptions', problems);
      options.dryRun = true;
    }
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
  const dryRun = query.getAll('dryRun');
  const problems = deleteDryRunProblems(dryRun);
  if (problems.length > 0) throw optionsInvalid('DeleteOptions', problems);
  if (dryRun.length > 0) options.dryRun = true;
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
