/**
 * Schemas are OpenAPI v3 schema objects, the form Kubernetes publishes at /openapi/v3 and CRDs
 * carry in openAPIV3Schema. Built-in kinds and custom resources are walked by the same code:
 * strict field validation, strategic merge patch (patch strategy and merge key), server-side
 * apply (list types and map keys), `kubectl explain`, and CRD validation and defaulting.
 */

export interface SchemaNode {
  /** '#/components/schemas/<definition name>' */
  $ref?: string;
  /** Kubernetes wraps a $ref in allOf to add a description or default next to it. */
  allOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
  not?: SchemaNode;
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  nullable?: boolean;
  required?: string[];
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  multipleOf?: number;
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  /** Strategic merge patch: 'merge', 'replace', 'retainKeys', or 'merge,retainKeys'. */
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-patch-merge-key'?: string;
  /** Server-side apply: 'atomic' | 'set' | 'map'. */
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: { rule: string; message?: string }[];
}

/** Looks schemas up by definition name and follows references. */
export interface SchemaResolver {
  /** The schema of a definition, e.g. 'io.k8s.api.core.v1.PodSpec'; undefined when unknown. */
  definition(name: string): SchemaNode | undefined;
  /**
   * The node with `$ref` / single-element `allOf` followed to the referenced definition, with
   * the outer node's description and extensions kept. Returns the node itself when it has none.
   */
  resolve(node: SchemaNode): SchemaNode;
}

export const SCHEMA_REF_PREFIX = '#/components/schemas/';
