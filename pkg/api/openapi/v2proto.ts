/**
 * Swagger 2.0 in gnostic's protobuf form (openapi.v2.Document), what kubectl asks /openapi/v2
 * for with `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`. kubectl 1.27
 * and 1.28 `explain` read only this (1.29+ use v3), and client-side apply computes strategic
 * merge patches from its definitions. Field numbers follow gnostic's OpenAPIv2.proto. Vendor
 * extensions, defaults and enum values travel as `Any.yaml`; JSON text is valid YAML there.
 *
 * Only what those readers use is encoded: info, definitions and the security scheme; paths
 * stay in the JSON form.
 */
import protobuf from 'protobufjs';

type Writer = protobuf.Writer;
type Schema = Record<string, unknown>;

const LENGTH_DELIMITED = 2;
const VARINT = 0;
const FIXED64 = 1;

function tag(w: Writer, field: number, wire: number): Writer {
  return w.uint32((field << 3) | wire);
}

function string(w: Writer, field: number, value: unknown): void {
  if (typeof value === 'string' && value !== '') tag(w, field, LENGTH_DELIMITED).string(value);
}

function bool(w: Writer, field: number, value: unknown): void {
  if (value === true) tag(w, field, VARINT).bool(true);
}

function int64(w: Writer, field: number, value: unknown): void {
  if (typeof value === 'number') tag(w, field, VARINT).int64(value);
}

function double(w: Writer, field: number, value: unknown): void {
  if (typeof value === 'number') tag(w, field, FIXED64).double(value);
}

function message(w: Writer, field: number, encode: (w: Writer) => void): void {
  tag(w, field, LENGTH_DELIMITED).fork();
  encode(w);
  w.ldelim();
}

/** openapi.v2.Any with only `yaml` (field 2) set. */
function any(w: Writer, field: number, value: unknown): void {
  message(w, field, (m) => string(m, 2, JSON.stringify(value)));
}

function named(w: Writer, field: number, name: string, encodeValue: (w: Writer) => void): void {
  message(w, field, (m) => {
    string(m, 1, name);
    message(m, 2, encodeValue);
  });
}

/** Scalar fields of openapi.v2.Schema: JSON key, field number, encoder. */
const SCHEMA_SCALARS: [string, number, (w: Writer, field: number, value: unknown) => void][] = [
  ['$ref', 1, string], ['format', 2, string], ['description', 4, string], ['multipleOf', 6, double],
  ['maximum', 7, double], ['exclusiveMaximum', 8, bool], ['minimum', 9, double], ['exclusiveMinimum', 10, bool],
  ['maxLength', 11, int64], ['minLength', 12, int64], ['pattern', 13, string], ['maxItems', 14, int64],
  ['minItems', 15, int64], ['uniqueItems', 16, bool], ['maxProperties', 17, int64], ['minProperties', 18, int64],
];

function schema(w: Writer, s: Schema): void {
  for (const [key, field, encode] of SCHEMA_SCALARS) encode(w, field, s[key]);
  // Protobuf readers accept fields in any order.
  if (s.default !== undefined) any(w, 5, s.default);
  for (const name of (s.required as string[] | undefined) ?? []) string(w, 19, name);
  for (const value of (s.enum as unknown[] | undefined) ?? []) any(w, 20, value);
  if (typeof s.additionalProperties === 'object' && s.additionalProperties !== null) {
    message(w, 21, (m) => message(m, 1, (inner) => schema(inner, s.additionalProperties as Schema)));
  } else if (typeof s.additionalProperties === 'boolean') {
    message(w, 21, (m) => tag(m, 2, VARINT).bool(s.additionalProperties as boolean));
  }
  if (typeof s.type === 'string') message(w, 22, (m) => string(m, 1, s.type));
  if (s.items && typeof s.items === 'object') message(w, 23, (m) => message(m, 1, (inner) => schema(inner, s.items as Schema)));
  for (const part of (s.allOf as Schema[] | undefined) ?? []) message(w, 24, (m) => schema(m, part));
  if (s.properties && typeof s.properties === 'object') {
    message(w, 25, (m) => {
      for (const [name, prop] of Object.entries(s.properties as Record<string, Schema>)) named(m, 1, name, (v) => schema(v, prop));
    });
  }
  for (const [key, value] of Object.entries(s)) {
    if (key.startsWith('x-')) named(w, 31, key, (v) => string(v, 2, JSON.stringify(value)));
  }
}

/** Encodes a Swagger 2.0 JSON document (as toSwagger2 builds it) as openapi.v2.Document. */
export function encodeSwaggerProto(doc: Record<string, unknown>): Buffer {
  const w = protobuf.Writer.create();
  string(w, 1, doc.swagger);
  const info = (doc.info ?? {}) as Schema;
  message(w, 2, (m) => {
    string(m, 1, info.title);
    string(m, 2, info.version);
  });
  message(w, 9, (m) => {
    for (const [name, def] of Object.entries((doc.definitions ?? {}) as Record<string, Schema>)) named(m, 1, name, (v) => schema(v, def));
  });
  // security: [{BearerToken: []}] and its apiKey definition.
  message(w, 12, (m) => named(m, 1, 'BearerToken', () => undefined));
  message(w, 13, (m) => named(m, 1, 'BearerToken', (item) => message(item, 2, (key) => {
    string(key, 1, 'apiKey');
    string(key, 2, 'authorization');
    string(key, 3, 'header');
    string(key, 4, 'Bearer Token authentication');
  })));
  return Buffer.from(w.finish());
}
