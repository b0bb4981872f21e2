/**
 * Server-side field validation (`fieldValidation=Strict|Warn|Ignore`): which fields of a body
 * the schema does not know, and the texts Kubernetes answers with.
 *
 * - Strict create/update: 400 BadRequest, `Deployment in version "v1" cannot be handled as a
 *   Deployment: strict decoding error: unknown field "spec.foo", unknown field "spec.bar"`
 *   (the handler's decode error goes through transformDecodeError); kubectl prints it as
 *   `Error from server (BadRequest): error when creating "x.yaml": <message>`.
 * - Strict patch: 422 Invalid on field `patch` whose value is the patched object,
 *   ` "" is invalid: patch: Invalid value: "<json>": strict decoding error: unknown field "spec.foo"`.
 * - Warn (the default): the request succeeds with one `Warning: 299 - "unknown field \"spec.foo\""`
 *   response header per problem; kubectl prints `Warning: unknown field "spec.foo"`.
 */
import { ApiError } from '../../apiserver/errors.ts';
import type { SchemaNode, SchemaResolver } from '../schema.ts';
import { SCHEMA_REF_PREFIX } from '../schema.ts';
import { duplicateFields } from './duplicates.ts';

const OBJECT_META = `${SCHEMA_REF_PREFIX}io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`;

/**
 * Paths of fields the schema does not know, in document order, e.g. `spec.template.spec.containers[0].imagee`.
 * Honors x-kubernetes-preserve-unknown-fields, embedded resources, additionalProperties maps
 * and untyped holders (RawExtension, JSON, int-or-string).
 */
export function unknownFields(obj: unknown, schemaName: string, resolver: SchemaResolver): string[] {
  const root = resolver.definition(schemaName);
  if (!root) return [];
  const found: string[] = [];
  walk(obj, root, [], resolver, found);
  return found;
}

/** `.key` or `[i]` segments of the path; joined only for an unknown field (every write walks every field). */
function pathText(segments: string[], last: string): string {
  const text = segments.join('') + last;
  return text.startsWith('.') ? text.slice(1) : text;
}

function walk(value: unknown, schema: SchemaNode, segments: string[], resolver: SchemaResolver, found: string[]): void {
  if (value === null || typeof value !== 'object') return;
  const node = resolver.resolve(schema);
  if (Array.isArray(value)) {
    if (!node.items) return;
    for (let i = 0; i < value.length; i++) {
      segments.push(`[${i}]`);
      walk(value[i], node.items, segments, resolver, found);
      segments.pop();
    }
    return;
  }
  const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;
  const embedded = node['x-kubernetes-embedded-resource'] === true;
  const properties = node.properties;
  const additional = node.additionalProperties;
  // Objects without declared fields (RawExtension, FieldsV1, JSON) hold anything.
  if (!properties && additional === undefined && !embedded) return;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const known = properties?.[key]
      ?? (embedded ? embeddedField(key) : undefined)
      ?? (typeof additional === 'object' ? additional : undefined);
    if (known) {
      const child = record[key];
      // Scalars hold no fields: no need to descend (nor to name their path).
      if (child === null || typeof child !== 'object') continue;
      segments.push(`.${key}`);
      walk(child, known, segments, resolver, found);
      segments.pop();
    } else if (!preserve && additional !== true) found.push(pathText(segments, `.${key}`));
  }
}

/** apiVersion, kind and metadata are implied in an embedded resource. */
function embeddedField(key: string): SchemaNode | undefined {
  if (key === 'apiVersion' || key === 'kind') return { type: 'string' };
  if (key === 'metadata') return { $ref: OBJECT_META };
  return undefined;
}

/**
 * Every strict-decoding problem of a body as Kubernetes words it: duplicates first (they need
 * the raw JSON text; pass undefined for other encodings), then unknown fields.
 */
export function strictDecodingProblems(obj: unknown, schemaName: string, resolver: SchemaResolver, rawJson?: string): string[] {
  const duplicates = rawJson === undefined ? [] : duplicateFields(rawJson).map((p) => `duplicate field "${p}"`);
  return [...duplicates, ...unknownFields(obj, schemaName, resolver).map((p) => `unknown field "${p}"`)];
}

/** `strict decoding error: unknown field "spec.foo", unknown field "spec.bar"`. */
export function strictDecodingMessage(problems: string[]): string {
  return `strict decoding error: ${problems.join(', ')}`;
}

/** The 400 of a strict create or update whose body has problems. */
export function strictBodyError(kind: string, version: string, problems: string[]): ApiError {
  return new ApiError(400, 'BadRequest', `${kind} in version "${version}" cannot be handled as a ${kind}: ${strictDecodingMessage(problems)}`);
}

/** The 422 of a strict patch; `patched` is the patched object as JSON text. */
export function strictPatchError(patched: string, problems: string[]): ApiError {
  const detail = `Invalid value: ${JSON.stringify(patched)}: ${strictDecodingMessage(problems)}`;
  return new ApiError(422, 'Invalid', ` "" is invalid: patch: ${detail}`, {
    causes: [{ reason: 'FieldValueInvalid', message: detail, field: 'patch' }],
  });
}

/**
 * A `Warning` response header value as Kubernetes writes it: code 299, agent `-`, and the
 * text quoted with `\` before `"` and `\` (control characters become spaces).
 */
export function warningHeaderValue(text: string): string {
  const quoted = text.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/(["\\])/g, '\\$1');
  return `299 - "${quoted}"`;
}

/** One Warning header value per problem, for fieldValidation=Warn. */
export function fieldValidationWarnings(problems: string[]): string[] {
  return problems.map(warningHeaderValue);
}
