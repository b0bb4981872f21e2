/**
 * Patch bodies decoded and applied with the status codes Kubernetes' patch handler uses:
 * undecodable bodies are 400, a JSON patch that does not apply is a generic 422, a merge result
 * that is no object is 422 Invalid on field "patch".
 */
import type { SchemaResolver } from '../../api/schema.ts';
import type { Json, KObject } from '../../api/types.ts';
import { parse as parseYaml } from 'yaml';
import { apiErrors, type ApiError } from '../errors.ts';
import { goJsonSyntaxError } from '../http/gojson.ts';
import { patchBadRequest, tooManyOperations, unprocessablePatch } from './errors.ts';
import { isObject, type JsonObject } from './json.ts';
import { applyJsonPatch, JsonPatchError, type JsonPatchOperation } from './json-patch.ts';
import { applyMergePatch } from './merge-patch.ts';
import { MAX_JSON_PATCH_OPERATIONS } from './options.ts';
import { applyStrategicMergePatch } from './strategic/merge.ts';

export type NonApplyPatchKind = 'json' | 'merge' | 'strategic';

/** Applies a JSON, merge or strategic merge patch body to the live object (not mutated). */
export function applyPatchBody(kind: NonApplyPatchKind, live: KObject, body: string | Uint8Array, schemaName: string, resolver: SchemaResolver): KObject {
  const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
  switch (kind) {
    case 'json':
      return asObject(applyJsonPatchBody(live, text));
    case 'merge':
      return asObject(applyMergePatchBody(live, text));
    case 'strategic':
      return applyStrategicMergePatch(live as JsonObject, decodeStrategicBody(text), schemaName, resolver) as KObject;
  }
}

function applyJsonPatchBody(live: KObject, text: string): Json {
  const decoded = parseJson(text, (message) => patchBadRequest(message));
  if (!Array.isArray(decoded)) throw patchBadRequest(`json: cannot unmarshal ${goJsonKind(decoded)} into Go value of type jsonpatch.Patch`);
  for (const op of decoded) {
    if (!isObject(op)) throw patchBadRequest(`json: cannot unmarshal ${goJsonKind(op)} into Go value of type jsonpatch.Operation`);
  }
  if (decoded.length > MAX_JSON_PATCH_OPERATIONS) throw tooManyOperations(MAX_JSON_PATCH_OPERATIONS, decoded.length);
  try {
    return applyJsonPatch(live as JsonObject, decoded as unknown as JsonPatchOperation[]);
  } catch (e) {
    if (e instanceof JsonPatchError) throw unprocessablePatch();
    throw e;
  }
}

function applyMergePatchBody(live: KObject, text: string): Json {
  const patch = parseJson(text, () => patchBadRequest('Invalid JSON Patch'));
  if (patch === null || (typeof patch !== 'object')) throw patchBadRequest('Invalid JSON Patch');
  return applyMergePatch(live as JsonObject, patch);
}

function decodeStrategicBody(text: string): JsonObject {
  const patch = parseJson(text, (message) => patchBadRequest(message));
  if (patch === null) return {};
  if (!isObject(patch)) throw patchBadRequest(`json: cannot unmarshal ${goJsonKind(patch)} into Go value of type map[string]interface {}`);
  return patch;
}

/** An apply body: YAML (JSON is YAML too) holding one object. */
export function decodeApplyBody(body: string | Uint8Array): KObject {
  const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
  let decoded: unknown;
  try {
    decoded = parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (e) {
    throw patchBadRequest(`error decoding YAML: ${(e as Error).message}`);
  }
  if (decoded === null || decoded === undefined) return { metadata: {} } as KObject;
  if (!isObject(decoded)) {
    throw patchBadRequest(`error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${goJsonKind(decoded as Json)} into Go value of type map[string]interface {}`);
  }
  return decoded as KObject;
}

/** A patched result that is no object cannot become an API object. */
function asObject(result: Json): KObject {
  if (isObject(result)) return result as KObject;
  throw apiErrors.invalid('', '', '', [{
    type: 'FieldValueInvalid',
    field: 'patch',
    badValue: JSON.stringify(result),
    detail: `json: cannot unmarshal ${goJsonKind(result)} into Go value of type map[string]interface {}`,
  }]);
}

function parseJson(text: string, onError: (goMessage: string) => ApiError): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw onError(goJsonSyntaxError(Buffer.from(text)) ?? 'unexpected end of JSON input');
  }
}

function goJsonKind(v: Json): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (isObject(v)) return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

export interface PatchTarget {
  /** e.g. { group: 'apps', resource: 'deployments' } for messages. */
  resource: { group: string; resource: string };
  kind: string;
  name: string;
  /** '' for cluster-scoped resources. */
  namespace: string;
}

/**
 * What Kubernetes checks after any patch: the namespace is filled in or must match, the name
 * must match the URL, and the uid may not change (nor be invented for an object that does not
 * exist yet). Mutates `patched` only to fill in or clear the namespace.
 */
export function checkPatchedIdentity(patched: KObject, live: KObject | undefined, target: PatchTarget): void {
  patched.metadata ??= {};
  const meta = patched.metadata;
  const liveUid = live?.metadata?.uid;
  if (meta.uid && !liveUid) {
    throw apiErrors.conflict(target.resource, target.name, `uid mismatch: the provided object specified uid ${meta.uid}, and no existing object was found`);
  }
  const objectNamespace = meta.namespace ?? '';
  if (objectNamespace !== target.namespace) {
    if (objectNamespace === '' || target.namespace === '') meta.namespace = target.namespace || undefined;
    else throw patchBadRequest('the namespace of the provided object does not match the namespace sent on the request');
    if (meta.namespace === undefined) delete meta.namespace;
  }
  const objectName = meta.name ?? '';
  if (objectName !== target.name) {
    throw patchBadRequest(`the name of the object (${objectName}) does not match the name on the URL (${target.name})`);
  }
  if (liveUid && meta.uid !== undefined && meta.uid !== liveUid) {
    throw apiErrors.invalid(target.kind, target.resource.group, target.name, [
      { type: 'FieldValueInvalid', field: 'metadata.uid', badValue: meta.uid, detail: 'field is immutable' },
    ]);
  }
}

