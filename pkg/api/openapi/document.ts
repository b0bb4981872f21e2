/**
 * One OpenAPI v3 document per group-version, as kube-apiserver serves at
 * /openapi/v3/apis/<group>/<version>: the paths of its resources and, under
 * components.schemas, every definition they reach, with descriptions (`kubectl explain`
 * prints them) and `$ref`s wrapped in allOf wherever a field adds its own description or
 * extensions, as Kubernetes publishes them.
 */
import { SCHEMA_REF_PREFIX, type SchemaNode } from '../schema.ts';
import type { ResourceDefinition } from '../types.ts';
import { addResourcePaths, groupCamel, groupVersionPrefix, tag, type PathItem } from './operations.ts';
import { refName, type BuiltinDocs, type Enums, type OpenApiSchemas } from './resolver.ts';

export interface GroupVersion {
  group: string;
  version: string;
}

/** 'api/v1' or 'apis/apps/v1': the key of the /openapi/v3 index and the document's URL path. */
export function groupVersionPath(gv: GroupVersion): string {
  return groupVersionPrefix(gv.group, gv.version).slice(1);
}

export function buildGroupVersionDocument(
  gv: GroupVersion,
  resources: ResourceDefinition[],
  schemas: OpenApiSchemas,
  docs: BuiltinDocs,
  serverVersion: string,
): Record<string, unknown> {
  const paths: Record<string, PathItem> = {};
  const prefix = groupVersionPrefix(gv.group, gv.version);
  paths[`${prefix}/`] = {
    get: {
      description: 'get available resources',
      operationId: `get${groupCamel(gv.group)}${gv.version.charAt(0).toUpperCase()}${gv.version.slice(1)}APIResources`,
      responses: {
        200: {
          content: Object.fromEntries(['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']
            .map((t) => [t, { schema: { $ref: `${SCHEMA_REF_PREFIX}io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList` } }])),
          description: 'OK',
        },
        401: { description: 'Unauthorized' },
      },
      tags: [tag(gv.group, gv.version)],
    },
  };
  const sorted = [...resources].sort((a, b) => (a.plural < b.plural ? -1 : a.plural > b.plural ? 1 : 0));
  for (const def of sorted) addResourcePaths(paths, def, schemas.isCustom(def.schema));
  const ordered = Object.fromEntries(Object.keys(paths).sort().map((p) => [p, paths[p]]));
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: serverVersion },
    paths: ordered,
    components: {
      schemas: reachableSchemas(ordered, schemas, docs),
      securitySchemes: {
        BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' },
      },
    },
    security: [{ BearerToken: [] }],
  };
}

/** Every definition reachable from `root`, decorated with descriptions and enums, keyed in sorted order. */
export function reachableSchemas(root: unknown, schemas: OpenApiSchemas, docs: BuiltinDocs): Record<string, SchemaNode> {
  const out: Record<string, SchemaNode> = {};
  const pending = collectRefs(root, new Set());
  const seen = new Set<string>();
  while (pending.size > 0) {
    const [name] = pending;
    pending.delete(name!);
    if (seen.has(name!)) continue;
    seen.add(name!);
    const node = schemas.definition(name!);
    if (!node) continue;
    const decorated = schemas.isCustom(name!) ? node : describe(node, name!, docs);
    out[name!] = decorated;
    for (const next of collectRefs(decorated, new Set())) if (!seen.has(next)) pending.add(next);
  }
  return Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]!]));
}

function collectRefs(value: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) collectRefs(v, into);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string') {
        const name = refName(v);
        if (name) into.add(name);
      } else {
        collectRefs(v, into);
      }
    }
  }
  return into;
}

/**
 * A copy of a built-in definition with its type and field descriptions and its enums put
 * back. A field that refers to another type and has no description of its own (none are
 * known to be missing) borrows the referenced type's, rather than show none in explain.
 */
function describe(node: SchemaNode, name: string, { descriptions, enums }: BuiltinDocs): SchemaNode {
  const docs = descriptions[name];
  const out: SchemaNode = docs?.[''] ? { description: docs[''], ...node } : { ...node };
  if (!node.properties) return out;
  out.properties = {};
  for (const [field, prop] of Object.entries(node.properties)) {
    const target = prop.$ref ? refName(prop.$ref) : undefined;
    const description = docs?.[field] ?? (target ? descriptions[target]?.[''] : undefined);
    out.properties[field] = withEnum(withFieldDescription(prop, description), enums[name]?.[field]);
  }
  return out;
}

function withEnum(prop: SchemaNode, values: Enums[string][string] | undefined): SchemaNode {
  if (!values) return prop;
  if (values.items) return prop.items ? { ...prop, items: { ...prop.items, enum: values.values } } : prop;
  return { ...prop, enum: values.values };
}

function withFieldDescription(prop: SchemaNode, description: string | undefined): SchemaNode {
  if (prop.$ref) {
    const { $ref, ...fieldKeys } = prop;
    if (description === undefined && Object.keys(fieldKeys).length === 0) return prop;
    return { allOf: [{ $ref }], ...(description === undefined ? {} : { description }), ...fieldKeys };
  }
  return description === undefined ? prop : { description, ...prop };
}
