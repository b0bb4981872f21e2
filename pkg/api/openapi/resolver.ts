/**
 * The schemas the API server reads: built-in definitions (generated, parsed on first use) plus
 * custom-resource definitions that CRDs add and remove at run time. Strict field validation,
 * strategic merge patch, server-side apply, CRD validation and the OpenAPI documents all look
 * definitions up here.
 */
import { brotliDecompressSync } from 'node:zlib';
import { SCHEMA_REF_PREFIX, type SchemaNode, type SchemaResolver } from '../schema.ts';
import type { Descriptions } from './handmade.ts';
import { BUILTIN_FINGERPRINT, STRUCTURE_JSON } from './data/structure.ts';

let builtins: Record<string, SchemaNode> | undefined;

/** Built-in definitions without descriptions; parsed once, shared, never to be mutated. */
export function builtinDefinitions(): Readonly<Record<string, SchemaNode>> {
  builtins ??= JSON.parse(STRUCTURE_JSON) as Record<string, SchemaNode>;
  return builtins;
}

function decompress<T>(base64: string): T {
  return JSON.parse(brotliDecompressSync(Buffer.from(base64, 'base64')).toString('utf8')) as T;
}

/** Descriptions as client-node's models and handmade.ts give them (what data/descriptions.ts holds). */
export async function modelDescriptions(): Promise<Descriptions> {
  const { DESCRIPTIONS_BROTLI } = await import('./data/descriptions.ts');
  return decompress<Descriptions>(DESCRIPTIONS_BROTLI);
}

/** Definition name → field → the values Kubernetes lists as its enum (of its items, for a list). */
export type Enums = Record<string, Record<string, { values: string[]; items: boolean }>>;

export interface BuiltinDocs {
  descriptions: Descriptions;
  enums: Enums;
}

/**
 * Descriptions and enums of built-in definitions: client-node's descriptions overlaid with
 * Kubernetes' own text where client-node lost it (fields referring to another type, line
 * breaks, enum lists), plus the enums client-node's spec lacks. Only the OpenAPI documents
 * need them, so they stay compressed in the bundle and are decoded per use, not kept.
 */
export async function builtinDocs(): Promise<BuiltinDocs> {
  const [descriptions, { FIELD_DOCS_BROTLI }] = await Promise.all([modelDescriptions(), import('./data/field-descriptions.ts')]);
  const kubernetes = decompress<BuiltinDocs>(FIELD_DOCS_BROTLI);
  for (const [name, texts] of Object.entries(kubernetes.descriptions)) descriptions[name] = { ...descriptions[name], ...texts };
  return { descriptions, enums: kubernetes.enums };
}

export async function builtinDescriptions(): Promise<Descriptions> {
  return (await builtinDocs()).descriptions;
}

/** The definition name a `$ref` points at, or undefined when it is not a components ref. */
export function refName(ref: string): string | undefined {
  return ref.startsWith(SCHEMA_REF_PREFIX) ? ref.slice(SCHEMA_REF_PREFIX.length) : undefined;
}

/** The `$ref` a node stands for: its own, or that of a single-element allOf wrapper. */
export function nodeRef(node: SchemaNode): string | undefined {
  if (node.$ref) return node.$ref;
  if (node.allOf?.length === 1 && node.allOf[0]!.$ref) return node.allOf[0]!.$ref;
  return undefined;
}

/** Keys of a referring node that describe the field rather than the referenced type. */
function isFieldLevelKey(key: string): boolean {
  return key === 'description' || key === 'default' || key === 'nullable' || key.startsWith('x-kubernetes-');
}

export class OpenApiSchemas implements SchemaResolver {
  private readonly custom = new Map<string, SchemaNode>();
  private readonly merged = new WeakMap<SchemaNode, { target: SchemaNode; view: SchemaNode }>();
  private readonly listeners = new Set<() => void>();
  private revision = 0;

  definition(name: string): SchemaNode | undefined {
    return this.custom.get(name) ?? builtinDefinitions()[name];
  }

  resolve(node: SchemaNode): SchemaNode {
    let current = node;
    // Chains are short (a ref to a ref is not produced by Kubernetes); the bound stops cycles.
    for (let hops = 0; hops < 8; hops++) {
      const ref = nodeRef(current);
      const target = ref === undefined ? undefined : this.definition(refName(ref) ?? '');
      if (!target) return current;
      current = this.withFieldKeys(current, target);
    }
    return current;
  }

  /** Whether a definition is custom (from a CRD) rather than built in. */
  isCustom(name: string): boolean {
    return this.custom.has(name);
  }

  /** Adds or replaces custom definitions, e.g. a CRD version's kind and list schemas. */
  setCustom(definitions: Record<string, SchemaNode>): void {
    for (const [name, schema] of Object.entries(definitions)) this.custom.set(name, schema);
    this.changed();
  }

  removeCustom(names: string[]): void {
    let removed = false;
    for (const name of names) removed = this.custom.delete(name) || removed;
    if (removed) this.changed();
  }

  customDefinitions(): ReadonlyMap<string, SchemaNode> {
    return this.custom;
  }

  /** Identifies the current set of schemas: built-in data plus every custom change. */
  fingerprint(): string {
    return `${BUILTIN_FINGERPRINT}.${this.revision}`;
  }

  /** Called after every change of custom definitions (OpenAPI documents drop their caches). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    this.revision++;
    for (const listener of this.listeners) listener();
  }

  private withFieldKeys(outer: SchemaNode, target: SchemaNode): SchemaNode {
    const fieldKeys = Object.keys(outer).filter(isFieldLevelKey);
    if (fieldKeys.length === 0) return target;
    const cached = this.merged.get(outer);
    if (cached?.target === target) return cached.view;
    // A shallow copy: the referenced definition's nested nodes stay shared.
    const view: SchemaNode = { ...target };
    for (const key of fieldKeys) (view as Record<string, unknown>)[key] = (outer as Record<string, unknown>)[key];
    this.merged.set(outer, { target, view });
    return view;
  }
}
