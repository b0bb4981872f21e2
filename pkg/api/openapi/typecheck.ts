/**
 * The type check Kubernetes gets for free by decoding JSON into Go structs: a string where an
 * int32 goes, an object where a list goes, is refused before anything is stored, with
 * encoding/json's words (`json: cannot unmarshal string into Go struct field
 * DeploymentSpec.spec.replicas of type int32`). Without it a wrong-typed value would be stored
 * and break every typed client (kubectl describe, informers) that reads it back.
 */
import type { SchemaNode, SchemaResolver } from '../schema.ts';
import { nodeRef, refName } from './resolver.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function jsonKind(v: Json): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'number';
  return typeof v === 'object' ? 'object' : 'string';
}

/** A Go-ish name of the type a schema node decodes into, for the message. */
function goType(node: SchemaNode, resolver: SchemaResolver): string {
  const ref = nodeRef(node);
  if (ref) {
    const name = refName(ref) ?? '';
    const short = name.split('.').pop() ?? name;
    if (short === 'IntOrString') return 'intstr.IntOrString';
    if (short === 'Quantity') return 'resource.Quantity';
    if (short === 'Time' || short === 'MicroTime') return `v1.${short}`;
    return `v1.${short}`;
  }
  const n = resolver.resolve(node);
  switch (n.type) {
    case 'integer':
      return n.format === 'int32' ? 'int32' : 'int64';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    case 'string':
      return n.format === 'byte' ? '[]uint8' : 'string';
    case 'array':
      return `[]${n.items ? goType(n.items, resolver) : 'interface {}'}`;
    case 'object':
      if (n.additionalProperties && typeof n.additionalProperties === 'object') return `map[string]${goType(n.additionalProperties, resolver)}`;
      return 'map[string]interface {}';
    default:
      return 'interface {}';
  }
}

function structName(node: SchemaNode, fallback: string): string {
  const ref = nodeRef(node);
  return ref ? (refName(ref) ?? fallback).split('.').pop()! : fallback;
}

/**
 * The first value of `obj` whose JSON type its schema cannot take, as encoding/json reports
 * it; undefined when everything fits. Schemas that hold anything (preserve-unknown-fields,
 * RawExtension) are not looked into; null fits everything, as in Go.
 */
export function typeMismatch(obj: unknown, schemaName: string, resolver: SchemaResolver): string | undefined {
  const root = resolver.definition(schemaName);
  if (!root) return undefined;
  return check(obj as Json, root, [], schemaName.split('.').pop()!, resolver);
}

/** The short struct name of a $ref node (null: not a ref), cached: every write walks these. */
const refShortNames = new WeakMap<SchemaNode, string | null>();

function refShortOf(schema: SchemaNode, struct: string): string | undefined {
  let short = refShortNames.get(schema);
  if (short === undefined) {
    short = nodeRef(schema) ? structName(schema, struct) : null;
    refShortNames.set(schema, short);
  }
  return short ?? undefined;
}

/** encoding/json's words for `value` that `schema` (resolved: `node`) cannot take. */
function mismatch(value: Json, schema: SchemaNode, node: SchemaNode, path: string[], struct: string, resolver: SchemaResolver): string {
  const where = path.length === 0 ? '' : ` Go struct field ${struct}.${path.join('.')}`;
  const into = where === '' ? ` Go value` : where;
  // Go names the literal only when a number does not fit an integer field.
  const shown = typeof value === 'number' && node.type === 'integer' ? `number ${value}` : jsonKind(value);
  return `json: cannot unmarshal ${shown} into${into} of type ${goType(schema, resolver)}`;
}

/** `path` is the field path's segments, joined only when a value does not fit. */
function check(value: Json, schema: SchemaNode, path: string[], struct: string, resolver: SchemaResolver): string | undefined {
  if (value === null) return undefined;
  const node = resolver.resolve(schema);
  if (node['x-kubernetes-preserve-unknown-fields'] || node['x-kubernetes-int-or-string']) return undefined;
  // No closure for the failure: this runs for every value of every write, and it almost never fails.
  const refShort = refShortOf(schema, struct);
  // Quantity and IntOrString take a string or a number.
  if (refShort === 'Quantity' || refShort === 'IntOrString') return typeof value === 'string' || typeof value === 'number' ? undefined : mismatch(value, schema, node, path, struct, resolver);
  switch (node.type) {
    case 'string':
      return typeof value === 'string' ? undefined : mismatch(value, schema, node, path, struct, resolver);
    case 'boolean':
      return typeof value === 'boolean' ? undefined : mismatch(value, schema, node, path, struct, resolver);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? undefined : mismatch(value, schema, node, path, struct, resolver);
    case 'number':
      return typeof value === 'number' ? undefined : mismatch(value, schema, node, path, struct, resolver);
    case 'array':
      if (!Array.isArray(value)) return mismatch(value, schema, node, path, struct, resolver);
      if (!node.items) return undefined;
      for (let i = 0; i < value.length; i++) {
        const problem = check(value[i]!, node.items, path, struct, resolver);
        if (problem) return problem;
      }
      return undefined;
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return mismatch(value, schema, node, path, struct, resolver);
      const inner = refShort ?? struct;
      const additional = typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined;
      for (const key in value) {
        const declared = node.properties?.[key];
        // Map values keep the map's field path, as Go reports them.
        const prop = declared ?? additional;
        if (!prop) continue;
        if (declared) path.push(key);
        const problem = check(value[key]!, prop, path, declared ? inner : struct, resolver);
        if (declared) path.pop();
        if (problem) return problem;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}
