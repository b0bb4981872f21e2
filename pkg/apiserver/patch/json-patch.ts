/**
 * JSON patch, RFC 6902, with JSON pointers (RFC 6901). Failures throw JsonPatchError with a
 * reason in the wording of the library Kubernetes uses; the API server hides that reason
 * behind a generic 422 (see errors.ts), so the text only matters for logs and tests.
 */
import type { Json } from '../../api/types.ts';
import { clone, deepEqual, isObject } from './json.ts';

export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: Json;
}

export class JsonPatchError extends Error {
  override name = 'JsonPatchError';
}

/** Splits a JSON pointer into unescaped tokens; '' is the whole document. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new JsonPatchError(`JSON pointer must be empty or start with a "/": ${pointer}`);
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Json[] | { [key: string]: Json };

/** Applies the operations in order to a copy of target; the input is never mutated. */
export function applyJsonPatch(target: Json, ops: readonly JsonPatchOperation[]): Json {
  let doc = clone(target);
  for (const op of ops) doc = applyOne(doc, op);
  return doc;
}

function applyOne(doc: Json, op: JsonPatchOperation): Json {
  switch (op.op) {
    case 'add':
      return add(doc, requirePath(op), requireValue(op));
    case 'remove':
      return remove(doc, requirePath(op));
    case 'replace': {
      const path = requirePath(op);
      get(doc, path, 'replace operation does not apply: doc is missing path');
      if (path === '') return requireValue(op);
      return add(remove(doc, path), path, requireValue(op));
    }
    case 'move': {
      const from = requireFrom(op);
      const path = requirePath(op);
      if (path.startsWith(`${from}/`)) throw new JsonPatchError(`move operation cannot move a location into one of its children: ${from} -> ${path}`);
      const value = get(doc, from, 'move operation does not apply: doc is missing from path');
      return add(remove(doc, from), path, value);
    }
    case 'copy': {
      const value = get(doc, requireFrom(op), 'copy operation does not apply: doc is missing from path');
      return add(doc, requirePath(op), clone(value));
    }
    case 'test': {
      const path = requirePath(op);
      const actual = get(doc, path, `testing value ${path} failed`);
      if (!deepEqual(actual, op.value ?? null)) throw new JsonPatchError(`testing value ${path} failed: test failed`);
      return doc;
    }
    default:
      throw new JsonPatchError(`Unexpected kind: ${String((op as { op: unknown }).op)}`);
  }
}

function requirePath(op: JsonPatchOperation): string {
  if (typeof op.path !== 'string') throw new JsonPatchError(`${op.op} operation missing path field: missing value`);
  return op.path;
}

function requireFrom(op: JsonPatchOperation): string {
  if (typeof op.from !== 'string') throw new JsonPatchError(`${op.op} operation missing from field: missing value`);
  return op.from;
}

function requireValue(op: JsonPatchOperation): Json {
  if (!('value' in op) || op.value === undefined) throw new JsonPatchError(`${op.op} operation missing value field: missing value`);
  return op.value;
}

/** The container holding the pointer's last token, and that token. */
function parentOf(doc: Json, pointer: string): { parent: Container; token: string } {
  const tokens = parsePointer(pointer);
  let node: Json = doc;
  for (const token of tokens.slice(0, -1)) {
    const next = child(node, token);
    if (next === undefined) throw new JsonPatchError(`doc is missing path: "${pointer}": missing value`);
    node = next;
  }
  if (!Array.isArray(node) && !isObject(node)) throw new JsonPatchError(`doc is missing path: "${pointer}": missing value`);
  return { parent: node, token: tokens[tokens.length - 1]! };
}

function child(node: Json, token: string): Json | undefined {
  if (Array.isArray(node)) {
    const i = arrayIndex(token, node.length - 1);
    return node[i];
  }
  if (isObject(node)) return Object.prototype.hasOwnProperty.call(node, token) ? node[token] : undefined;
  return undefined;
}

/** RFC 6901 array index: digits without leading zeros, at most `max`. */
function arrayIndex(token: string, max: number): number {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new JsonPatchError(`Unable to access invalid index: ${token}: invalid index referenced`);
  const i = Number(token);
  if (i > max) throw new JsonPatchError(`Unable to access invalid index: ${i}: invalid index referenced`);
  return i;
}

function get(doc: Json, pointer: string, missing: string): Json {
  if (pointer === '') return doc;
  const { parent, token } = parentOf(doc, pointer);
  const value = child(parent, token);
  if (value === undefined) throw new JsonPatchError(`${missing}: ${pointer}: missing value`);
  return value;
}

function add(doc: Json, pointer: string, value: Json): Json {
  if (pointer === '') return value;
  const { parent, token } = parentOf(doc, pointer);
  if (Array.isArray(parent)) {
    const i = token === '-' ? parent.length : arrayIndex(token, parent.length);
    parent.splice(i, 0, value);
  } else {
    parent[token] = value;
  }
  return doc;
}

function remove(doc: Json, pointer: string): Json {
  if (pointer === '') throw new JsonPatchError('unable to remove the whole document');
  const { parent, token } = parentOf(doc, pointer);
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(token, parent.length - 1), 1);
  } else {
    if (!Object.prototype.hasOwnProperty.call(parent, token)) throw new JsonPatchError(`Unable to remove nonexistent key: ${token}: missing value`);
    delete parent[token];
  }
  return doc;
}
