/**
 * The three walks server-side apply is built on, over two values and their schema:
 * compare (added / modified / removed field sets), merge (the applied configuration over the
 * live object, keeping list order as structured-merge-diff does) and removeItems (pruning).
 */
import type { SchemaNode } from '../../../api/schema.ts';
import type { Json } from '../../../api/types.ts';
import { deepEqual, isObject, type JsonObject } from '../json.ts';
import { elementKey, FieldSet, type Path, type PathElement } from './fieldpath.ts';
import type { SchemaTypes, TypeView } from './schema-type.ts';
import { listItems, type ListItem } from './typed.ts';

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

type Granular = Extract<TypeView, { kind: 'map' | 'list' }>;

/** The view when both sides can be walked item by item, undefined when the node is a leaf. */
function granularView(types: SchemaTypes, node: SchemaNode | undefined, left: Json | undefined, right: Json | undefined): Granular | undefined {
  const sample = right ?? left;
  const view = types.viewFor(node, sample === undefined ? null : sample);
  if (view.kind === 'map') {
    const ok = (v: Json | undefined) => v === undefined || isObject(v);
    return !view.atomic && ok(left) && ok(right) ? view : undefined;
  }
  if (view.kind === 'list') {
    const ok = (v: Json | undefined) => v === undefined || Array.isArray(v);
    return view.relation !== 'atomic' && ok(left) && ok(right) ? view : undefined;
  }
  return undefined;
}

/**
 * `skip` holds paths whose subtrees the caller drops from every result anyway (the fields an
 * endpoint resets, such as status on the main resource): not walking them is the same answer
 * for less work, which matters because every write of every object comes through here.
 */
export function compare(types: SchemaTypes, left: Json, right: Json, node: SchemaNode | undefined, skip?: FieldSet): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  compareAt(types, left, right, node, { key: '', added: c.added, modified: c.modified, removed: c.removed }, skip);
  return c;
}

/**
 * Where the walk stands: the element it came down by and, made when first needed, the three
 * result sets at that depth. Results are filed level by level instead of inserting whole paths
 * from the root, which rendered every element's key once per leaf below it.
 */
interface Level {
  parent?: Level;
  pe?: PathElement;
  key: string;
  added?: FieldSet;
  modified?: FieldSet;
  removed?: FieldSet;
}

type Outcome = keyof Comparison;

function setAt(level: Level, outcome: Outcome): FieldSet {
  let set = level[outcome];
  if (set === undefined) {
    set = setAt(level.parent!, outcome).descend(level.pe!, level.key);
    level[outcome] = set;
  }
  return set;
}

/** Files the level's own path under `outcome` (the root, an empty path, is never a member). */
function fileAt(level: Level, outcome: Outcome): void {
  if (level.parent) setAt(level.parent, outcome).members.set(level.key, level.pe!);
}

function compareAt(types: SchemaTypes, left: Json | undefined, right: Json | undefined, node: SchemaNode | undefined, level: Level, skip: FieldSet | undefined): void {
  const view = granularView(types, node, left, right);
  if (view === undefined) {
    if (left === undefined) fileAt(level, 'added');
    else if (right === undefined) fileAt(level, 'removed');
    else if (!deepEqual(left, right)) fileAt(level, 'modified');
    return;
  }
  // Equal subtrees hold no change: one structural comparison is far cheaper than the typed walk.
  if (left !== undefined && right !== undefined && deepEqual(left, right)) return;
  for (const [key, pe, l, r, childNode] of pairs(types, view, left, right)) {
    if (skip === undefined) compareAt(types, l, r, childNode, { parent: level, pe, key }, undefined);
    else if (!skip.members.has(key)) compareAt(types, l, r, childNode, { parent: level, pe, key }, skip.children.get(key)?.set);
  }
  if (left === undefined) fileAt(level, 'added');
  else if (right === undefined) fileAt(level, 'removed');
}

type Pair = [string, PathElement, Json | undefined, Json | undefined, SchemaNode | undefined];

/** The children of two granular values, matched by path element. */
function pairs(types: SchemaTypes, view: Granular, left: Json | undefined, right: Json | undefined): Pair[] {
  const out: Pair[] = [];
  if (view.kind === 'map') {
    const l = (left ?? {}) as JsonObject;
    const r = (right ?? {}) as JsonObject;
    for (const key of Object.keys(l)) out.push([`f:${key}`, { field: key }, l[key], hasOwn(r, key) ? r[key] : undefined, types.child(view, key).node]);
    for (const key of Object.keys(r)) if (!hasOwn(l, key)) out.push([`f:${key}`, { field: key }, undefined, r[key], types.child(view, key).node]);
    return out;
  }
  const lItems = indexed(types, view, left);
  const rItems = indexed(types, view, right);
  for (const [key, item] of lItems) out.push([key, item.pe, item.value, rItems.get(key)?.value, view.element]);
  for (const [key, item] of rItems) if (!lItems.has(key)) out.push([key, item.pe, undefined, item.value, view.element]);
  return out;
}

const hasOwn = (o: JsonObject, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

function indexed(types: SchemaTypes, view: Extract<TypeView, { kind: 'list' }>, list: Json | undefined): Map<string, ListItem> {
  const m = new Map<string, ListItem>();
  if (list === undefined) return m;
  for (const item of listItems(types, view, list as Json[], [])) if (!m.has(item.key)) m.set(item.key, item);
  return m;
}

/** The applied value over the live one: right wins at leaves, granular maps and lists merge. */
export function merge(types: SchemaTypes, left: Json | undefined, right: Json | undefined, node: SchemaNode | undefined, path: Path = []): Json | undefined {
  if (right === undefined) return left;
  if (left === undefined) return right;
  const view = granularView(types, node, left, right);
  if (view === undefined) return right;
  if (view.kind === 'map') {
    const l = left as JsonObject;
    const r = right as JsonObject;
    const out: JsonObject = {};
    for (const key of Object.keys(l)) out[key] = key in r ? merge(types, l[key], r[key], types.child(view, key).node, [...path, { field: key }])! : l[key]!;
    for (const key of Object.keys(r)) if (!(key in l)) out[key] = r[key]!;
    return out;
  }
  return mergeLists(types, view, left as Json[], right as Json[], path);
}

/**
 * List order after a merge: live-only items stay where they were, shared items follow the
 * applied order, and applied-only items come in applied order next to their neighbours.
 */
function mergeLists(types: SchemaTypes, view: Extract<TypeView, { kind: 'list' }>, left: Json[], right: Json[], path: Path): Json[] {
  const lItems = listItems(types, view, left, path);
  const rItems = listItems(types, view, right, path);
  const lByKey = new Map(lItems.map((i) => [elementKey(i.pe), i]));
  const rByKey = new Map(rItems.map((i) => [elementKey(i.pe), i]));
  const shared = rItems.map((i) => elementKey(i.pe)).filter((k) => lByKey.has(k));
  let nextShared = shared.shift();
  const done = new Set<string>();
  const out: Json[] = [];
  const emit = (key: string) => {
    const l = lByKey.get(key)?.value;
    const r = rByKey.get(key)?.value;
    out.push(merge(types, l, r, view.element, [...path, (rByKey.get(key) ?? lByKey.get(key))!.pe])!);
  };
  let li = 0;
  let ri = 0;
  while (li < lItems.length || ri < rItems.length) {
    if (li < lItems.length && ri < rItems.length) {
      const lk = elementKey(lItems[li]!.pe);
      if (lk === elementKey(rItems[ri]!.pe)) {
        done.add(lk);
        emit(lk);
        li++;
        ri++;
        nextShared = shared.shift();
        continue;
      }
      if (rByKey.has(lk) && nextShared !== undefined && nextShared !== lk) {
        li++;
        continue;
      }
    }
    if (li < lItems.length) {
      const lk = elementKey(lItems[li]!.pe);
      if (!rByKey.has(lk)) {
        out.push(lItems[li]!.value);
        li++;
        continue;
      }
      if (done.has(lk)) {
        li++;
        continue;
      }
    }
    if (ri < rItems.length) {
      const rk = elementKey(rItems[ri]!.pe);
      done.add(rk);
      emit(rk);
      ri++;
      if (nextShared === rk) nextShared = shared.shift();
    }
  }
  return out;
}

/**
 * The value without the members of `set` (each removed with everything below it). Go maps and
 * slices left empty by the removal disappear, as they would after a round trip through Go types.
 */
export function removeItems(types: SchemaTypes, value: Json, set: FieldSet, node: SchemaNode | undefined, path: Path = []): Json {
  const view = granularView(types, node, value, value);
  if (view === undefined || set.isEmpty()) return value;
  if (view.kind === 'map') {
    const out: JsonObject = {};
    for (const [key, child] of Object.entries(value as JsonObject)) {
      const pe = { field: key };
      if (set.has([pe])) continue;
      const below = set.childAt(pe);
      const slot = types.child(view, key);
      if (below === undefined) out[key] = child;
      else {
        const kept = removeItems(types, child, below, slot.node, [...path, pe]);
        if (!(emptiedGoCollection(types, slot.node, child, kept))) out[key] = kept;
      }
    }
    return out;
  }
  const out: Json[] = [];
  for (const item of listItems(types, view, value as Json[], path)) {
    if (set.has([item.pe])) continue;
    const below = set.childAt(item.pe);
    out.push(below === undefined ? item.value : removeItems(types, item.value, below, view.element, [...path, item.pe]));
  }
  return out;
}

function emptiedGoCollection(types: SchemaTypes, node: SchemaNode | undefined, before: Json, after: Json): boolean {
  const view = types.viewFor(node, after);
  const isEmpty = (Array.isArray(after) && after.length === 0) || (isObject(after) && Object.keys(after).length === 0);
  if (!isEmpty || deepEqual(before, after)) return false;
  return view.kind === 'list' || (view.kind === 'map' && Object.keys(view.fields).length === 0);
}
