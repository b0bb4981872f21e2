/**
 * The taints the node lifecycle controller keeps on a node, computed from its conditions:
 * NoSchedule taints mirroring conditions (TaintNodesByCondition; plus unschedulable for a
 * cordoned node), and one NoExecute taint, not-ready for Ready=False or unreachable for
 * Ready=Unknown, that the taint eviction controller evicts by. Taints of other keys are the
 * user's and stay as they are.
 */
import type { KObject } from '../../api/types.ts';
import { conditions, rfc3339 } from './conditions.ts';
import { CONDITION_TAINTS, NO_SCHEDULE_KEYS, NOT_READY, UNREACHABLE, UNSCHEDULABLE, type Taint } from './taints.ts';

export interface TaintPlan {
  taints: Taint[];
  changed: boolean;
  /** A NoExecute taint the node should get but that waits for `allowNewNoExecute`. */
  held: boolean;
}

/** The NoExecute taint key a node of this Ready status should carry, if any. */
export function noExecuteKeyFor(ready: string | undefined): string | undefined {
  if (ready === 'False') return NOT_READY;
  if (ready === 'Unknown') return UNREACHABLE;
  return undefined;
}

/**
 * `noExecute`: the NoExecute key wanted (undefined: none, e.g. Ready or master disruption).
 * A node that has the other one gets it swapped at once (Kubernetes swaps without waiting on
 * the zone's rate); a node that has neither gets it only when `allowNewNoExecute`.
 */
export function planTaints(node: KObject, noExecute: string | undefined, allowNewNoExecute: boolean, now: number): TaintPlan {
  const current: Taint[] = node.spec?.taints ?? [];
  const wantNoSchedule = new Set<string>();
  for (const c of conditions(node)) {
    const key = CONDITION_TAINTS[c.type]?.[c.status];
    if (key) wantNoSchedule.add(key);
  }
  if (node.spec?.unschedulable) wantNoSchedule.add(UNSCHEDULABLE);

  const ours = (t: Taint) => (t.effect === 'NoSchedule' && NO_SCHEDULE_KEYS.has(t.key)) || (t.effect === 'NoExecute' && (t.key === NOT_READY || t.key === UNREACHABLE));
  const kept = current.filter((t) => !ours(t) || (t.effect === 'NoSchedule' ? wantNoSchedule.has(t.key) : t.key === noExecute));
  for (const key of wantNoSchedule) {
    if (!kept.some((t) => t.key === key && t.effect === 'NoSchedule')) kept.push({ key, effect: 'NoSchedule' });
  }
  let held = false;
  if (noExecute && !kept.some((t) => t.key === noExecute && t.effect === 'NoExecute')) {
    const swapping = current.some((t) => t.effect === 'NoExecute' && (t.key === NOT_READY || t.key === UNREACHABLE));
    if (swapping || allowNewNoExecute) kept.push({ key: noExecute, effect: 'NoExecute', timeAdded: rfc3339(now) });
    else held = true;
  }
  const same = kept.length === current.length && kept.every((t) => current.some((c) => c.key === t.key && c.effect === t.effect));
  return { taints: kept, changed: !same, held };
}
