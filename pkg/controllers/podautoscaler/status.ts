/**
 * The HPA's status as upstream writes it: conditions keep their lastTransitionTime unless
 * their status flips, and the status is written only when something in it changed.
 */
import type { KObject } from '../../api/types.ts';
import type { Verdict } from './behavior.ts';
import type { MetricStatus } from './compute.ts';

export type ConditionType = 'AbleToScale' | 'ScalingActive' | 'ScalingLimited';

export interface Condition extends Verdict {
  type: ConditionType;
  lastTransitionTime?: string;
}

export interface HpaStatus {
  observedGeneration?: number;
  lastScaleTime?: string;
  currentReplicas: number;
  desiredReplicas: number;
  currentMetrics?: MetricStatus[];
  conditions?: Condition[];
}

export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Sets one condition in place, adding it at the end when new. */
export function setCondition(status: HpaStatus, type: ConditionType, verdict: Verdict, now: number): void {
  const conditions = (status.conditions ??= []);
  let c = conditions.find((x) => x.type === type);
  if (!c) {
    c = { type, status: verdict.status, reason: '', message: '' };
    conditions.push(c);
    c.lastTransitionTime = rfc3339(now);
  } else if (c.status !== verdict.status) {
    c.lastTransitionTime = rfc3339(now);
  }
  c.status = verdict.status;
  c.reason = verdict.reason;
  c.message = verdict.message;
}

/** The status under construction, starting from what the HPA has (conditions copied). */
export function workingStatus(hpa: KObject): HpaStatus {
  const current = (hpa.status ?? {}) as Partial<HpaStatus>;
  return {
    ...structuredClone(current),
    currentReplicas: current.currentReplicas ?? 0,
    desiredReplicas: current.desiredReplicas ?? 0,
  };
}

/** Upstream's setStatus: replicas and metrics replaced, the scale time stamped on a rescale. */
export function finishStatus(status: HpaStatus, current: number, desired: number, metrics: MetricStatus[] | undefined, rescaled: boolean, now: number): void {
  status.currentReplicas = current;
  status.desiredReplicas = desired;
  if (metrics && metrics.length > 0) status.currentMetrics = metrics;
  else delete status.currentMetrics;
  if (rescaled) status.lastScaleTime = rfc3339(now);
}
