/**
 * Keeping the default RBAC policy current across upgrades, as kube-apiserver does at every
 * start: a bootstrap role that a newer tsk grants more gets the missing rules added, a
 * bootstrap binding gets its missing subjects, unless an administrator opted the object out
 * with `rbac.authorization.kubernetes.io/autoupdate: "false"`. Nothing is ever taken away:
 * permissions an administrator added stay.
 */
import { isDeepStrictEqual } from 'node:util';
import { AUTOUPDATE_ANNOTATION } from './bootstrap.ts';

interface PolicyObject {
  metadata: { name?: string; annotations?: Record<string, string> };
  rules?: unknown[];
  aggregationRule?: { clusterRoleSelectors?: unknown[] };
  subjects?: { kind: string; name: string; namespace?: string; apiGroup?: string }[];
  roleRef?: unknown;
}

function optedOut(obj: PolicyObject): boolean {
  return obj.metadata.annotations?.[AUTOUPDATE_ANNOTATION] === 'false';
}

/** The stored role with the expected rules and aggregation added; undefined when nothing is missing. */
export function reconcileRole<T extends PolicyObject>(stored: T, expected: PolicyObject): T | undefined {
  if (optedOut(stored)) return undefined;
  const rules = [...(stored.rules ?? [])];
  const missingRules = (expected.rules ?? []).filter((rule) => !rules.some((have) => isDeepStrictEqual(have, rule)));
  const selectors = [...(stored.aggregationRule?.clusterRoleSelectors ?? [])];
  const missingSelectors = (expected.aggregationRule?.clusterRoleSelectors ?? []).filter((sel) => !selectors.some((have) => isDeepStrictEqual(have, sel)));
  if (missingRules.length === 0 && missingSelectors.length === 0) return undefined;
  const updated = structuredClone(stored);
  // An aggregated role's rules belong to the aggregation controller; only its selectors are ours.
  if (!expected.aggregationRule) updated.rules = [...rules, ...missingRules];
  if (missingSelectors.length > 0) updated.aggregationRule = { ...updated.aggregationRule, clusterRoleSelectors: [...selectors, ...missingSelectors] };
  return updated;
}

const sameSubject = (a: NonNullable<PolicyObject['subjects']>[number], b: NonNullable<PolicyObject['subjects']>[number]) =>
  a.kind === b.kind && a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '');

/**
 * The stored binding with the expected subjects added; undefined when nothing is missing or
 * when it points at another role (roleRef cannot change: that binding is the administrator's).
 */
export function reconcileBinding<T extends PolicyObject>(stored: T, expected: PolicyObject): T | undefined {
  if (optedOut(stored) || !isDeepStrictEqual(stored.roleRef, expected.roleRef)) return undefined;
  const subjects = [...(stored.subjects ?? [])];
  const missing = (expected.subjects ?? []).filter((s) => !subjects.some((have) => sameSubject(have, s)));
  if (missing.length === 0) return undefined;
  return { ...structuredClone(stored), subjects: [...subjects, ...structuredClone(missing)] };
}
