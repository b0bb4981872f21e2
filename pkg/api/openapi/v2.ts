/**
 * Swagger 2.0 (/openapi/v2) converted from the v3 documents, served as JSON or, for kubectl
 * (which only asks for protobuf), encoded by v2proto.ts. */
import { SCHEMA_REF_PREFIX, type SchemaNode } from '../schema.ts';

const V2_REF_PREFIX = '#/definitions/';

/** A v3 schema rewritten for v2: refs to #/definitions, oneOf scalars collapsed to strings. */
export function toV2Schema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toV2Schema);
  if (node === null || typeof node !== 'object') return node;
  const source = node as SchemaNode & Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === '$ref' && typeof value === 'string') out.$ref = value.replace(SCHEMA_REF_PREFIX, V2_REF_PREFIX);
    else if (key === 'oneOf' || key === 'nullable') continue;
    else out[key] = toV2Schema(value);
  }
  // v2 has no oneOf: Kubernetes publishes IntOrString and Quantity as strings there.
  if (source.oneOf && !source.type) out.type = 'string';
  // Kubernetes' v2 documents put a field's description beside a plain $ref, not in allOf.
  if (Array.isArray(source.allOf) && source.allOf.length === 1 && source.allOf[0]!.$ref) {
    delete out.allOf;
    out.$ref = source.allOf[0]!.$ref.replace(SCHEMA_REF_PREFIX, V2_REF_PREFIX);
  }
  return out;
}

type V3Operation = Record<string, unknown> & {
  parameters?: Record<string, unknown>[];
  requestBody?: { content: Record<string, { schema: unknown }>; required?: boolean };
  responses?: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
};

function toV2Parameter(p: Record<string, unknown>): Record<string, unknown> {
  const { schema, ...rest } = p as { schema?: Record<string, unknown> };
  return { ...rest, ...(schema ?? {}) };
}

function toV2Operation(op: V3Operation): Record<string, unknown> {
  const { parameters, requestBody, responses, ...rest } = op;
  const out: Record<string, unknown> = { ...rest };
  const v2Parameters = (parameters ?? []).map(toV2Parameter);
  if (requestBody) {
    const [first] = Object.values(requestBody.content);
    v2Parameters.unshift({ in: 'body', name: 'body', required: requestBody.required ?? false, schema: toV2Schema(first?.schema) });
    out.consumes = Object.keys(requestBody.content);
  }
  if (v2Parameters.length > 0) out.parameters = v2Parameters;
  const produces = new Set<string>();
  const v2Responses: Record<string, unknown> = {};
  for (const [code, response] of Object.entries(responses ?? {})) {
    const [first] = Object.values(response.content ?? {});
    for (const type of Object.keys(response.content ?? {})) produces.add(type);
    v2Responses[code] = first ? { description: response.description, schema: toV2Schema(first.schema) } : { description: response.description };
  }
  if (produces.size > 0) out.produces = [...produces];
  out.responses = v2Responses;
  out.schemes = ['https'];
  return out;
}

/** Merges v3 group-version documents into one Swagger 2.0 document. */
export function toSwagger2(documents: Record<string, unknown>[], serverVersion: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const definitions: Record<string, unknown> = {};
  for (const doc of documents) {
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      const v2Item: Record<string, unknown> = {};
      for (const [method, value] of Object.entries(item)) {
        v2Item[method] = method === 'parameters'
          ? (value as Record<string, unknown>[]).map(toV2Parameter)
          : toV2Operation(value as V3Operation);
      }
      paths[path] = v2Item;
    }
    const schemas = (doc.components as { schemas: Record<string, unknown> }).schemas;
    for (const [name, schema] of Object.entries(schemas)) definitions[name] ??= toV2Schema(schema);
  }
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: serverVersion },
    paths: Object.fromEntries(Object.keys(paths).sort().map((p) => [p, paths[p]])),
    definitions: Object.fromEntries(Object.keys(definitions).sort().map((d) => [d, definitions[d]])),
    securityDefinitions: { BearerToken: { description: 'Bearer Token authentication', type: 'apiKey', name: 'authorization', in: 'header' } },
    security: [{ BearerToken: [] }],
  };
}
