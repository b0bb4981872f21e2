/**
 * Field managers for every write, as Kubernetes' FieldManager stacks them: version check,
 * last-applied migration, "before-first-apply", the cap on Update entries, manager identity,
 * times, and the metadata fields nobody owns. serverSideApply serves PATCH with
 * application/apply-patch+yaml; updateManagedFields serves create, update and the other patches.
 */
import type { SchemaResolver } from '../../../api/schema.ts';
import type { Json, KObject } from '../../../api/types.ts';
import { apiErrors, type ApiError } from '../../errors.ts';
import { unknownServerError } from '../errors.ts';
import { FieldSet, type Path } from './fieldpath.ts';
import { conflictError } from './conflicts.ts';
import { allowedConflictsFromLastApplied, KUBECTL_MANAGER, readOnlyWithoutManagedFields, syncLastApplied, withoutManagedFields } from './last-applied.ts';
import {
  capUpdateManagers, decodeManaged, encodeManaged, formatTime, isResetManagedFields, managerKey, ManagedFieldsError, type Managed, type ManagerId,
} from './managed.ts';
import { SchemaTypes } from './schema-type.ts';
import { Problems, toFieldSet } from './typed.ts';
import { applyOwnership, ConflictsError, updateOwnership, type Conflict, type UpdaterContext } from './updater.ts';

export interface FieldManagerInput {
  manager: string;
  /** The OpenAPI definition of the kind, e.g. 'io.k8s.api.apps.v1.Deployment'. */
  schemaName: string;
  resolver: SchemaResolver;
  now: Date;
  /** The request's group/version, e.g. 'apps/v1' or 'v1'. */
  apiVersion: string;
  /** '' or undefined for the main resource; 'status', 'scale', … */
  subresource?: string;
  /** Paths this endpoint resets and nobody owns through it, e.g. [['status']] on a main resource with a status subresource. */
  ignoredFields?: string[][];
}

export interface ApplyInput extends FieldManagerInput {
  /** The stored object; undefined when the apply creates it. */
  live?: KObject;
  /** The decoded apply body. */
  applied: KObject;
  force: boolean;
  /** The kind the URL serves; the applied object must name it. */
  kind: string;
}

export type ApplyResult = { object: KObject } | { conflicts: Conflict[]; error: ApiError };

export interface UpdateInput extends FieldManagerInput {
  /** The stored object; undefined on create. */
  old?: KObject;
  /** The object about to be stored (after defaults), possibly carrying client-set managedFields. */
  updated: KObject;
  operation: 'Update';
}

/** Paths stripped from every manager: identity and bookkeeping no one "sets". */
const STRIPPED = FieldSet.of(
  [{ field: 'apiVersion' }], [{ field: 'kind' }], [{ field: 'metadata' }],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion']
    .map((f): Path => [{ field: 'metadata' }, { field: f }]),
);

const BEFORE_FIRST_APPLY = 'before-first-apply';
const CURRENT_OPERATION = '\u0000current-operation';

/** One SchemaTypes per resolver, so its classification cache outlives a request. */
const typesByResolver = new WeakMap<SchemaResolver, SchemaTypes>();

function typesFor(resolver: SchemaResolver): SchemaTypes {
  let types = typesByResolver.get(resolver);
  if (!types) {
    types = new SchemaTypes(resolver);
    typesByResolver.set(resolver, types);
  }
  return types;
}

function context(input: FieldManagerInput): UpdaterContext {
  const definition = input.resolver.definition(input.schemaName);
  return {
    types: typesFor(input.resolver),
    root: definition,
    apiVersion: input.apiVersion,
    ignored: FieldSet.of(...(input.ignoredFields ?? []).map((p) => p.map((field) => ({ field })))),
  };
}

/** creater.New(kind): the zero object of the kind, apiVersion and kind set. */
function emptyObject(ctx: UpdaterContext, like: KObject): Json {
  return { ...ctx.types.zeroObject(ctx.root), apiVersion: like.apiVersion ?? null, kind: like.kind ?? null, metadata: {} } as Json;
}

function strip(managed: Managed, key: string): void {
  const entry = managed.get(key);
  if (!entry) return;
  const set = entry.set.difference(STRIPPED);
  if (set.isEmpty()) managed.delete(key);
  else managed.set(key, { ...entry, set });
}

function withManaged(obj: KObject, managed: Managed): KObject {
  const entries = encodeManaged(managed);
  obj.metadata ??= {};
  if (entries) obj.metadata.managedFields = entries;
  else delete obj.metadata.managedFields;
  return obj;
}

/** An Update by `id`: changed fields move to it and its time is set when it took any. */
function recordUpdate(ctx: UpdaterContext, live: Json, next: Json, managed: Managed, id: ManagerId, now: Date): void {
  updateOwnership(ctx, live, next, managed, CURRENT_OPERATION, id);
  strip(managed, CURRENT_OPERATION);
  const taken = managed.get(CURRENT_OPERATION);
  if (taken) {
    managed.delete(CURRENT_OPERATION);
    const key = managerKey(id);
    const previous = managed.get(key);
    managed.set(key, { id, set: previous ? taken.set.union(previous.set) : taken.set, apiVersion: taken.apiVersion, time: formatTime(now) });
  }
  capUpdateManagers(managed);
}

/** managedFields for a create, update or non-apply patch. Returns `updated` with managedFields set. */
export function updateManagedFields(input: UpdateInput): KObject {
  const ctx = context(input);
  const updated = input.updated;
  const isSubresource = Boolean(input.subresource);
  let managed: Managed;
  try {
    if (isSubresource) managed = decodeManaged(input.old?.metadata?.managedFields);
    else if (isResetManagedFields(updated.metadata?.managedFields)) managed = new Map();
    else {
      managed = safeDecode(updated.metadata?.managedFields);
      if (managed.size === 0) managed = decodeManaged(input.old?.metadata?.managedFields);
    }
  } catch {
    return updated;
  }
  if (updated.metadata) delete updated.metadata.managedFields;
  // Objects whose managers were cleared stay untracked until someone applies.
  if (managed.size === 0 && input.old?.metadata?.uid) return updated;
  const id: ManagerId = { manager: input.manager, operation: 'Update', apiVersion: input.apiVersion, subresource: input.subresource || undefined };
  const live = input.old ? readOnlyWithoutManagedFields(input.old) : emptyObject(ctx, updated);
  recordUpdate(ctx, live, updated as unknown as Json, managed, id, input.now);
  return withManaged(updated, managed);
}

function safeDecode(entries: KObject['metadata']['managedFields']): Managed {
  try {
    return decodeManaged(entries);
  } catch {
    return new Map();
  }
}

/**
 * Server-side apply. Throws ApiError for requests Kubernetes refuses (wrong kind or version,
 * managedFields in the body, a configuration that does not fit the schema); returns the
 * conflicts with their 409 when another manager owns a field the apply would change.
 */
export function serverSideApply(input: ApplyInput): ApplyResult {
  checkAppliedType(input);
  const attempt = (force: boolean) => applyOnce(input, force);
  try {
    return { object: attempt(input.force) };
  } catch (e) {
    if (!(e instanceof ConflictsError)) throw e;
    let conflicts = e.conflicts;
    if (input.manager === KUBECTL_MANAGER && input.live) {
      const allowed = allowedConflictsFromLastApplied(context(input), input.live);
      if (allowed) {
        conflicts = conflicts.filter((c) => !allowed.has(c.path));
        if (conflicts.length === 0) return { object: attempt(true) };
      }
    }
    return { conflicts, error: conflictError(conflicts) };
  }
}

function applyOnce(input: ApplyInput, force: boolean): KObject {
  const ctx = context(input);
  const { applied } = input;
  const live: KObject = input.live ?? (emptyObject(ctx, applied) as unknown as KObject);
  let managed: Managed;
  try {
    managed = decodeManaged(live.metadata?.managedFields);
  } catch (e) {
    const reason = e instanceof ManagedFieldsError ? e.message : String(e);
    throw unknownServerError(`failed to decode managed fields: ${reason}`);
  }
  const liveJson = withoutManagedFields(live);
  if (managed.size === 0) {
    const empty = emptyObject(ctx, live);
    const id: ManagerId = { manager: BEFORE_FIRST_APPLY, operation: 'Update', apiVersion: input.apiVersion, subresource: input.subresource || undefined };
    recordUpdate(ctx, empty, liveJson, managed, id, input.now);
  }
  if (applied.metadata?.managedFields !== undefined) throw apiErrors.badRequest('metadata.managedFields must be nil');
  validateApplied(ctx, input);
  const id: ManagerId = { manager: input.manager, operation: 'Apply', subresource: input.subresource || undefined };
  const key = managerKey(id);
  const merged = applyOwnership(ctx, liveJson, applied as unknown as Json, managed, key, id, force);
  strip(managed, key);
  let object: KObject;
  if (merged === null) {
    object = liveJson as unknown as KObject;
  } else {
    object = merged as unknown as KObject;
    const entry = managed.get(key);
    if (entry) entry.time = formatTime(input.now);
  }
  capUpdateManagers(managed);
  if (input.manager === KUBECTL_MANAGER) syncLastApplied(object, applied);
  return withManaged(object, managed);
}

/** versionCheckManager: the body must name the kind and version the URL serves. */
function checkAppliedType(input: ApplyInput): void {
  const apiVersion = String(input.applied.apiVersion ?? '');
  const kind = String(input.applied.kind ?? '');
  if (apiVersion === input.apiVersion && kind === input.kind) return;
  throw apiErrors.badRequest(`invalid object type: ${gvkString(apiVersion, kind)}`);
}

/** schema.GroupVersionKind.String(): `apps/v1, Kind=Deployment`, `/v1, Kind=Pod`. */
function gvkString(apiVersion: string, kind: string): string {
  const slash = apiVersion.indexOf('/');
  return slash >= 0 ? `${apiVersion}, Kind=${kind}` : `/${apiVersion}, Kind=${kind}`;
}

/** ObjectToTyped on the configuration: undeclared fields, bad shapes, bad or duplicate list keys. */
function validateApplied(ctx: UpdaterContext, input: ApplyInput): void {
  const problems = new Problems(true);
  toFieldSet(ctx.types, input.applied as unknown as Json, ctx.root, problems);
  if (problems.messages.length === 0) return;
  const text = problems.messages.length === 1 ? problems.messages[0]! : ['errors:', ...problems.messages.map((m) => `  ${m}`)].join('\n');
  const gvk = gvkString(input.apiVersion, input.kind);
  const meta = input.applied.metadata ?? {};
  throw unknownServerError(`failed to create typed patch object (${gvk} ${meta.namespace ?? ''}/${meta.name ?? ''}): ${text}`);
}
