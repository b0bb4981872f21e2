/**
 * IntOrString fields of rolling updates (maxSurge, maxUnavailable): an integer or a percent
 * string, checked as Kubernetes' apps validation does.
 */
import type { FieldError } from '../../types.ts';
import { invalid, isValidPercent, validateNonnegative, type FieldPath } from '../../validation/index.ts';

export type IntOrString = number | string;

/** The number a value stands for: 25 for "25%", 3 for 3; Go's Atoi gives 0 for anything else. */
export function intOrPercentValue(value: IntOrString | undefined): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  if (isValidPercent(value).length === 0) return Number(value.slice(0, -1));
  return /^[+-]?\d+$/.test(value) ? Number(value) : 0;
}

export function validatePositiveIntOrPercent(value: IntOrString | undefined, path: FieldPath): FieldError[] {
  if (value === undefined) return [];
  if (typeof value === 'string') return isValidPercent(value).map((m) => invalid(path, value, m));
  if (typeof value === 'number') return validateNonnegative(value, path);
  return [invalid(path, value, "must be an integer or percentage (e.g '5%')")];
}

export function isNotMoreThan100Percent(value: IntOrString | undefined, path: FieldPath): FieldError[] {
  if (typeof value !== 'string' || isValidPercent(value).length > 0) return [];
  return Number(value.slice(0, -1)) > 100 ? [invalid(path, value, 'must not be greater than 100%')] : [];
}
