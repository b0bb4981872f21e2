/**
 * ClusterRole aggregation, as Kubernetes' clusterrole-aggregation controller computes it: a
 * role with an aggregationRule gets the union of the rules of every other ClusterRole its
 * selectors match (selected roles in name order, each rule once).
 */
import type { ClusterRole, LabelSelector, PolicyRule } from './types.ts';

export function labelSelectorMatches(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const have = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (have[key] !== value) return false;
  for (const req of selector.matchExpressions ?? []) {
    const present = Object.prototype.hasOwnProperty.call(have, req.key);
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!present || !values.includes(have[req.key]!)) return false;
        break;
      case 'NotIn':
        if (present && values.includes(have[req.key]!)) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** Rules compare as Kubernetes' semantic equality does: same lists in the same order, absent = empty. */
function sameRule(a: PolicyRule, b: PolicyRule): boolean {
  const same = (x: readonly string[] | undefined, y: readonly string[] | undefined): boolean =>
    (x ?? []).length === (y ?? []).length && (x ?? []).every((v, i) => v === (y ?? [])[i]);
  return (
    same(a.verbs, b.verbs) &&
    same(a.apiGroups, b.apiGroups) &&
    same(a.resources, b.resources) &&
    same(a.resourceNames, b.resourceNames) &&
    same(a.nonResourceURLs, b.nonResourceURLs)
  );
}

function sameRules(a: readonly PolicyRule[], b: readonly PolicyRule[]): boolean {
  return a.length === b.length && a.every((r, i) => sameRule(r, b[i]!));
}

/**
 * The rules `role` should hold given all ClusterRoles, or undefined when it has no aggregation
 * rule (its rules are its own).
 */
export function aggregatedRules(role: ClusterRole, all: readonly ClusterRole[]): PolicyRule[] | undefined {
  const selectors = role.aggregationRule?.clusterRoleSelectors;
  if (!selectors) return undefined;
  const byName = [...all].sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  const rules: PolicyRule[] = [];
  for (const selector of selectors) {
    for (const other of byName) {
      if (other.metadata.name === role.metadata.name || !labelSelectorMatches(selector, other.metadata.labels)) continue;
      for (const rule of other.rules ?? []) if (!rules.some((r) => sameRule(r, rule))) rules.push(rule);
    }
  }
  return rules;
}

/**
 * Runs aggregation to a fixed point over a set of ClusterRoles (an aggregated role may itself be
 * selected, as view is by edit and edit by admin) and returns the roles whose rules changed,
 * with their new rules: what the controller would write.
 */
export function aggregateClusterRoles(roles: readonly ClusterRole[]): ClusterRole[] {
  const current = new Map(roles.map((r) => [r.metadata.name ?? '', r]));
  const changed = new Map<string, ClusterRole>();
  for (let pass = 0; pass <= roles.length; pass++) {
    let progress = false;
    for (const role of current.values()) {
      const rules = aggregatedRules(role, [...current.values()]);
      if (rules === undefined || sameRules(rules, role.rules ?? [])) continue;
      const updated = { ...role, rules };
      current.set(role.metadata.name ?? '', updated);
      changed.set(role.metadata.name ?? '', updated);
      progress = true;
    }
    if (!progress) break;
  }
  return [...changed.values()];
}
