/**
 * InterPodAffinity. Filter: the pod's required affinity terms need a matching pod in the
 * node's topology domain (unless no pod matches anywhere and the pod matches its own terms —
 * the first of a group), its required anti-affinity terms need none, and existing pods'
 * required anti-affinity terms that match the pod forbid their domains. Score: preferred terms
 * of the pod and of existing pods add or subtract their weight on the domains involved.
 * Existing pods with terms are few and tracked by the cache; only pods that carry terms pay
 * for scanning their namespaces.
 */
import { labelSelectorMatches } from '../api/validation/meta.ts';
import type { SchedulerCache } from './cache.ts';
import type { Failure, NodeFilter } from './filters.ts';
import type { NodeInfo, PodInfo } from './nodeinfo.ts';
import { MAX_SCORE, type Scorer } from './scores.ts';
import type { LabelSelector, Pod, PodAffinityTerm } from './types.ts';

export const AFFINITY_REASON = {
  affinity: "node(s) didn't match pod affinity rules",
  antiAffinity: "node(s) didn't match pod anti-affinity rules",
  existingAntiAffinity: "node(s) didn't satisfy existing pods anti-affinity rules",
};

/** Whether `candidate` is selected by `term`, a term of `owner`. */
export function termSelects(term: PodAffinityTerm, owner: Pod, candidate: Pod, cache: SchedulerCache): boolean {
  const ns = candidate.metadata.namespace ?? '';
  const listed = term.namespaces ?? [];
  if (listed.length > 0 || term.namespaceSelector) {
    const bySelector = term.namespaceSelector && labelSelectorMatches(term.namespaceSelector, cache.namespaceLabels(ns));
    if (!listed.includes(ns) && !bySelector) return false;
  } else if (ns !== (owner.metadata.namespace ?? '')) {
    return false;
  }
  return labelSelectorMatches(selectorOf(term, owner), candidate.metadata.labels);
}

/** The term's selector with matchLabelKeys / mismatchLabelKeys resolved against its owner's labels. */
function selectorOf(term: PodAffinityTerm, owner: Pod): LabelSelector | undefined {
  const labels = owner.metadata.labels ?? {};
  const extra = [
    ...(term.matchLabelKeys ?? []).filter((k) => k in labels).map((k) => ({ key: k, operator: 'In', values: [labels[k]!] })),
    ...(term.mismatchLabelKeys ?? []).filter((k) => k in labels).map((k) => ({ key: k, operator: 'NotIn', values: [labels[k]!] })),
  ];
  if (!term.labelSelector || extra.length === 0) return term.labelSelector;
  return { ...term.labelSelector, matchExpressions: [...(term.labelSelector.matchExpressions ?? []), ...extra] };
}

/** Topology domains ("key=value") holding at least one pod the term selects. */
function domainsWithMatches(term: PodAffinityTerm, owner: Pod, cache: SchedulerCache, pods: Iterable<PodInfo>): Set<string> {
  const out = new Set<string>();
  for (const p of pods) {
    if (p.pod === owner || !termSelects(term, owner, p.pod, cache)) continue;
    const value = cache.nodeInfo(p.nodeName)?.labels[term.topologyKey];
    if (value !== undefined) out.add(`${term.topologyKey}=${value}`);
  }
  return out;
}

function inDomain(node: NodeInfo, term: PodAffinityTerm, domains: Set<string>): boolean {
  const value = node.labels[term.topologyKey];
  return value !== undefined && domains.has(`${term.topologyKey}=${value}`);
}

/** The pods that the pod's own terms could select: its namespace's, the listed ones', or all when a namespaceSelector is used. */
function podsTheTermsCanSelect(owner: Pod, terms: PodAffinityTerm[], cache: SchedulerCache): PodInfo[] {
  if (terms.length === 0) return [];
  if (terms.some((t) => t.namespaceSelector)) return [...cache.allPods()];
  const namespaces = new Set(terms.flatMap((t) => (t.namespaces?.length ? t.namespaces : [owner.metadata.namespace ?? ''])));
  return [...namespaces].flatMap((ns) => [...cache.podsInNamespace(ns)]);
}

export function interPodAffinity(info: PodInfo, cache: SchedulerCache, _nodes: NodeInfo[]): { filter?: NodeFilter; scorer?: Scorer } {
  const pod = info.pod;
  const affinity = pod.spec?.affinity;
  const requiredAffinity = affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  const requiredAnti = affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  const preferredAffinity = affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  const preferredAnti = affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  const existing = [...cache.affinityPods].filter((p) => p.key !== info.key);
  if (existing.length === 0 && !affinity?.podAffinity && !affinity?.podAntiAffinity) return {};

  // Domains existing pods' required anti-affinity forbids to this pod.
  const forbidden = new Set<string>();
  for (const e of existing) {
    for (const term of e.pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
      if (!termSelects(term, e.pod, pod, cache)) continue;
      const value = cache.nodeInfo(e.nodeName)?.labels[term.topologyKey];
      if (value !== undefined) forbidden.add(`${term.topologyKey}=${value}`);
    }
  }
  const pods = podsTheTermsCanSelect(pod, [...requiredAffinity, ...requiredAnti, ...[...preferredAffinity, ...preferredAnti].map((t) => t.podAffinityTerm)], cache);
  const affinityDomains = requiredAffinity.map((t) => domainsWithMatches(t, pod, cache, pods));
  const antiDomains = requiredAnti.map((t) => domainsWithMatches(t, pod, cache, pods));
  // The first pod of a group that selects itself may go anywhere its other rules allow.
  const firstOfGroup = affinityDomains.every((d) => d.size === 0) && requiredAffinity.every((t) => termSelects(t, pod, pod, cache));

  const fail = (reason: string, unresolvable: boolean): Failure => ({ reasons: [reason], unresolvable });
  const filter: NodeFilter = (node) => {
    if (!firstOfGroup && requiredAffinity.some((t, i) => !inDomain(node, t, affinityDomains[i]!))) return fail(AFFINITY_REASON.affinity, true);
    if (requiredAnti.some((t, i) => inDomain(node, t, antiDomains[i]!))) return fail(AFFINITY_REASON.antiAffinity, false);
    for (const [k, v] of Object.entries(node.labels)) if (forbidden.has(`${k}=${v}`)) return fail(AFFINITY_REASON.existingAntiAffinity, false);
    return undefined;
  };

  // Preferred terms: weight per domain ("key=value").
  const weights = new Map<string, number>();
  const add = (key: string, value: string | undefined, w: number) => {
    if (value === undefined) return;
    const d = `${key}=${value}`;
    weights.set(d, (weights.get(d) ?? 0) + w);
  };
  for (const p of pods) {
    const labels = cache.nodeInfo(p.nodeName)?.labels ?? {};
    for (const t of preferredAffinity) if (termSelects(t.podAffinityTerm, pod, p.pod, cache)) add(t.podAffinityTerm.topologyKey, labels[t.podAffinityTerm.topologyKey], t.weight);
    for (const t of preferredAnti) if (termSelects(t.podAffinityTerm, pod, p.pod, cache)) add(t.podAffinityTerm.topologyKey, labels[t.podAffinityTerm.topologyKey], -t.weight);
  }
  for (const e of existing) {
    const labels = cache.nodeInfo(e.nodeName)?.labels ?? {};
    const a = e.pod.spec?.affinity;
    for (const t of a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) if (termSelects(t.podAffinityTerm, e.pod, pod, cache)) add(t.podAffinityTerm.topologyKey, labels[t.podAffinityTerm.topologyKey], t.weight);
    for (const t of a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) if (termSelects(t.podAffinityTerm, e.pod, pod, cache)) add(t.podAffinityTerm.topologyKey, labels[t.podAffinityTerm.topologyKey], -t.weight);
    // An existing pod's required affinity pulls matching pods towards it (hardPodAffinityWeight 1).
    for (const t of a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) if (termSelects(t, e.pod, pod, cache)) add(t.topologyKey, labels[t.topologyKey], 1);
  }
  const scorer: Scorer | undefined = weights.size === 0 ? undefined : {
    name: 'InterPodAffinity',
    weight: 2,
    score: (nodes) => {
      const raw = nodes.map((n) => Object.entries(n.labels).reduce((s, [k, v]) => s + (weights.get(`${k}=${v}`) ?? 0), 0));
      const max = Math.max(...raw);
      const min = Math.min(...raw);
      return raw.map((s) => (max === min ? 0 : Math.floor((MAX_SCORE * (s - min)) / (max - min))));
    },
  };
  const needsFilter = forbidden.size > 0 || requiredAffinity.length > 0 || requiredAnti.length > 0;
  return { filter: needsFilter ? filter : undefined, scorer };
}
