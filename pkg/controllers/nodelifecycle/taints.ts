/**
 * Taints and tolerations as the node lifecycle and taint eviction controllers read them
 * (Kubernetes' v1helper.GetMatchingTolerations and taint utilities).
 */
import type { KObject } from '../../api/types.ts';

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' | string;
  timeAdded?: string;
}

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal' | string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

export const NOT_READY = 'node.kubernetes.io/not-ready';
export const UNREACHABLE = 'node.kubernetes.io/unreachable';
export const UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

/**
 * The NoSchedule taints that mirror node conditions (TaintNodesByCondition): condition type →
 * status → taint key. The node lifecycle controller owns exactly these keys with NoSchedule.
 */
export const CONDITION_TAINTS: Record<string, Record<string, string>> = {
  Ready: { False: NOT_READY, Unknown: UNREACHABLE },
  MemoryPressure: { True: 'node.kubernetes.io/memory-pressure' },
  DiskPressure: { True: 'node.kubernetes.io/disk-pressure' },
  PIDPressure: { True: 'node.kubernetes.io/pid-pressure' },
  NetworkUnavailable: { True: 'node.kubernetes.io/network-unavailable' },
};

/** Keys the controller may add or remove with effect NoSchedule; others belong to users. */
export const NO_SCHEDULE_KEYS = new Set([...Object.values(CONDITION_TAINTS).flatMap((m) => Object.values(m)), UNSCHEDULABLE]);

/** Whether one toleration tolerates one taint (an empty key with Exists tolerates everything). */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator || 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

/**
 * Whether every taint is tolerated, and the tolerations that do it (for each taint, every
 * toleration matching it), as GetMatchingTolerations answers.
 */
export function matchingTolerations(taints: Taint[], tolerations: Toleration[]): { all: boolean; used: Toleration[] } {
  const used: Toleration[] = [];
  for (const taint of taints) {
    const matching = tolerations.filter((t) => tolerates(t, taint));
    if (matching.length === 0) return { all: false, used: [] };
    used.push(...matching);
  }
  return { all: true, used };
}

/**
 * The shortest tolerationSeconds among the tolerations in use (negative counts as zero); undefined
 * when none sets one, meaning the pod tolerates the taints forever.
 */
export function minTolerationSeconds(used: Toleration[]): number | undefined {
  let min: number | undefined;
  for (const t of used) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
    const s = Math.max(0, t.tolerationSeconds);
    if (min === undefined || s < min) min = s;
  }
  return min;
}

export function noExecuteTaints(node: KObject): Taint[] {
  return ((node.spec?.taints ?? []) as Taint[]).filter((t) => t.effect === 'NoExecute');
}
