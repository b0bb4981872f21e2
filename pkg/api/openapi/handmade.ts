/**
 * Definitions @kubernetes/client-node has no model for, because its generator maps them to
 * plain TypeScript types: apimachinery's wire types (Time, Quantity, IntOrString, …) and the
 * untyped JSON holders of apiextensions. Shapes follow Kubernetes' published OpenAPI v3
 * (IntOrString and Quantity as oneOf, Time as a date-time string, RawExtension an object).
 */
import type { SchemaNode } from '../schema.ts';
import { definitionName } from './groups.ts';

/** Definition name → { '': description of the type, field: description of the field }. */
export type Descriptions = Record<string, Record<string, string>>;

interface HandMade {
  schema: SchemaNode;
  description: string;
}

const HAND_MADE: Record<string, HandMade> = {
  'meta.v1.Time': {
    schema: { type: 'string', format: 'date-time' },
    description: 'Time is a timestamp in UTC, written as an RFC 3339 string with second precision.',
  },
  'meta.v1.MicroTime': {
    schema: { type: 'string', format: 'date-time' },
    description: 'MicroTime is a timestamp with microsecond precision, written as an RFC 3339 string.',
  },
  'meta.v1.FieldsV1': {
    schema: { type: 'object' },
    description: 'FieldsV1 is the set of fields a manager owns, as a JSON trie: each key is `f:<name>` for a field, '
      + '`k:<keys>` for a list item by its keys, `v:<value>` for a set item or `i:<index>`, and `.` for the node itself.',
  },
  'meta.v1.Patch': {
    schema: { type: 'object' },
    description: 'Patch gives a concrete name and type to the body of a PATCH request.',
  },
  'runtime.RawExtension': {
    schema: { type: 'object' },
    description: 'RawExtension holds an embedded object of any kind as raw JSON; its apiVersion and kind say what it is.',
  },
  'util.intstr.IntOrString': {
    schema: { format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true },
    description: 'IntOrString is a type that can hold an int32 or a string. When used in JSON or YAML marshalling and '
      + 'unmarshalling, it produces or consumes the inner type. This allows you to have, for example, a JSON field '
      + 'that can accept a name or number.',
  },
  'api.resource.Quantity': {
    schema: { oneOf: [{ type: 'string' }, { type: 'number' }] },
    description: 'Quantity is a fixed-point number with a suffix: a binary SI suffix (Ki, Mi, Gi, Ti, Pi, Ei), a decimal '
      + 'SI suffix (n, u, m, "", k, M, G, T, P, E) or a decimal exponent (e3, E6). Examples: 100m (0.1), 128Mi, 1.5Gi, 2.',
  },
  'apiextensions.v1.JSON': {
    schema: {},
    description: 'JSON represents any valid JSON value: a boolean, number, string, array, object or null.',
  },
  'apiextensions.v1.JSONSchemaPropsOrArray': {
    schema: {},
    description: 'JSONSchemaPropsOrArray is either one JSONSchemaProps or an array of them.',
  },
  'apiextensions.v1.JSONSchemaPropsOrBool': {
    schema: {},
    description: 'JSONSchemaPropsOrBool is either a JSONSchemaProps or a boolean; true means any schema is allowed.',
  },
  'apiextensions.v1.JSONSchemaPropsOrStringArray': {
    schema: {},
    description: 'JSONSchemaPropsOrStringArray is either a JSONSchemaProps or an array of strings.',
  },
  'apiextensions.v1.CustomResourceSubresourceStatus': {
    schema: { type: 'object' },
    description: 'CustomResourceSubresourceStatus enables the status subresource: PUT to /status sets only the status '
      + 'stanza, and writes to the main resource leave status untouched.',
  },
};

export function handMadeDefinitions(): { structure: Record<string, SchemaNode>; descriptions: Descriptions } {
  const structure: Record<string, SchemaNode> = {};
  const descriptions: Descriptions = {};
  for (const [short, { schema, description }] of Object.entries(HAND_MADE)) {
    const name = definitionName(short);
    structure[name] = structuredClone(schema);
    descriptions[name] = { '': description };
  }
  return { structure, descriptions };
}
