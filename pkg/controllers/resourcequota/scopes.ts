/**
 * Which objects a ResourceQuota covers: one without scopes covers every object of the kinds
 * its resources measure; spec.scopes and spec.scopeSelector narrow it to pods that are
 * (Not)Terminating, (Not)BestEffort, of some PriorityClass or use cross-namespace affinity.
 */
import type { KObject } from '../../api/types.ts';

interface ScopeRequirement {
  scopeName: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export function quotaScopes(quota: KObject): ScopeRequirement[] {
  const scopes: ScopeRequirement[] = ((quota.spec?.scopes ?? []) as string[]).map((scopeName) => ({ scopeName, operator: 'Exists' }));
  return [...scopes, ...((quota.spec?.scopeSelector?.matchExpressions ?? []) as ScopeRequirement[])];
}

interface Container { resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> } }

/** QoS BestEffort: no container asks for or limits cpu or memory. */
function isBestEffort(pod: KObject): boolean {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])] as Container[];
  return containers.every((c) => ['requests', 'limits'].every((f) => {
    const list = c.resources?.[f as 'requests' | 'limits'] ?? {};
    return list.cpu === undefined && list.memory === undefined;
  }));
}

function crossNamespaceAffinity(pod: KObject): boolean {
  const affinity = pod.spec?.affinity ?? {};
  const terms = ['podAffinity', 'podAntiAffinity'].flatMap((kind) => {
    const a = affinity[kind] ?? {};
    return [...(a.requiredDuringSchedulingIgnoredDuringExecution ?? []), ...(a.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w: { podAffinityTerm: unknown }) => w.podAffinityTerm)];
  }) as { namespaces?: string[]; namespaceSelector?: unknown }[];
  return terms.some((t) => (t.namespaces ?? []).length > 0 || t.namespaceSelector !== undefined);
}

function podMatches(req: ScopeRequirement, pod: KObject): boolean {
  const deadline = pod.spec?.activeDeadlineSeconds;
  const terminating = deadline !== undefined && deadline !== null && deadline >= 0;
  switch (req.scopeName) {
    case 'Terminating': return terminating;
    case 'NotTerminating': return !terminating;
    case 'BestEffort': return isBestEffort(pod);
    case 'NotBestEffort': return !isBestEffort(pod);
    case 'CrossNamespacePodAffinity': return crossNamespaceAffinity(pod);
    case 'PriorityClass': {
      const name: string | undefined = pod.spec?.priorityClassName || undefined;
      if (req.operator === 'Exists') return name !== undefined;
      if (req.operator === 'DoesNotExist') return name === undefined;
      const inValues = name !== undefined && (req.values ?? []).includes(name);
      return req.operator === 'In' ? inValues : !inValues;
    }
    default: return false;
  }
}

/** Whether the quota's scopes cover the object (pods only, once any scope is set). */
export function scopesMatch(quota: KObject, group: string, resource: string, obj: KObject): boolean {
  const scopes = quotaScopes(quota);
  if (scopes.length === 0) return true;
  if (group !== '' || resource !== 'pods') return false;
  return scopes.every((s) => podMatches(s, obj));
}
