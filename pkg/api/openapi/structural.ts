/**
 * Validation of a custom resource against its CRD's OpenAPI v3 structural schema, with the
 * texts kube-apiserver answers: kube-openapi's validator words each failure
 * (`spec.replicas in body should be greater than or equal to 1`), and apiextensions turns it
 * into a field error (Required, NotSupported for enum, TooLong for maxLength, TooMany for
 * maxItems/maxProperties, TypeInvalid for type, Invalid for the rest), so kubectl prints
 * `The CronTab "x" is invalid: spec.replicas: Invalid value: 0: spec.replicas in body should be …`.
 *
 * Not covered: x-kubernetes-validations (CEL rules) and `format` checks (date-time, uuid, …).
 * Nodes that are `$ref`s (the root's metadata → ObjectMeta) are left to the generic store.
 */
import type { SchemaNode } from '../schema.ts';
import type { FieldError } from '../types.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Validates `value` against a structural schema; paths are relative to the object's root. */
export function validateStructural(value: unknown, schema: SchemaNode): FieldError[] {
  const errors: FieldError[] = [];
  check(value as Json, schema, '', errors);
  return errors;
}

function jsonType(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeMatches(type: NonNullable<SchemaNode['type']>, value: Json): boolean {
  const actual = jsonType(value);
  return actual === type || (type === 'number' && actual === 'integer');
}

function invalid(errors: FieldError[], path: string, value: Json, detail: string): void {
  errors.push({ type: 'FieldValueInvalid', field: path, badValue: value, detail: `${path} in body ${detail}` });
}

function check(value: Json, schema: SchemaNode, path: string, errors: FieldError[]): void {
  if (schema.$ref || (schema.allOf?.length === 1 && schema.allOf[0]!.$ref)) return;
  if (value === null) {
    if (schema.nullable || !schema.type) return;
    errors.push({ type: 'FieldValueTypeInvalid', field: path, badValue: 'null', detail: `${path} in body must be of type ${schema.type}: "null"` });
    return;
  }
  if (schema['x-kubernetes-int-or-string']) {
    if (typeof value !== 'string' && !(typeof value === 'number' && Number.isInteger(value))) {
      errors.push({ type: 'FieldValueTypeInvalid', field: path, badValue: jsonType(value), detail: `${path} in body must be of type integer,string: "${jsonType(value)}"` });
      return;
    }
  } else if (schema.type && !typeMatches(schema.type, value)) {
    errors.push({ type: 'FieldValueTypeInvalid', field: path, badValue: jsonType(value), detail: `${path} in body must be of type ${schema.type}: "${jsonType(value)}"` });
    return;
  }
  checkEnum(value, schema, path, errors);
  if (typeof value === 'number') checkNumber(value, schema, path, errors);
  else if (typeof value === 'string') checkString(value, schema, path, errors);
  else if (Array.isArray(value)) checkArray(value, schema, path, errors);
  else if (typeof value === 'object') checkObject(value, schema, path, errors);
  checkCombinators(value, schema, path, errors);
}

function checkEnum(value: Json, schema: SchemaNode, path: string, errors: FieldError[]): void {
  if (!schema.enum || schema.enum.some((allowed) => deepEqual(allowed as Json, value))) return;
  errors.push({
    type: 'FieldValueNotSupported',
    field: path,
    badValue: value,
    supported: schema.enum.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))),
  });
}

function checkNumber(value: number, schema: SchemaNode, path: string, errors: FieldError[]): void {
  if (schema.maximum !== undefined) {
    if (schema.exclusiveMaximum ? value >= schema.maximum : value > schema.maximum) {
      invalid(errors, path, value, schema.exclusiveMaximum ? `should be less than ${schema.maximum}` : `should be less than or equal to ${schema.maximum}`);
    }
  }
  if (schema.minimum !== undefined) {
    if (schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum) {
      invalid(errors, path, value, schema.exclusiveMinimum ? `should be greater than ${schema.minimum}` : `should be greater than or equal to ${schema.minimum}`);
    }
  }
  if (schema.multipleOf !== undefined && schema.multipleOf > 0) {
    const quotient = value / schema.multipleOf;
    if (Math.abs(quotient - Math.round(quotient)) > 1e-9) invalid(errors, path, value, `should be a multiple of ${schema.multipleOf}`);
  }
}

function checkString(value: string, schema: SchemaNode, path: string, errors: FieldError[]): void {
  // kube-openapi counts characters (runes), not UTF-16 units.
  const length = [...value].length;
  if (schema.maxLength !== undefined && length > schema.maxLength) {
    errors.push({ type: 'FieldValueTooLong', field: path, badValue: value, detail: `may not be more than ${schema.maxLength} ${schema.maxLength === 1 ? 'byte' : 'bytes'}` });
  }
  if (schema.minLength !== undefined && length < schema.minLength) {
    invalid(errors, path, value, `should be at least ${schema.minLength} chars long`);
  }
  if (schema.pattern !== undefined && !patternMatches(schema.pattern, value)) {
    invalid(errors, path, value, `should match '${schema.pattern}'`);
  }
}

const patterns = new Map<string, RegExp | null>();

function patternMatches(pattern: string, value: string): boolean {
  if (!patterns.has(pattern)) {
    let re: RegExp | null = null;
    try {
      re = new RegExp(pattern, 'u');
    } catch {
      re = null;
    }
    patterns.set(pattern, re);
  }
  const re = patterns.get(pattern);
  return re ? re.test(value) : true;
}

function checkArray(value: Json[], schema: SchemaNode, path: string, errors: FieldError[]): void {
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    errors.push({ type: 'FieldValueTooMany', field: path, badValue: value.length, detail: `must have at most ${schema.maxItems} items` });
  }
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    invalid(errors, path, value, `should have at least ${schema.minItems} items`);
  }
  if (schema.uniqueItems && value.some((v, i) => value.findIndex((w) => deepEqual(v, w)) !== i)) {
    invalid(errors, path, value, "shouldn't contain duplicates");
  }
  if (schema.items) value.forEach((item, i) => check(item, schema.items!, `${path}[${i}]`, errors));
}

function checkObject(value: { [key: string]: Json }, schema: SchemaNode, path: string, errors: FieldError[]): void {
  const count = Object.keys(value).length;
  if (schema.maxProperties !== undefined && count > schema.maxProperties) {
    errors.push({ type: 'FieldValueTooMany', field: path, badValue: count, detail: `must have at most ${schema.maxProperties} items` });
  }
  if (schema.minProperties !== undefined && count < schema.minProperties) {
    invalid(errors, path, value, `should have at least ${schema.minProperties} properties`);
  }
  const join = (key: string) => (path === '' ? key : `${path}.${key}`);
  for (const name of schema.required ?? []) {
    if (!(name in value)) errors.push({ type: 'FieldValueRequired', field: join(name), detail: '' });
  }
  if (schema['x-kubernetes-embedded-resource']) {
    for (const name of ['apiVersion', 'kind']) {
      if (typeof value[name] !== 'string' || value[name] === '') errors.push({ type: 'FieldValueRequired', field: join(name), detail: 'must not be empty' });
    }
  }
  for (const [key, child] of Object.entries(value)) {
    const childSchema = schema.properties?.[key] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    if (childSchema) check(child, childSchema, join(key), errors);
  }
}

function checkCombinators(value: Json, schema: SchemaNode, path: string, errors: FieldError[]): void {
  for (const branch of schema.allOf ?? []) check(value, branch, path, errors);
  const passes = (branch: SchemaNode) => {
    const branchErrors: FieldError[] = [];
    check(value, branch, path, branchErrors);
    return branchErrors.length === 0;
  };
  if (schema.anyOf && !schema.anyOf.some(passes)) invalid(errors, path, value, 'must validate at least one schema (anyOf)');
  if (schema.oneOf && schema.oneOf.filter(passes).length !== 1) invalid(errors, path, value, 'must validate one and only one schema (oneOf)');
  if (schema.not && passes(schema.not)) invalid(errors, path, value, 'must not validate the schema (not)');
}

function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as Json[]).length && a.every((v, i) => deepEqual(v, (b as Json[])[i]!));
  const ak = Object.keys(a);
  const bo = b as { [key: string]: Json };
  return ak.length === Object.keys(bo).length && ak.every((k) => k in bo && deepEqual(a[k]!, bo[k]!));
}
