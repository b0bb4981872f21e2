/**
 * Strategic merge patch as Kubernetes' API server applies it (StrategicMergeMapPatch with
 * MergeParallelList and IgnoreUnmatchedNulls): maps merge, null deletes, lists follow their
 * field's patch strategy — `merge` lists of maps by merge key, of primitives as sets — and the
 * directives `$patch`, `$retainKeys`, `$deleteFromPrimitiveList/<f>`, `$setElementOrder/<f>`.
 */
import type { SchemaNode, SchemaResolver } from '../../../api/schema.ts';
import type { Json } from '../../../api/types.ts';
import { clone, isObject, type JsonObject } from '../json.ts';
import { unknownServerError } from '../errors.ts';
import {
  badArgType, badPatchType, badPrimitiveListFormat, badRetainKeysFormat, badSetElementOrderFormat, noListOfLists, noMergeKey,
} from './errors.ts';
import { fieldPatchMeta, itemSchema, resolveNode, type FieldPatchMeta } from './meta.ts';
import { normalizeElementOrder, partitionByPresence } from './order.ts';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';
const SET_ELEMENT_ORDER = '$setElementOrder';

/**
 * Applies `patch` to `target` (neither is mutated) with the patch metadata of the OpenAPI
 * definition `schemaName`. Throws ApiError as Kubernetes answers a bad patch.
 */
export function applyStrategicMergePatch(target: JsonObject, patch: JsonObject, schemaName: string, resolver: SchemaResolver): JsonObject {
  const schema = resolver.definition(schemaName);
  const merged = new StrategicMerger(resolver).mergeMap(clone(target), clone(patch), schema === undefined ? undefined : resolver.resolve(schema));
  return dropDirectivesAndNulls(merged) as JsonObject;
}

/**
 * Strategic merge patch needs patch metadata, which only built-in kinds have: Kubernetes
 * answers it for custom resources with 415 (see patchKindFor's strategicAllowed).
 */
export function isStrategicMergePatchSupported(schemaName: string, resolver: SchemaResolver, isCustomResource: boolean): boolean {
  return !isCustomResource && resolver.definition(schemaName) !== undefined;
}

type Kind = 'map' | 'list' | 'scalar';
const kindOf = (v: Json): Kind => (Array.isArray(v) ? 'list' : isObject(v) ? 'map' : 'scalar');

class StrategicMerger {
  constructor(private readonly resolver: SchemaResolver) {}

  mergeMap(original: JsonObject | undefined, patch: JsonObject, schema: SchemaNode | undefined): JsonObject {
    if (DIRECTIVE in patch) return directiveOnMap(patch[DIRECTIVE]!, patch);
    const target = original ?? {};
    applyRetainKeys(target, patch);
    this.mergeSetElementOrder(target, patch, schema);
    for (const rawKey of Object.keys(patch)) {
      let key = rawKey;
      let isDeleteList = false;
      if (rawKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
        key = extractKey(rawKey, DELETE_FROM_PRIMITIVE_LIST);
        isDeleteList = true;
      } else if (rawKey.startsWith('$')) {
        continue;
      }
      const patchValue = patch[rawKey]!;
      if (patchValue === null) {
        delete target[key];
        continue;
      }
      // Kubernetes quirk kept on purpose: a delete list for a missing list becomes that list.
      if (!(key in target)) {
        target[key] = patchValue;
        continue;
      }
      const current = target[key]!;
      if (kindOf(current) !== kindOf(patchValue)) {
        target[key] = patchValue;
        continue;
      }
      const meta = fieldPatchMeta(schema, key, this.resolver);
      if (kindOf(current) === 'map') {
        target[key] = meta.strategy === 'replace' ? patchValue : this.mergeMap(current as JsonObject, patchValue as JsonObject, meta.schema);
      } else if (kindOf(current) === 'list') {
        target[key] = this.mergeListField(current as Json[], patchValue as Json[], meta, isDeleteList);
      } else {
        target[key] = patchValue;
      }
    }
    return target;
  }

  private mergeListField(original: Json[], patch: Json[], meta: FieldPatchMeta, isDeleteList: boolean): Json[] {
    if (meta.strategy !== 'merge') return patch;
    return this.mergeSlice(original, patch, itemSchema(meta.schema, this.resolver), meta.mergeKey, isDeleteList);
  }

  private mergeSlice(original: Json[], patch: Json[], elementSchema: SchemaNode | undefined, mergeKey: string, isDeleteList: boolean): Json[] {
    if (original.length === 0 && patch.length === 0) return original;
    const ofMaps = sliceElementKind(original, patch) === 'map';
    let merged: Json[];
    let base = original;
    let patchItems = patch;
    if (!ofMaps) {
      if (isDeleteList) return original.filter((v) => !patch.includes(v));
      merged = dedupeScalars([...original, ...patch]);
    } else {
      if (mergeKey === '') throw unknownServerError('cannot merge lists without merge key for type struct');
      [base, patchItems] = applyListDirectives(original, patch, mergeKey);
      merged = this.mergeByKey(base, patchItems, mergeKey, elementSchema);
    }
    const [inPatch, serverOnly] = partitionByPresence(merged, patchItems, mergeKey, ofMaps);
    return normalizeElementOrder(inPatch, serverOnly, patchItems, base, mergeKey, ofMaps);
  }

  /** mergeSliceWithoutSpecialElements: patch items merge into the live item with the same key, or are appended. */
  private mergeByKey(original: Json[], patch: Json[], mergeKey: string, elementSchema: SchemaNode | undefined): Json[] {
    const out = [...original];
    for (const item of patch) {
      const map = item as JsonObject;
      if (!(mergeKey in map)) throw noMergeKey(map, mergeKey);
      const at = findByKey(out, mergeKey, map[mergeKey]!);
      if (at >= 0) out[at] = this.mergeMap(out[at] as JsonObject, map, resolveNode(elementSchema, this.resolver));
      else out.push(item);
    }
    return out;
  }

  /**
   * `$setElementOrder/<field>`: merges the named list (if the patch has it) and orders the
   * result by the directive, then by live order for items only the server has.
   */
  private mergeSetElementOrder(original: JsonObject, patch: JsonObject, schema: SchemaNode | undefined): void {
    for (const directiveKey of Object.keys(patch)) {
      if (!directiveKey.startsWith(SET_ELEMENT_ORDER)) continue;
      const order = patch[directiveKey]!;
      delete patch[directiveKey];
      if (!Array.isArray(order)) throw badArgType('list', order);
      const key = extractKey(directiveKey, SET_ELEMENT_ORDER);
      const hasOriginal = key in original;
      const hasPatch = key in patch;
      const originalList = hasOriginal ? asList(original[key]!) : [];
      const patchList = hasPatch ? asList(patch[key]!) : [];
      const meta = fieldPatchMeta(schema, key, this.resolver);
      validatePatchWithSetOrderList(patchList, order, meta.mergeKey);
      if (!hasOriginal && !hasPatch) continue;
      let merged: Json[];
      if (hasOriginal && hasPatch) merged = this.mergeListField(originalList, patchList, meta, false);
      else merged = hasOriginal ? originalList : patchList;
      const ofMaps = meta.mergeKey !== '';
      const [inOrder, serverOnly] = partitionByPresence(merged, order, meta.mergeKey, ofMaps);
      const elementsOfMaps = sliceElementKind(originalList, patchList) === 'map';
      original[key] = normalizeElementOrder(inOrder, serverOnly, order, originalList, meta.mergeKey, elementsOfMaps);
      delete patch[key];
    }
  }
}

/** `$patch` on a map: replace keeps only the patch's content, delete empties the map. */
function directiveOnMap(directive: Json, patch: JsonObject): JsonObject {
  if (directive === 'replace') {
    const rest = { ...patch };
    delete rest[DIRECTIVE];
    return rest;
  }
  if (directive === 'delete') return {};
  throw badPatchType(directive, patch);
}

/** `$patch` items in a merging list of maps: delete removes by key, replace drops the live list. */
function applyListDirectives(original: Json[], patch: Json[], mergeKey: string): [Json[], Json[]] {
  const plain: Json[] = [];
  let base = original;
  let replace = false;
  for (const item of patch) {
    const map = item as JsonObject;
    if (!(DIRECTIVE in map)) {
      plain.push(item);
      continue;
    }
    const directive = map[DIRECTIVE];
    if (directive === 'delete') {
      if (!(mergeKey in map)) throw noMergeKey(map, mergeKey);
      base = base.filter((v) => !(isObject(v) && mergeKey in v && v[mergeKey] === map[mergeKey]));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw unknownServerError('merging lists cannot yet be specified in the patch');
    } else {
      throw badPatchType(directive, map);
    }
  }
  return replace ? [plain, []] : [base, plain];
}

/** `$retainKeys`: live keys not listed are cleared; every patch key must be listed. */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!(RETAIN_KEYS in patch)) return;
  const retain = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(retain)) throw badRetainKeysFormat();
  const keep = new Set(retain.filter((k): k is string => typeof k === 'string'));
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || key.startsWith(DELETE_FROM_PRIMITIVE_LIST) || key.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!keep.has(key)) throw badRetainKeysFormat();
  }
  for (const key of Object.keys(original)) if (!keep.has(key)) delete original[key];
}

/** The items of the patch list (deletions aside) must appear in the directive's relative order. */
function validatePatchWithSetOrderList(patchList: Json[], order: Json[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  const items = mergeKey === '' ? patchList : patchList.filter((v) => !(isObject(v) && v[DIRECTIVE] === 'delete'));
  let p = 0;
  let o = 0;
  while (p < items.length && o < order.length) {
    if (isObject(items[p]) && DIRECTIVE in (items[p] as JsonObject)) {
      p++;
      continue;
    }
    if (sameMergeKey(items[p]!, order[o]!, mergeKey)) p++;
    o++;
  }
  if (p < items.length) {
    throw unknownServerError(`The order in patch list:\n${goList(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goList(order)}\n`);
  }
}

function sameMergeKey(left: Json, right: Json, mergeKey: string): boolean {
  if (mergeKey === '') return left === right;
  if (!isObject(left)) throw badArgType('map', left);
  if (!isObject(right)) throw badArgType('map', right);
  if (!(mergeKey in left)) throw noMergeKey(left, mergeKey);
  if (!(mergeKey in right)) throw noMergeKey(right, mergeKey);
  return left[mergeKey] === right[mergeKey];
}

function goList(list: Json[]): string {
  return `[${list.map((v) => (isObject(v) ? `map[${Object.keys(v).sort().map((k) => `${k}:${String(v[k])}`).join(' ')}]` : String(v))).join(' ')}]`;
}

function extractKey(key: string, prefix: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) {
    throw prefix === DELETE_FROM_PRIMITIVE_LIST ? badPrimitiveListFormat() : badSetElementOrderFormat();
  }
  return key.slice(slash + 1);
}

function asList(v: Json): Json[] {
  if (!Array.isArray(v)) throw badArgType('list', v);
  return v;
}

/** All elements of the lists share one kind; lists of lists are refused (422). */
function sliceElementKind(...lists: Json[][]): Kind {
  let kind: Kind | undefined;
  let scalarType: string | undefined;
  for (const list of lists) {
    for (const item of list) {
      const k = kindOf(item);
      if (k === 'list') throw noListOfLists();
      const t = k === 'scalar' ? (item === null ? 'null' : typeof item) : k;
      if (kind === undefined) {
        kind = k;
        scalarType = t;
      } else if (t !== scalarType) {
        throw unknownServerError(`list element types are not identical: [${lists.map(goList).join(' ')}]`);
      }
    }
  }
  if (kind === undefined) throw unknownServerError('no elements in any of the given slices');
  return kind;
}

function findByKey(list: Json[], mergeKey: string, value: Json): number {
  return list.findIndex((v) => {
    if (!isObject(v)) throw unknownServerError(`value for key ${list.indexOf(v)} is not a map.`);
    return mergeKey in v && v[mergeKey] === value;
  });
}

/** Kubernetes' "clever" de-duplication: a duplicate is overwritten by the last item. */
function dedupeScalars(items: Json[]): Json[] {
  const s = [...items];
  let last = s.length - 1;
  for (let i = 0; i < last; i++) {
    for (let j = i + 1; j <= last; j++) {
      if (s[i] === s[j]) {
        s[j] = s[last]!;
        s.length = last;
        last--;
        j--;
      }
    }
  }
  return s;
}

/**
 * What decoding the merged map into a typed object does to leftovers: directive keys and
 * nulls brought in by the patch disappear.
 */
function dropDirectivesAndNulls(v: Json): Json {
  if (Array.isArray(v)) return v.map(dropDirectivesAndNulls);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, child] of Object.entries(v)) {
    if (k.startsWith('$') || child === null) continue;
    out[k] = dropDirectivesAndNulls(child);
  }
  return out;
}
