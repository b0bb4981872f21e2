/**
 * ResourceLists (`{ cpu: "500m", memory: "1Gi" }`): Kubernetes stores each quantity in canonical
 * form, rounded up to milli precision (SetDefaults_ResourceList), and validates names and values
 * the same way for containers, quotas, limit ranges, claims and node capacity.
 */
import type { FieldError } from '../../types.ts';
import {
  type FieldPath,
  QUANTITY_FORMAT_ERROR,
  type Quantity,
  formatQuantity,
  invalid,
  invalidEach,
  isQualifiedName,
  tryParseQuantity,
} from '../../validation/index.ts';

import type { Obj } from './shape.ts';

const MILLI = 1_000_000n;

function roundUpToMilli(q: Quantity): Quantity {
  const rest = q.nanos % MILLI;
  if (rest === 0n) return q;
  return { ...q, nanos: q.nanos - rest + (q.nanos > 0n ? MILLI : -MILLI) };
}

/** Canonical text of each parseable quantity in place; unparseable ones are left for validation. */
export function canonicalizeResourceList(list: unknown, roundToMilli = true): void {
  if (!list || typeof list !== 'object' || Array.isArray(list)) return;
  const entries = list as Record<string, unknown>;
  for (const [name, value] of Object.entries(entries)) {
    const q = tryParseQuantity(value);
    if (q) entries[name] = formatQuantity(roundToMilli ? roundUpToMilli(q) : q);
  }
}

const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);
const NATIVE_PREFIX = 'kubernetes.io/';

/** Resource names: qualified names; without a domain only the standard ones. */
export function validateResourceName(name: string, path: FieldPath, standard: (n: string) => boolean, what: string): FieldError[] {
  const errs = invalidEach(path, name, isQualifiedName(name));
  if (errs.length > 0) return errs;
  if (!name.includes('/')) {
    if (!standard(name)) errs.push(invalid(path, name, `must be a standard resource ${what}`));
  } else if (!name.includes(NATIVE_PREFIX) && name.startsWith('requests.')) {
    errs.push(invalid(path, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

export const isStandardContainerResource = (name: string): boolean => STANDARD_CONTAINER_RESOURCES.has(name) || name.startsWith('hugepages-');

/** Whole-number resources: extended resources (example.com/gpu) may not be fractional. */
const isIntegerResource = (name: string): boolean => name.includes('/') && !name.includes(NATIVE_PREFIX);

/** A quantity field's value: parseable, non-negative, whole for extended resources. */
export function validateResourceQuantity(name: string, value: unknown, path: FieldPath): { errors: FieldError[]; quantity?: Quantity } {
  const q = tryParseQuantity(value);
  if (!q) return { errors: [invalid(path, value ?? null, QUANTITY_FORMAT_ERROR)] };
  const errors: FieldError[] = [];
  const shown = formatQuantity(q);
  if (q.nanos < 0n) errors.push(invalid(path, shown, 'must be greater than or equal to 0'));
  if (isIntegerResource(name) && q.nanos % 1_000_000_000n !== 0n) errors.push(invalid(path, shown, 'must be an integer'));
  return { errors, quantity: q };
}

/** Validates every entry of a ResourceList; returns the parsed values for cross-checks. */
export function validateResourceList(
  list: unknown,
  path: FieldPath,
  standard: (n: string) => boolean = isStandardContainerResource,
  what = 'for containers',
): { errors: FieldError[]; values: Map<string, Quantity> } {
  const errors: FieldError[] = [];
  const values = new Map<string, Quantity>();
  if (!list || typeof list !== 'object') return { errors, values };
  for (const [name, value] of Object.entries(list as Obj)) {
    const p = path.key(name);
    errors.push(...validateResourceName(name, p, standard, what));
    const r = validateResourceQuantity(name, value, p);
    errors.push(...r.errors);
    if (r.quantity) values.set(name, r.quantity);
  }
  return { errors, values };
}
