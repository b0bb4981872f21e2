/**
 * The delay before a job replaces failed pods: 10 s after the first failure since the last
 * success, doubling per further failure, at most 10 minutes (Kubernetes' backoff_utils.go;
 * its documentation still says six minutes, the code caps at MaxJobPodFailureBackOff = 10 min).
 */
import { finishedAt, type Pod } from './pods.ts';

export const POD_FAILURE_BACKOFF_MS = 10_000;
export const MAX_POD_FAILURE_BACKOFF_MS = 10 * 60_000;

export interface BackoffRecord {
  failuresAfterLastSuccess: number;
  /** Epoch ms of the latest counted failure. */
  lastFailureTime?: number;
}

/** The record after counting newly finished pods (only failures after the last success count). */
export function nextBackoffRecord(prior: BackoffRecord, newSucceeded: Pod[], newFailed: Pod[], now: Date): BackoffRecord {
  const failedTimes = newFailed.map((p) => finishedAt(p, now)).sort((a, b) => a - b);
  if (newSucceeded.length === 0) {
    if (failedTimes.length === 0) return prior;
    return { failuresAfterLastSuccess: prior.failuresAfterLastSuccess + failedTimes.length, lastFailureTime: failedTimes[failedTimes.length - 1] };
  }
  const lastSuccess = Math.max(...newSucceeded.map((p) => finishedAt(p, now)));
  const after = failedTimes.filter((t) => t > lastSuccess);
  return { failuresAfterLastSuccess: after.length, lastFailureTime: after.length ? after[after.length - 1] : undefined };
}

/** Milliseconds until pods may be created again (0: now). */
export function remainingBackoff(record: BackoffRecord, now: Date): number {
  if (record.failuresAfterLastSuccess === 0 || record.lastFailureTime === undefined) return 0;
  const delay = Math.min(MAX_POD_FAILURE_BACKOFF_MS, POD_FAILURE_BACKOFF_MS * 2 ** Math.min(record.failuresAfterLastSuccess - 1, 30));
  return Math.max(0, delay - (now.getTime() - record.lastFailureTime));
}
