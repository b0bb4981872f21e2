/**
 * Element order of merged lists. Kubernetes keeps the patch's relative order for the items the
 * patch names, the live order for items only the server has, and interleaves the two using
 * the live list as the reference (normalizeElementOrder / mergeSortedSlice in strategicpatch).
 */
import type { Json } from '../../../api/types.ts';
import { isObject, type JsonObject } from '../json.ts';
import { badArgType, noMergeKey } from './errors.ts';

/** The identity an item is compared by: its merge key value for maps, itself for primitives. */
function identity(item: Json, mergeKey: string, ofMaps: boolean): Json | undefined {
  if (!ofMaps) return item;
  return isObject(item) ? item[mergeKey] : undefined;
}

function indexIn(list: readonly Json[], item: Json, mergeKey: string, ofMaps: boolean): number {
  const id = identity(item, mergeKey, ofMaps);
  return list.findIndex((v) => identity(v, mergeKey, ofMaps) === id);
}

/** Sorts `patch` items by `patchOrder` and server-only items by `serverOrder`, then interleaves them. */
export function normalizeElementOrder(
  patch: Json[],
  serverOnly: Json[],
  patchOrder: readonly Json[],
  serverOrder: readonly Json[],
  mergeKey: string,
  ofMaps: boolean,
): Json[] {
  const sortedPatch = normalizeSliceOrder(patch, patchOrder, mergeKey, ofMaps);
  const sortedServer = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, ofMaps);
  return mergeSortedSlice(sortedServer, sortedPatch, serverOrder, mergeKey, ofMaps);
}

/** Stable sort by position in `order`; items marked `$patch: delete` go last. */
function normalizeSliceOrder(toSort: Json[], order: readonly Json[], mergeKey: string, ofMaps: boolean): Json[] {
  let kept = toSort;
  let deleted: Json[] = [];
  if (ofMaps) {
    validateMergeKeyInLists(mergeKey, toSort, order);
    kept = toSort.filter((v) => (v as JsonObject)['$patch'] !== 'delete');
    deleted = toSort.filter((v) => (v as JsonObject)['$patch'] === 'delete');
  }
  const positioned = kept.map((item, i) => ({ item, i, at: indexIn(order, item, mergeKey, ofMaps) }));
  positioned.sort((a, b) => (a.at >= 0 && b.at >= 0 ? a.at - b.at : 0) || a.i - b.i);
  return [...positioned.map((p) => p.item), ...deleted];
}

/**
 * Inserts server-only items (left) among patch items (right): a left item goes first only when
 * both are in the live list and it was ahead there; both sides keep their relative order.
 */
function mergeSortedSlice(left: Json[], right: Json[], serverOrder: readonly Json[], mergeKey: string, ofMaps: boolean): Json[] {
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]!);
    else if (j >= right.length) out.push(left[i++]!);
    else {
      const li = indexIn(serverOrder, left[i]!, mergeKey, ofMaps);
      const ri = indexIn(serverOrder, right[j]!, mergeKey, ofMaps);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]!);
      else out.push(right[j++]!);
    }
  }
  return out;
}

export function validateMergeKeyInLists(mergeKey: string, ...lists: (readonly Json[])[]): void {
  for (const list of lists) {
    for (const item of list) {
      if (!isObject(item)) throw badArgType('map', item);
      if (!(mergeKey in item)) throw noMergeKey(item, mergeKey);
    }
  }
}

/** Splits `merged` into items present in `by` (the patch's) and the server-only rest. */
export function partitionByPresence(merged: Json[], by: readonly Json[], mergeKey: string, ofMaps: boolean): [Json[], Json[]] {
  const inPatch: Json[] = [];
  const serverOnly: Json[] = [];
  for (const item of merged) {
    if (ofMaps) {
      if (!isObject(item)) throw badArgType('map', item);
      if (!(mergeKey in item)) throw noMergeKey(item, mergeKey);
    }
    (presentIn(by, item, mergeKey, ofMaps) ? inPatch : serverOnly).push(item);
  }
  return [inPatch, serverOnly];
}

function presentIn(list: readonly Json[], item: Json, mergeKey: string, ofMaps: boolean): boolean {
  if (!ofMaps) return list.includes(item);
  const id = (item as JsonObject)[mergeKey];
  return list.some((v) => isObject(v) && mergeKey in v && v[mergeKey] === id);
}
