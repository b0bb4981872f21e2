/**
 * Pod facts the DaemonSet and StatefulSet controllers need beyond the workload helpers of
 * pkg/controllers/replicaset/pods.ts: when a ready pod becomes available, termination, and the
 * age order Kubernetes keeps and deletes daemon pods in.
 */
import type { KObject } from '../../api/types.ts';
import { isPodReady, podReadySince } from '../replicaset/pods.ts';

/**
 * Milliseconds until a ready pod counts as available (ready for minReadySeconds): 0 when it
 * already is, undefined when it is not ready at all.
 */
export function msUntilAvailable(pod: KObject, minReadySeconds: number, now: number): number | undefined {
  if (!isPodReady(pod)) return undefined;
  if (!minReadySeconds) return 0;
  const since = podReadySince(pod);
  if (!since) return 0;
  return Math.max(0, since + minReadySeconds * 1000 - now);
}

export function isTerminating(obj: KObject): boolean {
  return Boolean(obj.metadata.deletionTimestamp);
}

/** Oldest first by creation time, then by name. */
export function byCreation(a: KObject, b: KObject): number {
  const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
  return ta - tb || String(a.metadata.name).localeCompare(String(b.metadata.name));
}
