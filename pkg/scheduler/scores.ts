/**
 * Node scores (0–100 each, higher is better) for the feasible nodes, as kube-scheduler's
 * default score plugins compute them; the algorithm weighs and adds them. A scorer gets all
 * feasible nodes at once because several normalise against the best or worst of them.
 */
import { termMatches, tolerates } from './matching.ts';
import type { NodeInfo, PodInfo } from './nodeinfo.ts';

export const MAX_SCORE = 100;

export interface Scorer {
  name: string;
  weight: number;
  score(nodes: NodeInfo[]): number[];
}

/** Requested fraction of cpu and memory after placing the pod (capped at 1). */
function fractions(info: PodInfo, node: NodeInfo): [number, number] {
  const cpuCap = node.allocatable.cpu ?? 0;
  const memCap = node.allocatable.memory ?? 0;
  const cpu = cpuCap > 0 ? Math.min(1, (node.nonZeroMilliCpu + info.req.nonZeroMilliCpu) / cpuCap) : 1;
  const mem = memCap > 0 ? Math.min(1, (node.nonZeroMemory + info.req.nonZeroMemory) / memCap) : 1;
  return [cpu, mem];
}

/** NodeResourcesFit, LeastAllocated strategy: the emptier node (cpu and memory weighed alike) wins. */
export function leastAllocated(info: PodInfo): Scorer {
  return {
    name: 'NodeResourcesFit',
    weight: 1,
    score: (nodes) =>
      nodes.map((n) => {
        const [cpu, mem] = fractions(info, n);
        return Math.floor((((1 - cpu) + (1 - mem)) * MAX_SCORE) / 2);
      }),
  };
}

/** NodeResourcesBalancedAllocation: cpu and memory used in similar proportion (1 − std deviation). */
export function balancedAllocation(info: PodInfo): Scorer {
  return {
    name: 'NodeResourcesBalancedAllocation',
    weight: 1,
    score: (nodes) =>
      nodes.map((n) => {
        const [cpu, mem] = fractions(info, n);
        return Math.floor((1 - Math.abs(cpu - mem) / 2) * MAX_SCORE);
      }),
  };
}

/** Scales raw scores to 0–100 against the largest; `reverse` makes fewer better. */
export function normalize(raw: number[], reverse = false): number[] {
  const max = Math.max(0, ...raw);
  if (max === 0) return raw.map(() => (reverse ? MAX_SCORE : 0));
  return raw.map((s) => {
    const scaled = Math.floor((s * MAX_SCORE) / max);
    return reverse ? MAX_SCORE - scaled : scaled;
  });
}

/** TaintToleration: fewer PreferNoSchedule taints the pod does not tolerate is better. */
export function taintToleration(info: PodInfo): Scorer | undefined {
  const tolerations = (info.pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
  return {
    name: 'TaintToleration',
    weight: 3,
    score: (nodes) =>
      normalize(
        nodes.map((n) => n.taints.filter((t) => t.effect === 'PreferNoSchedule' && !tolerations.some((tol) => tolerates(tol, t))).length),
        true,
      ),
  };
}

/** NodeAffinity: the sum of the weights of the preferred terms a node matches. */
export function preferredNodeAffinity(info: PodInfo): Scorer | undefined {
  const preferred = info.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  if (preferred.length === 0) return undefined;
  return {
    name: 'NodeAffinity',
    weight: 2,
    score: (nodes) => normalize(nodes.map((n) => preferred.reduce((sum, p) => sum + (p.weight && termMatches(p.preference, n) ? p.weight : 0), 0))),
  };
}
