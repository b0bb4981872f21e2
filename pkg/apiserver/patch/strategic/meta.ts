/**
 * Patch metadata from OpenAPI schemas: what apimachinery reads from Go struct tags
 * (patchStrategy, patchMergeKey) the published schema carries as x-kubernetes-patch-strategy
 * and x-kubernetes-patch-merge-key, so built-in kinds behave as they do in Kubernetes.
 */
import type { SchemaNode, SchemaResolver } from '../../../api/schema.ts';
import { unknownServerError } from '../errors.ts';

export interface FieldPatchMeta {
  /** The field's own schema, references followed; undefined when the schema does not know the field. */
  schema?: SchemaNode;
  /** 'merge' | 'replace' | '' (none). */
  strategy: string;
  retainKeys: boolean;
  mergeKey: string;
}

const NONE: FieldPatchMeta = { strategy: '', retainKeys: false, mergeKey: '' };

export function resolveNode(node: SchemaNode | undefined, resolver: SchemaResolver): SchemaNode | undefined {
  return node === undefined ? undefined : resolver.resolve(node);
}

/** The patch metadata of `key` inside an object whose (resolved) schema is `parent`. */
export function fieldPatchMeta(parent: SchemaNode | undefined, key: string, resolver: SchemaResolver): FieldPatchMeta {
  if (parent === undefined) return NONE;
  let node = parent.properties?.[key];
  if (node === undefined && typeof parent.additionalProperties === 'object') node = parent.additionalProperties;
  if (node === undefined) return NONE;
  const resolved = resolver.resolve(node);
  const strategies = (node['x-kubernetes-patch-strategy'] ?? resolved['x-kubernetes-patch-strategy'] ?? '')
    .split(',')
    .filter((s) => s !== '');
  const { retainKeys, strategy } = splitRetainKeys(strategies);
  const mergeKey = node['x-kubernetes-patch-merge-key'] ?? resolved['x-kubernetes-patch-merge-key'] ?? '';
  return { schema: resolved, strategy, retainKeys, mergeKey };
}

/** extractRetainKeysPatchStrategy: at most two strategies, one of which may be retainKeys. */
function splitRetainKeys(strategies: string[]): { retainKeys: boolean; strategy: string } {
  if (strategies.length === 0) return { retainKeys: false, strategy: '' };
  if (strategies.length === 1) {
    return strategies[0] === 'retainKeys' ? { retainKeys: true, strategy: '' } : { retainKeys: false, strategy: strategies[0]! };
  }
  if (strategies.length === 2 && strategies[0] === 'retainKeys') return { retainKeys: true, strategy: strategies[1]! };
  if (strategies.length === 2 && strategies[1] === 'retainKeys') return { retainKeys: true, strategy: strategies[0]! };
  throw unknownServerError(`unexpected patch strategy: [${strategies.join(' ')}]`);
}

/** The element schema of a list field. */
export function itemSchema(list: SchemaNode | undefined, resolver: SchemaResolver): SchemaNode | undefined {
  return resolveNode(list?.items, resolver);
}
