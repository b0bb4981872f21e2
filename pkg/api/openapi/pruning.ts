/**
 * What the apiextensions-apiserver does to a custom resource before validating it: drop the
 * fields its structural schema does not specify (pruning), then apply the schema's `default`s.
 * Both run on every write and on every read from storage, in place.
 *
 * - Pruning keeps apiVersion, kind and metadata at the root and in embedded resources;
 *   metadata is left to ObjectMeta handling. x-kubernetes-preserve-unknown-fields keeps
 *   unknown fields but still prunes inside the properties it specifies.
 * - Defaulting walks top-down, so a defaulted object gets its own nested defaults; a `null`
 *   in a non-nullable field takes the default, and without a default the field is removed.
 */
import type { SchemaNode } from '../schema.ts';

type JsonObject = { [key: string]: unknown };

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** Removes unspecified fields from `obj` in place; returns their paths (for strict field validation). */
export function prune(obj: unknown, schema: SchemaNode): string[] {
  const pruned: string[] = [];
  pruneNode(obj, schema, '', true, pruned);
  return pruned;
}

function pruneNode(value: unknown, schema: SchemaNode, path: string, isRoot: boolean, pruned: string[]): void {
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((item, i) => pruneNode(item, schema.items!, `${path}[${i}]`, false, pruned));
    return;
  }
  if (!isObject(value) || schema['x-kubernetes-int-or-string']) return;
  // A $ref (the root's metadata → ObjectMeta) is not part of the structural schema.
  if (schema.$ref || schema.allOf?.some((s) => s.$ref)) return;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const typeMeta = isRoot || schema['x-kubernetes-embedded-resource'] === true;
  const additional = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
  for (const key of Object.keys(value)) {
    const childPath = join(path, key);
    if (typeMeta && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) {
      if (key === 'metadata' || !schema.properties?.[key]) continue;
    }
    const child = schema.properties?.[key] ?? additional;
    if (child) pruneNode(value[key], child, childPath, false, pruned);
    else if (!preserve && schema.additionalProperties !== true) {
      delete value[key];
      pruned.push(childPath);
    }
  }
}

/** Applies the schema's defaults to `obj` in place, as apiextensions' structural defaulting does. */
export function applyDefaults(obj: unknown, schema: SchemaNode): void {
  if (Array.isArray(obj)) {
    if (schema.items) for (const item of obj) applyDefaults(item, schema.items);
    return;
  }
  if (!isObject(obj)) return;
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    if (child.default !== undefined && !(key in obj)) obj[key] = structuredClone(child.default);
  }
  const additional = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
  for (const [key, value] of Object.entries(obj)) {
    const child = schema.properties?.[key] ?? additional;
    if (!child) continue;
    if (value === null && !child.nullable) {
      if (child.default === undefined) {
        delete obj[key];
        continue;
      }
      obj[key] = structuredClone(child.default);
    }
    applyDefaults(obj[key], child);
  }
}
