/**
 * kubectl's client-side apply annotation and server-side apply (lastappliedmanager.go and
 * lastappliedupdater.go): `kubectl apply --server-side` (manager "kubectl") on an object last
 * applied client-side may take over the fields whose live values still match the annotation,
 * and keeps the annotation in step with what it applies.
 */
import type { Json, KObject } from '../../../api/types.ts';
import { goJson, isObject } from '../json.ts';
import { FieldSet } from './fieldpath.ts';
import type { UpdaterContext } from './updater.ts';
import { toFieldSet } from './typed.ts';
import { compare } from './typed-ops.ts';
import { cloneJson } from '../../../api/json.ts';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
export const KUBECTL_MANAGER = 'kubectl';
/** ValidateAnnotationsSize: all annotations of an object together, in bytes. */
const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/**
 * The fields a conflict may be forced on: those of the last-applied configuration whose live
 * value is unchanged. Undefined when there is no usable annotation.
 */
export function allowedConflictsFromLastApplied(ctx: UpdaterContext, live: KObject): FieldSet | undefined {
  const text = live.metadata?.annotations?.[LAST_APPLIED_ANNOTATION];
  if (!text) return undefined;
  let lastApplied: unknown;
  try {
    lastApplied = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(lastApplied) || lastApplied.apiVersion !== ctx.apiVersion) return undefined;
  const liveWithout = readOnlyWithoutManagedFields(live);
  const fields = toFieldSet(ctx.types, lastApplied, ctx.root);
  const diff = compare(ctx.types, lastApplied, liveWithout, ctx.root);
  return fields.difference(diff.modified).difference(diff.added).difference(diff.removed);
}

/** After a "kubectl" apply, an existing annotation is rewritten to the applied configuration. */
export function syncLastApplied(result: KObject, applied: KObject): void {
  const annotations = result.metadata?.annotations;
  if (!annotations || !(LAST_APPLIED_ANNOTATION in annotations)) return;
  const copy = cloneJson(applied) as KObject;
  if (copy.metadata?.annotations) {
    delete copy.metadata.annotations[LAST_APPLIED_ANNOTATION];
  }
  annotations[LAST_APPLIED_ANNOTATION] = `${goJson(copy)}\n`;
  const size = Object.entries(annotations).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) delete annotations[LAST_APPLIED_ANNOTATION];
}

/**
 * A read-only view of `obj` without managedFields: shares everything else with `obj`, so
 * only comparisons may use it (withoutManagedFields copies, for results that get written to).
 */
export function readOnlyWithoutManagedFields(obj: KObject): Json {
  if (!obj.metadata || !('managedFields' in obj.metadata)) return obj as unknown as Json;
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  return { ...obj, metadata } as unknown as Json;
}

export function withoutManagedFields(obj: KObject): Json {
  const copy = cloneJson(obj) as KObject;
  if (copy.metadata) delete copy.metadata.managedFields;
  return copy as unknown as Json;
}
