/**
 * JSON value helpers shared by every patch kind: equality, copying, and Go's `%v` rendering,
 * which Kubernetes puts verbatim into some error messages (`map: map[image:nginx] does not
 * contain declared merge key: name`).
 */
import type { Json } from '../../api/types.ts';
import { cloneJson } from '../../api/json.ts';

export type JsonObject = { [key: string]: Json };

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

export function clone<T>(v: T): T {
  return v === undefined ? v : (cloneJson(v) as T);
}

/** Go's fmt `%v` of a value decoded by encoding/json: maps print with sorted keys. */
export function goFormat(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goFormat).join(' ')}]`;
  if (isObject(v)) {
    return `map[${Object.keys(v).sort().map((k) => `${k}:${goFormat(v[k])}`).join(' ')}]`;
  }
  if (typeof v === 'number' && Math.abs(v) >= 1e21) return v.toExponential().replace(/e\+?(-?)(\d)$/, 'e+$10$2');
  return String(v);
}

/**
 * JSON the way Go's encoding/json writes a map: keys sorted, and <, >, & escaped as \u003c,
 * \u003e, \u0026 (what ends up in annotations such as last-applied-configuration).
 */
export function goJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${goJsonString(k)}:${goJson(v[k])}`).join(',')}}`;
  if (typeof v === 'string') return goJsonString(v);
  return JSON.stringify(v);
}

const GO_ESCAPED = /[<>&\u2028\u2029]/;

function goJsonString(s: string): string {
  const text = JSON.stringify(s);
  return GO_ESCAPED.test(text) ? text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : text;
}
