/**
 * Field paths and field-error constructors, shaped like Kubernetes' field.Path and field.Error
 * so paths (`spec.containers[0].image`, `metadata.labels[app]`) and details read the same.
 */
import type { FieldError } from '../types.ts';

export class FieldPath {
  private constructor(private readonly text: string) {}

  static root(name = ''): FieldPath {
    return new FieldPath(name);
  }

  /** `spec` → `spec.containers`; from the root: `metadata`. */
  child(...names: string[]): FieldPath {
    let text = this.text;
    for (const name of names) text = text === '' ? name : `${text}.${name}`;
    return new FieldPath(text);
  }

  /** `spec.containers` → `spec.containers[0]`. */
  index(i: number): FieldPath {
    return new FieldPath(`${this.text}[${i}]`);
  }

  /** `metadata.labels` → `metadata.labels[app]` (map keys are not quoted, as in Kubernetes). */
  key(k: string): FieldPath {
    return new FieldPath(`${this.text}[${k}]`);
  }

  toString(): string {
    return this.text;
  }
}

export type PathLike = FieldPath | string;

const text = (p: PathLike): string => (typeof p === 'string' ? p : p.toString());

export function required(path: PathLike, detail = ''): FieldError {
  return { type: 'FieldValueRequired', field: text(path), badValue: '', detail };
}

export function invalid(path: PathLike, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field: text(path), badValue: value, detail };
}

export function notSupported(path: PathLike, value: unknown, supported: readonly string[]): FieldError {
  return { type: 'FieldValueNotSupported', field: text(path), badValue: value, supported: [...supported] };
}

export function duplicate(path: PathLike, value: unknown): FieldError {
  return { type: 'FieldValueDuplicate', field: text(path), badValue: value };
}

export function forbidden(path: PathLike, detail: string): FieldError {
  return { type: 'FieldValueForbidden', field: text(path), badValue: '', detail };
}

/** Kubernetes' TooLong: the value is omitted, the limit is in bytes. */
export function tooLong(path: PathLike, maxLength: number): FieldError {
  return {
    type: 'FieldValueTooLong',
    field: text(path),
    badValue: '<value omitted>',
    detail: `may not be more than ${maxLength} ${maxLength === 1 ? 'byte' : 'bytes'}`,
  };
}

export function tooMany(path: PathLike, actual: number, max: number): FieldError {
  return { type: 'FieldValueTooMany', field: text(path), badValue: actual, detail: `must have at most ${max} ${max === 1 ? 'item' : 'items'}` };
}

export function notFound(path: PathLike, value: unknown): FieldError {
  return { type: 'FieldValueNotFound', field: text(path), badValue: value };
}

/** Structural equality of JSON values (key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => jsonEqual(ao[k], bo[k]));
}

/** `field is immutable` when the new value differs from the old one (as ValidateImmutableField). */
export function validateImmutableField(newValue: unknown, oldValue: unknown, path: PathLike): FieldError[] {
  return jsonEqual(newValue, oldValue) ? [] : [invalid(path, newValue ?? null, 'field is immutable')];
}

/** `must be greater than or equal to 0` for negative numbers. */
export function validateNonnegative(value: number | undefined, path: PathLike): FieldError[] {
  return value !== undefined && value < 0 ? [invalid(path, value, 'must be greater than or equal to 0')] : [];
}

/** Turns Kubernetes-style message lists (IsDNS1123Label…) into Invalid errors at one path. */
export function invalidEach(path: PathLike, value: unknown, messages: string[]): FieldError[] {
  return messages.map((m) => invalid(path, value, m));
}
