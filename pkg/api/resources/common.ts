/**
 * Pieces every non-core resource definition shares: the verb sets discovery lists, and the
 * status handling Kubernetes' registry strategies repeat for each kind with a status subresource.
 */
import type { KObject, StrategyContext, Verb } from '../types.ts';
import { cloneJson } from '../json.ts';

/**
 * Bodies are checked field by field against what Kubernetes accepts, so strategies read them
 * as loose JSON rather than trusting a static type.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** What discovery lists for an ordinary stored resource. */
export const STANDARD_VERBS: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** Review and request kinds: created and answered, never stored. */
export const CREATE_ONLY: Verb[] = ['create'];

/**
 * PrepareForCreate of kinds with a status subresource: users may not set status, controllers
 * fill it through /status. Kubernetes resets it to the zero struct, which serialises as `{}`.
 */
export function resetStatus(obj: KObject): void {
  obj.status = {};
}

/**
 * PrepareForUpdate of kinds with a status subresource: a write to the main resource keeps the
 * stored status, a write to /status keeps the stored spec.
 */
export function separateStatus(obj: KObject, old: KObject, ctx: StrategyContext, specFields: string[] = ['spec']): void {
  if (ctx.subresource === 'status') {
    for (const f of specFields) {
      if (old[f] === undefined) delete obj[f];
      else obj[f] = cloneJson(old[f]);
    }
  } else if (ctx.subresource === '') {
    if (old.status === undefined) delete obj.status;
    else obj.status = cloneJson(old.status);
  }
}

/** A plain object at obj[key], created when absent (defaulting writes into nested structs). */
export function ensureObject(parent: Record<string, unknown>, key: string): Record<string, unknown> {
  const current = parent[key];
  if (current !== null && typeof current === 'object' && !Array.isArray(current)) return current as Record<string, unknown>;
  const created: Record<string, unknown> = {};
  parent[key] = created;
  return created;
}

/** Set parent[key] = value when the field is absent (Go's `if x == nil { x = default }`). */
export function defaultField(parent: Record<string, unknown>, key: string, value: unknown): void {
  if (parent[key] === undefined || parent[key] === null) parent[key] = value;
}
