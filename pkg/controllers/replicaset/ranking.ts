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

/** What the order looks at, read once per pod rather than once per comparison. */
interface Ranked {
  pod: KObject;
  uid: string;
  node: string;
  phase: number;
  ready: boolean;
  cost: number;
  /** Active related pods on the same node. */
  rank: number;
  readySince: number;
  restarts: number;
  created: number;
}

/**
 * Negative when `a` goes first when comparing times where the later (younger) goes first; a
 * missing time goes first. Equal log-buckets fall back to the UID, as Kubernetes does.
 */
function youngerFirst(a: Ranked, ta: number, b: Ranked, tb: number, now: number): number {
  if (ta === tb) return 0;
  if (!ta || !tb) return ta ? 1 : -1;
  const diff = logRank(ta, now) - logRank(tb, now);
  if (diff !== 0) return diff;
  return a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0;
}

function compare(a: Ranked, b: Ranked, now: number): number {
  if (a.node !== b.node && (!a.node || !b.node)) return a.node ? 1 : -1;
  if (a.phase !== b.phase) return a.phase - b.phase;
  if (a.ready !== b.ready) return a.ready ? 1 : -1;
  if (a.cost !== b.cost) return a.cost - b.cost;
  if (a.rank !== b.rank) return b.rank - a.rank;
  if (a.ready) {
    const byReady = youngerFirst(a, a.readySince, b, b.readySince, now);
    if (byReady !== 0) return byReady;
  }
  if (a.restarts !== b.restarts) return b.restarts - a.restarts;
  return youngerFirst(a, a.created, b, b.created, now);
}

/**
 * The `count` pods of `pods` to delete first. `related` are the active pods of the owner's
 * sibling ReplicaSets too (same Deployment): a pod sharing its node with many of them goes first.
 */
export function podsToDelete(pods: KObject[], related: KObject[], count: number, now = Date.now()): KObject[] {
  if (count >= pods.length) return pods.slice(0, count);
  const onNode = new Map<string, number>();
  for (const p of related) if (isPodActive(p)) onNode.set(p.spec?.nodeName ?? '', (onNode.get(p.spec?.nodeName ?? '') ?? 0) + 1);
  const ranked: Ranked[] = pods.map((pod) => {
    const node = pod.spec?.nodeName ?? '';
    const ready = isPodReady(pod);
    return {
      pod,
      uid: pod.metadata.uid ?? '',
      node,
      phase: phaseOrder(pod),
      ready,
      cost: deletionCost(pod),
      rank: onNode.get(node) ?? 0,
      readySince: ready ? podReadySince(pod) : 0,
      restarts: maxRestarts(pod),
      created: Date.parse(pod.metadata.creationTimestamp ?? '') || 0,
    };
  });
  ranked.sort((x, y) => compare(x, y, now));
  return ranked.slice(0, count).map((r) => r.pod);
}
