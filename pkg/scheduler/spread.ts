/**
 * PodTopologySpread. Explicit constraints filter (DoNotSchedule: skew of matching pods
 * across the topology's domains, minDomains, nodeAffinityPolicy Honor / nodeTaintsPolicy
 * Ignore by default) and score (ScheduleAnyway: fewer matching pods in the node's domain is
 * better, weighed by log(domains + 2)). A pod without constraints that belongs to a workload
 * gets kube-scheduler's system defaults — hostname maxSkew 3 and zone maxSkew 5, ScheduleAnyway
 * — where "matching pods" are its controller's pods, counted incrementally by the cache.
 */
import { labelSelectorMatches } from '../api/validation/meta.ts';
import type { SchedulerCache } from './cache.ts';
import type { Failure, NodeFilter } from './filters.ts';
import { requiredNodeMatcher, tolerated } from './matching.ts';
import type { NodeInfo, PodInfo } from './nodeinfo.ts';
import { MAX_SCORE, type Scorer } from './scores.ts';
import type { LabelSelector, TopologySpreadConstraint } from './types.ts';

export const HOSTNAME = 'kubernetes.io/hostname';
export const ZONE = 'topology.kubernetes.io/zone';

export const SPREAD_REASON = {
  skew: "node(s) didn't match pod topology spread constraints",
  missingLabel: "node(s) didn't match pod topology spread constraints (missing required label)",
};

interface Constraint {
  maxSkew: number;
  key: string;
  minDomains: number;
  hard: boolean;
  /** Matching pods per node name (nodes absent have none). */
  perNode: () => Map<string, number>;
  /** Matching pods per domain, when kept already (a workload's pods per zone). */
  perDomain?: () => Map<string, number>;
  selfMatch: number;
  eligible: (node: NodeInfo) => boolean;
}

/** The selector plus matchLabelKeys (the pod's own values for those keys). */
function effectiveSelector(c: TopologySpreadConstraint, labels: Record<string, string>): LabelSelector | undefined {
  if (!c.labelSelector) return undefined;
  const extra = (c.matchLabelKeys ?? []).filter((k) => k in labels).map((k) => ({ key: k, operator: 'In', values: [labels[k]!] }));
  return extra.length ? { ...c.labelSelector, matchExpressions: [...(c.labelSelector.matchExpressions ?? []), ...extra] } : c.labelSelector;
}

/** Counts the namespace's pods that match `selector`, per node. */
export function countBySelector(cache: SchedulerCache, namespace: string, selector: LabelSelector | undefined): Map<string, number> {
  const counts = new Map<string, number>();
  if (!selector) return counts;
  for (const p of cache.podsInNamespace(namespace)) {
    if (!p.countsForSpread || !labelSelectorMatches(selector, p.pod.metadata.labels)) continue;
    counts.set(p.nodeName, (counts.get(p.nodeName) ?? 0) + 1);
  }
  return counts;
}

function once<T>(fn: () => T): () => T {
  let value: T | undefined;
  let done = false;
  return () => {
    if (!done) {
      value = fn();
      done = true;
    }
    return value as T;
  };
}

function constraintsOf(info: PodInfo, cache: SchedulerCache): { constraints: Constraint[]; systemDefaulted: boolean } {
  const pod = info.pod;
  const labels = pod.metadata.labels ?? {};
  const explicit = pod.spec?.topologySpreadConstraints ?? [];
  const affinity = requiredNodeMatcher(pod);
  const tolerations = pod.spec?.tolerations ?? [];
  if (explicit.length > 0) {
    const constraints = explicit.map((c): Constraint => {
      const selector = effectiveSelector(c, labels);
      const honorTaints = c.nodeTaintsPolicy === 'Honor';
      const ignoreAffinity = c.nodeAffinityPolicy === 'Ignore';
      return {
        maxSkew: c.maxSkew,
        key: c.topologyKey,
        minDomains: c.minDomains ?? 1,
        hard: c.whenUnsatisfiable !== 'ScheduleAnyway',
        perNode: once(() => countBySelector(cache, pod.metadata.namespace ?? '', selector)),
        selfMatch: selector && labelSelectorMatches(selector, labels) ? 1 : 0,
        eligible: (node) =>
          (ignoreAffinity || !affinity || affinity(node)) &&
          (!honorTaints || node.taints.every((t) => t.effect === 'PreferNoSchedule' || tolerated(tolerations, t))),
      };
    });
    return { constraints, systemDefaulted: false };
  }
  if (!info.controller) return { constraints: [], systemDefaulted: true };
  const uid = info.controller;
  const perNode = () => cache.controllerSpread(uid) ?? new Map<string, number>();
  const eligible = (node: NodeInfo) => !affinity || affinity(node);
  return {
    constraints: [
      { maxSkew: 3, key: HOSTNAME, minDomains: 1, hard: false, perNode, selfMatch: 1, eligible },
      { maxSkew: 5, key: ZONE, minDomains: 1, hard: false, perNode, perDomain: () => cache.controllerZoneSpread(uid) ?? new Map<string, number>(), selfMatch: 1, eligible },
    ],
    systemDefaulted: true,
  };
}

/** Matching pods per domain of `c.key`, over the domains of the eligible nodes among `nodes`. */
function domainCounts(c: Constraint, cache: SchedulerCache, nodes: NodeInfo[]): Map<string, number> {
  const counts = new Map<string, number>();
  const perNode = c.perNode();
  if (c.key === HOSTNAME) {
    // One node per hostname: its own count, no need to look at the other nodes' pods.
    for (const n of nodes) {
      const value = n.labels[HOSTNAME];
      if (value !== undefined && c.eligible(n)) counts.set(value, perNode.get(n.name) ?? 0);
    }
    return counts;
  }
  for (const n of nodes) {
    const value = n.labels[c.key];
    if (value !== undefined && c.eligible(n) && !counts.has(value)) counts.set(value, 0);
  }
  if (counts.size === 0) return counts;
  if (c.perDomain) {
    for (const [value, n] of c.perDomain()) if (counts.has(value)) counts.set(value, n);
    return counts;
  }
  for (const [nodeName, n] of perNode) {
    const node = cache.nodeInfo(nodeName);
    const value = node?.labels[c.key];
    if (value === undefined || !counts.has(value) || !c.eligible(node!)) continue;
    counts.set(value, counts.get(value)! + n);
  }
  return counts;
}

function hardFilter(hard: Constraint[], cache: SchedulerCache, nodes: NodeInfo[]): NodeFilter {
  const state = hard.map((c) => {
    const counts = domainCounts(c, cache, nodes);
    let min = counts.size < c.minDomains ? 0 : Infinity;
    for (const v of counts.values()) min = Math.min(min, v);
    return { c, counts, min: min === Infinity ? 0 : min };
  });
  const missing: Failure = { reasons: [SPREAD_REASON.missingLabel], unresolvable: true };
  const skew: Failure = { reasons: [SPREAD_REASON.skew], unresolvable: false };
  return (node) => {
    for (const { c, counts, min } of state) {
      const value = node.labels[c.key];
      if (value === undefined) return missing;
      if ((counts.get(value) ?? 0) + c.selfMatch - min > c.maxSkew) return skew;
    }
    return undefined;
  };
}

function softScorer(soft: Constraint[], cache: SchedulerCache, requireAllKeys: boolean): Scorer {
  return {
    name: 'PodTopologySpread',
    weight: 2,
    score: (feasible) => {
      const parts = soft.map((c) => {
        const counts = domainCounts(c, cache, feasible);
        return { c, counts, weight: Math.log(counts.size + 2) };
      });
      const raw = feasible.map((node) => {
        if (requireAllKeys && soft.some((c) => node.labels[c.key] === undefined)) return undefined;
        let s = 0;
        for (const { c, counts, weight } of parts) {
          const value = node.labels[c.key];
          if (value === undefined) continue;
          s += (counts.get(value) ?? 0) * weight + (c.maxSkew - 1);
        }
        return s;
      });
      const present = raw.filter((s): s is number => s !== undefined);
      const max = Math.max(0, ...present);
      const min = Math.min(...present);
      return raw.map((s) => (s === undefined ? 0 : max === 0 ? MAX_SCORE : Math.floor((MAX_SCORE * (max + min - s)) / max)));
    },
  };
}

export function topologySpread(info: PodInfo, cache: SchedulerCache, nodes: NodeInfo[]): { filter?: NodeFilter; scorer?: Scorer } {
  const { constraints, systemDefaulted } = constraintsOf(info, cache);
  if (constraints.length === 0) return {};
  const hard = constraints.filter((c) => c.hard);
  const soft = constraints.filter((c) => !c.hard);
  return {
    filter: hard.length ? hardFilter(hard, cache, nodes) : undefined,
    scorer: soft.length ? softScorer(soft, cache, !systemDefaulted) : undefined,
  };
}
