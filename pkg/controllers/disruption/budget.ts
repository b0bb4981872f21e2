/**
 * The status of a PodDisruptionBudget from the pods it selects, as Kubernetes' disruption
 * controller computes it: how many pods are expected (the owning controllers' scale, or the pod
 * count for an integer minAvailable), how many must stay healthy, how many are, and so how many
 * may be disrupted now. Pods the eviction API just let go (status.disruptedPods) do not count
 * as healthy until their deletion is seen or two minutes pass.
 */
import type { KObject } from '../../api/types.ts';
import { isPodReady } from '../replicaset/pods.ts';

/** How long an eviction's entry in disruptedPods waits for the pod's deletion (DeletionTimeout). */
export const DELETION_TIMEOUT_MS = 2 * 60_000;

export interface BudgetStatus {
  disruptedPods?: Record<string, string>;
  disruptionsAllowed: number;
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
  observedGeneration?: number;
  conditions?: { type: string; status: string; reason: string; message: string; lastTransitionTime: string; observedGeneration?: number }[];
}

/** An int-or-percent scaled against `total`; percentages round up (roundUp = true in Kubernetes). */
export function scaledValue(value: number | string, total: number): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (m) return Math.ceil((Number(m[1]) * total) / 100);
  if (/^\d+$/.test(value)) return Number(value);
  throw new Error(`invalid value for IntOrString: invalid value "${value}": must be an integer or a percentage`);
}

/** Whether the budget's counts need the controllers' scale (else the selected pods are the expectation). */
export function needsScale(pdb: KObject): boolean {
  const spec = pdb.spec ?? {};
  if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) return true;
  return typeof spec.minAvailable === 'string' && spec.minAvailable.endsWith('%');
}

/** Expected and desired healthy counts; `expectedScale` is the owners' total replicas when needsScale. */
export function desiredCounts(pdb: KObject, pods: KObject[], expectedScale: number): { expectedPods: number; desiredHealthy: number } {
  const spec = pdb.spec ?? {};
  if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
    const unavailable = scaledValue(spec.maxUnavailable, expectedScale);
    return { expectedPods: expectedScale, desiredHealthy: Math.max(0, expectedScale - unavailable) };
  }
  if (typeof spec.minAvailable === 'string' && spec.minAvailable.endsWith('%')) {
    return { expectedPods: expectedScale, desiredHealthy: scaledValue(spec.minAvailable, expectedScale) };
  }
  return { expectedPods: pods.length, desiredHealthy: spec.minAvailable === undefined || spec.minAvailable === null ? 0 : scaledValue(spec.minAvailable, pods.length) };
}

/**
 * disruptedPods entries still pending: their pod exists and is not being deleted, and the
 * eviction is younger than DELETION_TIMEOUT_MS. Also when the oldest one expires.
 */
export function pendingDisruptions(pdb: KObject, pods: KObject[], now: number): { pending: Record<string, string>; recheckAt?: number } {
  const byName = new Map(pods.map((p) => [p.metadata.name!, p]));
  const pending: Record<string, string> = {};
  let recheckAt: number | undefined;
  for (const [name, at] of Object.entries((pdb.status?.disruptedPods ?? {}) as Record<string, string>)) {
    const pod = byName.get(name);
    if (!pod || pod.metadata.deletionTimestamp) continue;
    const expires = Date.parse(at) + DELETION_TIMEOUT_MS;
    if (!(expires > now)) continue;
    pending[name] = at;
    recheckAt = Math.min(recheckAt ?? Infinity, expires);
  }
  return { pending, recheckAt };
}

export function countHealthy(pods: KObject[], pending: Record<string, string>): number {
  return pods.filter((p) => !p.metadata.deletionTimestamp && !(p.metadata.name! in pending) && isPodReady(p)).length;
}

/** The full status; keeps a condition's lastTransitionTime when its status did not change. */
export function budgetStatus(pdb: KObject, counts: { expectedPods: number; desiredHealthy: number; currentHealthy: number; pending: Record<string, string> }, now: string): BudgetStatus {
  let allowed = counts.currentHealthy - counts.desiredHealthy;
  // A budget that expects no pods allows nothing: its first pods may appear before this status is updated.
  if (counts.expectedPods <= 0 || allowed <= 0) allowed = 0;
  const observedGeneration = pdb.metadata.generation;
  const status = allowed > 0 ? 'True' : 'False';
  const previous = ((pdb.status?.conditions ?? []) as BudgetStatus['conditions'] & object).find((c) => c.type === 'DisruptionAllowed');
  const condition = {
    type: 'DisruptionAllowed',
    status,
    reason: allowed > 0 ? 'SufficientPods' : 'InsufficientPods',
    message: '',
    lastTransitionTime: previous && previous.status === status ? previous.lastTransitionTime : now,
    ...(observedGeneration !== undefined ? { observedGeneration } : {}),
  };
  const others = ((pdb.status?.conditions ?? []) as NonNullable<BudgetStatus['conditions']>).filter((c) => c.type !== 'DisruptionAllowed');
  const result: BudgetStatus = {
    disruptionsAllowed: allowed,
    currentHealthy: counts.currentHealthy,
    desiredHealthy: counts.desiredHealthy,
    expectedPods: counts.expectedPods,
    conditions: [...others, condition],
  };
  if (Object.keys(counts.pending).length > 0) result.disruptedPods = counts.pending;
  if (observedGeneration !== undefined) result.observedGeneration = observedGeneration;
  return result;
}

/** The status when the budget cannot be computed: no disruptions, condition SyncFailed (failSafe). */
export function failSafeStatus(pdb: KObject, message: string, now: string): BudgetStatus {
  const current = (pdb.status ?? {}) as Partial<BudgetStatus>;
  const previous = (current.conditions ?? []).find((c) => c.type === 'DisruptionAllowed');
  const observedGeneration = pdb.metadata.generation;
  return {
    ...(current.disruptedPods ? { disruptedPods: current.disruptedPods } : {}),
    disruptionsAllowed: 0,
    currentHealthy: current.currentHealthy ?? 0,
    desiredHealthy: current.desiredHealthy ?? 0,
    expectedPods: current.expectedPods ?? 0,
    ...(observedGeneration !== undefined ? { observedGeneration } : {}),
    conditions: [
      ...(current.conditions ?? []).filter((c) => c.type !== 'DisruptionAllowed'),
      {
        type: 'DisruptionAllowed',
        status: 'False',
        reason: 'SyncFailed',
        message,
        lastTransitionTime: previous && previous.status === 'False' ? previous.lastTransitionTime : now,
        ...(observedGeneration !== undefined ? { observedGeneration } : {}),
      },
    ],
  };
}
