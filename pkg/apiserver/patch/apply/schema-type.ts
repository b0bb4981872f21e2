/**
 * How structured-merge-diff sees an OpenAPI node: a scalar, a map (struct fields and/or map
 * entries; atomic or granular), a list (atomic, set, or map keyed by fields), or "deduced"
 * (no schema: maps granular, lists atomic, decided by the value). Lists without
 * x-kubernetes-list-type fall back to their patch strategy, as Kubernetes' conversion does.
 */
import type { SchemaNode, SchemaResolver } from '../../../api/schema.ts';
import type { Json } from '../../../api/types.ts';
import { isObject } from '../json.ts';

export type TypeView =
  | { kind: 'scalar' }
  | { kind: 'deduced' }
  | { kind: 'map'; atomic: boolean; fields: Record<string, SchemaNode>; element?: SchemaNode | 'deduced' }
  | { kind: 'list'; relation: 'atomic' | 'set' | 'map'; keys: string[]; element?: SchemaNode };

export class SchemaTypes {
  private readonly cache = new WeakMap<SchemaNode, TypeView>();

  constructor(readonly resolver: SchemaResolver) {}

  /** The view of `node` (undefined: no schema, deduced). */
  view(node: SchemaNode | undefined): TypeView {
    if (node === undefined) return { kind: 'deduced' };
    let view = this.cache.get(node);
    if (!view) {
      view = this.classify(this.resolver.resolve(node));
      this.cache.set(node, view);
    }
    return view;
  }

  /** The view for a concrete value: deduced nodes take the value's shape. */
  viewFor(node: SchemaNode | undefined, value: Json | undefined): TypeView {
    const view = this.view(node);
    if (view.kind !== 'deduced') return view;
    if (isObject(value)) return { kind: 'map', atomic: false, fields: {}, element: 'deduced' };
    if (Array.isArray(value)) return { kind: 'list', relation: 'atomic', keys: [] };
    return { kind: 'scalar' };
  }

  /** A key's schema inside a map view: declared field, map element, or none (undeclared). */
  child(view: Extract<TypeView, { kind: 'map' }>, key: string): { node?: SchemaNode; declared: boolean; known: boolean } {
    const field = view.fields[key];
    if (field !== undefined) return { node: field, declared: true, known: true };
    if (view.element === 'deduced') return { declared: false, known: true };
    if (view.element !== undefined) return { node: view.element, declared: false, known: true };
    return { declared: false, known: false };
  }

  private classify(node: SchemaNode): TypeView {
    if (node['x-kubernetes-int-or-string']) return { kind: 'scalar' };
    if (node.type === 'array') return this.listView(node);
    const hasProperties = node.properties !== undefined && Object.keys(node.properties).length > 0;
    const additional = node.additionalProperties;
    const preserve = node['x-kubernetes-preserve-unknown-fields'] === true || node['x-kubernetes-embedded-resource'] === true;
    if (node.type === 'object' || hasProperties || additional !== undefined) {
      if (!hasProperties && (additional === undefined || additional === true) && !preserve && node['x-kubernetes-map-type'] === undefined) {
        return { kind: 'deduced' };
      }
      let element: SchemaNode | 'deduced' | undefined;
      if (typeof additional === 'object') element = additional;
      else if (additional === true || preserve) element = 'deduced';
      return { kind: 'map', atomic: node['x-kubernetes-map-type'] === 'atomic', fields: node.properties ?? {}, element };
    }
    if (node.type !== undefined) return { kind: 'scalar' };
    return { kind: 'deduced' };
  }

  private listView(node: SchemaNode): TypeView {
    const element = node.items;
    const listType = node['x-kubernetes-list-type'];
    if (listType === 'map') return { kind: 'list', relation: 'map', keys: node['x-kubernetes-list-map-keys'] ?? [], element };
    if (listType === 'set') return { kind: 'list', relation: 'set', keys: [], element };
    if (listType === 'atomic') return { kind: 'list', relation: 'atomic', keys: [], element };
    const strategies = (node['x-kubernetes-patch-strategy'] ?? '').split(',');
    if (strategies.includes('merge')) {
      const mergeKey = node['x-kubernetes-patch-merge-key'];
      return mergeKey ? { kind: 'list', relation: 'map', keys: [mergeKey], element } : { kind: 'list', relation: 'set', keys: [], element };
    }
    return { kind: 'list', relation: 'atomic', keys: [], element };
  }

  /**
   * What Go's zero value of the kind looks like as JSON: struct fields that are not pointers
   * (published with `default: {}`) are present as empty objects. Creates compare against it,
   * so `spec` is never "added" while a new map such as `data` is.
   */
  zeroObject(node: SchemaNode | undefined, depth = 0): { [key: string]: Json } {
    const out: { [key: string]: Json } = {};
    if (node === undefined || depth > 20) return out;
    const resolved = this.resolver.resolve(node);
    for (const [name, field] of Object.entries(resolved.properties ?? {})) {
      const fallback = field.default ?? this.resolver.resolve(field).default;
      if (isObject(fallback) && Object.keys(fallback).length === 0) out[name] = this.zeroObject(field, depth + 1);
    }
    return out;
  }

  /** The schema default of a list-map key field (e.g. a container port's protocol: "TCP"). */
  keyDefault(element: SchemaNode | undefined, field: string): Json | undefined {
    if (element === undefined) return undefined;
    const resolved = this.resolver.resolve(element);
    const fieldNode = resolved.properties?.[field];
    if (fieldNode === undefined) return undefined;
    const value = fieldNode.default ?? this.resolver.resolve(fieldNode).default;
    // Every built-in list keyed by protocol defaults it to TCP; schemas without defaults still key right.
    if (value === undefined && field === 'protocol') return 'TCP';
    return value as Json | undefined;
  }
}
