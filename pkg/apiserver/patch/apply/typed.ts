/**
 * Values read through their schema: list items identified by key, value or index; the field
 * set a value holds (ToFieldSet); and the checks an applied configuration must pass.
 */
import type { SchemaNode } from '../../../api/schema.ts';
import type { Json } from '../../../api/types.ts';
import { isObject } from '../json.ts';
import { elementKey, FieldSet, pathString, type Path, type PathElement } from './fieldpath.ts';
import type { SchemaTypes, TypeView } from './schema-type.ts';

type ListView = Extract<TypeView, { kind: 'list' }>;
type MapView = Extract<TypeView, { kind: 'map' }>;

export interface ListItem {
  pe: PathElement;
  /** elementKey(pe). */
  key: string;
  value: Json;
}

/** Collects problems with their paths; `strict` (applied configurations) also refuses duplicates. */
export class Problems {
  readonly messages: string[] = [];
  constructor(readonly strict: boolean) {}
  add(path: Path, message: string): void {
    this.messages.push(`${pathString(path)}: ${message}`);
  }
}

/** Path elements of a granular list's items, in order; index elements when no key can be had. */
export function listItems(types: SchemaTypes, view: ListView, list: Json[], path: Path, problems?: Problems): ListItem[] {
  const seen = new Set<string>();
  const items: ListItem[] = [];
  list.forEach((value, index) => {
    const pe = itemElement(types, view, value, index, path, problems);
    const key = elementKey(pe);
    if (seen.has(key) && problems?.strict) problems.add(path, `duplicate entries for key ${pathString([pe])}`);
    seen.add(key);
    items.push({ pe, key, value });
  });
  return items;
}

function itemElement(types: SchemaTypes, view: ListView, value: Json, index: number, path: Path, problems?: Problems): PathElement {
  const fail = (message: string): PathElement => {
    problems?.add(path, `element ${index}: ${message}`);
    return { index };
  };
  if (view.relation === 'set') {
    if (value === null) return fail("associative list without keys has an element that's an explicit null");
    if (isObject(value)) return fail("associative list without keys has an element that's a map type");
    if (Array.isArray(value)) return fail('not supported: associative list with lists as elements');
    return { value };
  }
  if (value === null) return fail('associative list with keys may not have a null element');
  if (!isObject(value)) return fail('associative list with keys may not have non-map elements');
  const key: [string, Json][] = [];
  for (const field of view.keys) {
    const v = field in value ? value[field] : types.keyDefault(view.element, field);
    if (v === undefined) return fail(`associative list with keys has an element that omits key field "${field}" (and doesn't have default value)`);
    key.push([field, v]);
  }
  key.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { key };
}

/** The set of fields a value sets (typed.TypedValue.ToFieldSet). */
export function toFieldSet(types: SchemaTypes, value: Json, node: SchemaNode | undefined, problems?: Problems): FieldSet {
  const set = new FieldSet();
  walk(types, value, node, [], set, problems);
  return set;
}

function walk(types: SchemaTypes, value: Json, node: SchemaNode | undefined, path: Path, set: FieldSet, problems?: Problems): void {
  const view = types.viewFor(node, value);
  if (value === null) {
    set.insert(path);
    return;
  }
  if (view.kind === 'scalar' || view.kind === 'deduced') {
    if (problems && view.kind === 'scalar' && (isObject(value) || Array.isArray(value))) problems.add(path, `expected scalar, got ${Array.isArray(value) ? 'list' : 'map'}`);
    set.insert(path);
    return;
  }
  if (view.kind === 'list') {
    if (!Array.isArray(value)) {
      problems?.add(path, `expected list, got ${isObject(value) ? 'map' : typeof value}`);
      return;
    }
    if (view.relation === 'atomic') {
      set.insert(path);
      return;
    }
    for (const item of listItems(types, view, value, path, problems)) {
      const itemPath = [...path, item.pe];
      walk(types, item.value, view.element, itemPath, set, problems);
      set.insert(itemPath);
    }
    return;
  }
  if (!isObject(value)) {
    problems?.add(path, `expected map, got ${Array.isArray(value) ? 'list' : typeof value}`);
    return;
  }
  if (view.atomic) {
    set.insert(path);
    return;
  }
  walkMap(types, view, value, path, set, problems);
}

function walkMap(types: SchemaTypes, view: MapView, value: { [k: string]: Json }, path: Path, set: FieldSet, problems?: Problems): void {
  for (const [key, child] of Object.entries(value)) {
    const childPath = [...path, { field: key }];
    const slot = types.child(view, key);
    if (!slot.known && problems?.strict) {
      problems.add(childPath, 'field not declared in schema');
      continue;
    }
    walk(types, child, slot.node, childPath, set, problems);
    if (child === null || (isObject(child) && Object.keys(child).length === 0) || !slot.declared) set.insert(childPath);
  }
}
