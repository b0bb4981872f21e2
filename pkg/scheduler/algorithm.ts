/**
 * One scheduling attempt, as kube-scheduler's schedulePod: run the filters over the nodes,
 * starting where the previous attempt stopped and stopping once enough feasible nodes are
 * found (percentageOfNodesToScore, adaptive: 50% − nodes/125, at least 5% and at least 100
 * nodes), then score only those and take the best (ties broken at random). A pod that fits
 * nowhere gets every node's failure back for the FailedScheduling message and preemption.
 */
import type { SchedulerCache } from './cache.ts';
import { nodeAffinityFilter, portsFilter, resourcesFilter, taintFilter, unschedulableFilter, type Failure, type NodeFilter } from './filters.ts';
import { interPodAffinity } from './interpod.ts';
import type { NodeInfo, PodInfo } from './nodeinfo.ts';
import type { ResourceList } from './resources.ts';
import { balancedAllocation, leastAllocated, preferredNodeAffinity, taintToleration, type Scorer } from './scores.ts';
import { topologySpread } from './spread.ts';
import type { VolumeCheck } from './volumebinding.ts';

export type ScheduleOutcome =
  | { node: string; feasible: number }
  /** preFilterMessage: the pod cannot be placed on any node for a reason of its own (a missing claim). */
  | { node?: undefined; numAllNodes: number; failures: Map<string, Failure>; preFilterMessage?: string };

export interface AlgorithmOptions {
  /** Fixed share of nodes to score (1–100); adaptive when unset, as kube-scheduler's default 0. */
  percentageOfNodesToScore?: number;
  /** Resources of pods nominated to a node (by preemption) that `info` must leave room for. */
  nominated?: (info: PodInfo, node: NodeInfo) => ResourceList | undefined;
  /** The VolumeBinding plugin's PreFilter and Filter for this pod (volumebinding.ts). */
  volumes?: (info: PodInfo) => VolumeCheck;
}

const MIN_FEASIBLE_NODES = 100;

export function numFeasibleNodesToFind(numNodes: number, percentage?: number): number {
  if (numNodes < MIN_FEASIBLE_NODES) return numNodes;
  let pct = percentage ?? 0;
  if (pct >= 100) return numNodes;
  if (pct <= 0) pct = Math.max(5, 50 - Math.floor(numNodes / 125));
  return Math.max(MIN_FEASIBLE_NODES, Math.floor((numNodes * pct) / 100));
}

/** What one attempt runs for this pod: its filters in kube-scheduler's order (those with nothing to check left out) and its scorers. */
export function podPlugins(info: PodInfo, cache: SchedulerCache, nodes: NodeInfo[], options: AlgorithmOptions = {}, volumeFilter?: NodeFilter): { filters: NodeFilter[]; scorers: Scorer[] } {
  const nominated = options.nominated ? (node: NodeInfo) => options.nominated!(info, node) : undefined;
  const spread = topologySpread(info, cache, nodes);
  const interPod = interPodAffinity(info, cache, nodes);
  const filters = [unschedulableFilter(info), taintFilter(info), nodeAffinityFilter(info), portsFilter(info), resourcesFilter(info, nominated), volumeFilter, spread.filter, interPod.filter];
  const scorers = [taintToleration(info), preferredNodeAffinity(info), spread.scorer, interPod.scorer, leastAllocated(info), balancedAllocation(info)];
  return { filters: filters.filter((f): f is NodeFilter => f !== undefined), scorers: scorers.filter((s): s is Scorer => s !== undefined) };
}

export function runFilters(filters: NodeFilter[], node: NodeInfo): Failure | undefined {
  for (const f of filters) {
    const failure = f(node);
    if (failure) return failure;
  }
  return undefined;
}

export class Algorithm {
  private nextStart = 0;

  constructor(private readonly cache: SchedulerCache, private readonly options: AlgorithmOptions = {}) {}

  schedule(info: PodInfo): ScheduleOutcome {
    const nodes = this.cache.nodeInfos();
    const failures = new Map<string, Failure>();
    if (nodes.length === 0) return { numAllNodes: 0, failures };
    const volumes = this.options.volumes?.(info);
    if (volumes?.preFilterMessage !== undefined) return { numAllNodes: nodes.length, failures, preFilterMessage: volumes.preFilterMessage };
    const { filters, scorers } = podPlugins(info, this.cache, nodes, this.options, volumes?.filter);
    const want = numFeasibleNodesToFind(nodes.length, this.options.percentageOfNodesToScore);
    const feasible: NodeInfo[] = [];
    let processed = 0;
    for (; processed < nodes.length && feasible.length < want; processed++) {
      const node = nodes[(this.nextStart + processed) % nodes.length]!;
      const failure = runFilters(filters, node);
      if (failure) failures.set(node.name, failure);
      else feasible.push(node);
    }
    this.nextStart = (this.nextStart + processed) % nodes.length;
    if (feasible.length === 0) return { numAllNodes: nodes.length, failures };
    if (feasible.length === 1) return { node: feasible[0]!.name, feasible: 1 };
    return { node: pickBest(scorers, feasible), feasible: feasible.length };
  }
}

function pickBest(scorers: Scorer[], feasible: NodeInfo[]): string {
  const totals = new Array<number>(feasible.length).fill(0);
  for (const scorer of scorers) {
    const scores = scorer.score(feasible);
    for (let i = 0; i < totals.length; i++) totals[i]! += scores[i]! * scorer.weight;
  }
  let best = 0;
  let ties = 1;
  for (let i = 1; i < totals.length; i++) {
    if (totals[i]! > totals[best]!) {
      best = i;
      ties = 1;
    } else if (totals[i] === totals[best] && Math.random() * ++ties < 1) {
      best = i;
    }
  }
  return feasible[best]!.name;
}
