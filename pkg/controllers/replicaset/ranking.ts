/**
 * Which pods a ReplicaSet deletes first when it scales down: Kubernetes' ActivePodsWithRanks
 * order (with PodDeletionCost and LogarithmicScaleDown, both on by default since 1.22/1.31):
 * unscheduled before scheduled, Pending before Unknown before Running, not ready before
 * ready, lower controller.kubernetes.io/pod-deletion-cost first, pods doubled up on a node
 * with related pods first, ready for less time first, more restarts first, newer first.
 */
import type { KObject } from '../../api/types.ts';
import { isPodActive, isPodReady, podReadySince } from './pods.ts';

const PHASE_ORDER: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
const DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

function phaseOrder(pod: KObject): number {
  return PHASE_ORDER[pod.status?.phase as string] ?? 0;
}

function deletionCost(pod: KObject): number {
  const n = Number(pod.metadata.annotations?.[DELETION_COST]);
  return Number.isInteger(n) ? n : 0;
}

function maxRestarts(pod: KObject): number {
  let max = 0;
  for (const s of (pod.status?.containerStatuses ?? []) as { restartCount?: number }[]) max = Math.max(max, s.restartCount ?? 0);
  return max;
}

/** Buckets of log2(age in ns), so pods of about the same age count as equals. */
function logRank(time: number, now: number): number {
  const ns = (now - time) * 1e6;
  return ns > 0 ? Math.floor(Math.log2(ns)) : -1;
}

/**
 * Negative when `a` should go before `b` when comparing times where later (younger) goes first;
 * a missing time goes first. Equal log-buckets fall back to the UID, as Kubernetes does.
 */
function youngerFirst(a: KObject, ta: number, b: KObject, tb: number, now: number): number {
  if (ta === tb) return 0;
  if (!ta || !tb) return ta ? 1 : -1;
  const diff = logRank(ta, now) - logRank(tb, now);
  if (diff !== 0) return diff;
  const ua = a.metadata.uid ?? '';
  const ub = b.metadata.uid ?? '';
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

function compare(a: KObject, rankA: number, b: KObject, rankB: number, now: number): number {
  const nodeA = a.spec?.nodeName ?? '';
  const nodeB = b.spec?.nodeName ?? '';
  if (nodeA !== nodeB && (!nodeA || !nodeB)) return nodeA ? 1 : -1;
  if (phaseOrder(a) !== phaseOrder(b)) return phaseOrder(a) - phaseOrder(b);
  const readyA = isPodReady(a);
  if (readyA !== isPodReady(b)) return readyA ? 1 : -1;
  if (deletionCost(a) !== deletionCost(b)) return deletionCost(a) - deletionCost(b);
  if (rankA !== rankB) return rankB - rankA;
  if (readyA) {
    const byReady = youngerFirst(a, podReadySince(a), b, podReadySince(b), now);
    if (byReady !== 0) return byReady;
  }
  if (maxRestarts(a) !== maxRestarts(b)) return maxRestarts(b) - maxRestarts(a);
  return youngerFirst(a, Date.parse(a.metadata.creationTimestamp ?? '') || 0, b, Date.parse(b.metadata.creationTimestamp ?? '') || 0, now);
}

/**
 * The `count` pods of `pods` to delete first. `related` are the active pods of the owner's
 * sibling ReplicaSets too (same Deployment): a pod sharing its node with many of them goes first.
 */
export function podsToDelete(pods: KObject[], related: KObject[], count: number, now = Date.now()): KObject[] {
  if (count >= pods.length) return pods.slice(0, count);
  const onNode = new Map<string, number>();
  for (const p of related) if (isPodActive(p)) onNode.set(p.spec?.nodeName ?? '', (onNode.get(p.spec?.nodeName ?? '') ?? 0) + 1);
  const ranked = pods.map((pod) => ({ pod, rank: onNode.get(pod.spec?.nodeName ?? '') ?? 0 }));
  ranked.sort((x, y) => compare(x.pod, x.rank, y.pod, y.rank, now));
  return ranked.slice(0, count).map((r) => r.pod);
}
