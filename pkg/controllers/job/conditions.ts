/** Job status conditions as the Job controller of Kubernetes 1.33 writes them. */
import type { KObject } from '../../api/types.ts';

export interface JobCondition {
  type: string;
  status: 'True' | 'False';
  reason?: string;
  message?: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
}

export const COMPLETIONS_REACHED = { reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' };
export const BACKOFF_LIMIT_EXCEEDED = { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
export const DEADLINE_EXCEEDED = { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };

/** Kubernetes' metav1.Time: RFC 3339 in seconds. */
export const rfc3339 = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function newCondition(type: string, status: 'True' | 'False', reason: string, message: string, now: Date): JobCondition {
  const t = rfc3339(now);
  return { type, status, lastProbeTime: t, lastTransitionTime: t, reason, message };
}

export function findCondition(job: KObject, type: string): JobCondition | undefined {
  return ((job.status?.conditions ?? []) as JobCondition[]).find((c) => c.type === type);
}

export const hasTrueCondition = (job: KObject, type: string): boolean => findCondition(job, type)?.status === 'True';

/** Complete or Failed: the controller is done with the job. */
export const isJobFinished = (job: KObject): boolean => hasTrueCondition(job, 'Complete') || hasTrueCondition(job, 'Failed');

/**
 * Sets the condition of that type (ensureJobConditionStatus): replaces it when status, reason or
 * message differ, appends it when missing unless it would be False. Returns whether it changed.
 */
export function ensureCondition(status: { conditions?: JobCondition[] }, type: string, value: 'True' | 'False', reason: string, message: string, now: Date): boolean {
  const list = (status.conditions ??= []);
  const i = list.findIndex((c) => c.type === type);
  if (i >= 0) {
    const c = list[i]!;
    if (c.status === value && c.reason === reason && c.message === message) return false;
    list[i] = newCondition(type, value, reason, message, now);
    return true;
  }
  if (value === 'False') return false;
  list.push(newCondition(type, value, reason, message, now));
  return true;
}
