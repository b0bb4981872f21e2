/**
 * A ReplicaSet's status from the pods it controls, as Kubernetes' calculateStatus: replicas,
 * fullyLabeledReplicas (pods carrying all template labels), readyReplicas, availableReplicas
 * (ready for minReadySeconds), observedGeneration, and the ReplicaFailure condition while
 * creating or deleting pods fails (quota, admission).
 */
import type { KObject } from '../../api/types.ts';
import { factsOf, selectorOf, selects } from './facts.ts';

export interface ReplicaSetCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: ReplicaSetCondition[];
}

/** metav1.Time: RFC 3339 in whole seconds. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function calculateStatus(rs: KObject, pods: KObject[], manageError: unknown, now: number): ReplicaSetStatus {
  // The template's labels as a selector: a pod carrying them all is fully labeled.
  const template = selectorOf({ matchLabels: rs.spec?.template?.metadata?.labels ?? {} });
  const minReadySeconds = rs.spec?.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  // Every pass visits every pod of the ReplicaSet: only remembered facts are read here.
  for (const pod of pods) {
    const facts = factsOf(pod);
    if (selects(template, pod)) fullyLabeled++;
    if (facts.ready) {
      ready++;
      if (!minReadySeconds || (facts.readySince > 0 && facts.readySince + minReadySeconds * 1000 < now)) available++;
    }
  }
  const old: ReplicaSetStatus = rs.status ?? { replicas: 0 };
  let conditions = old.conditions ?? [];
  const failure = conditions.find((c) => c.type === 'ReplicaFailure');
  if (manageError && !failure) {
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    conditions = [...conditions, { type: 'ReplicaFailure', status: 'True', lastTransitionTime: rfc3339(now), reason, message: (manageError as Error).message ?? String(manageError) }];
  } else if (!manageError && failure) {
    conditions = conditions.filter((c) => c !== failure);
  }
  // Only `replicas` is always serialized; Kubernetes omits the other counters when zero.
  const status: ReplicaSetStatus = { replicas: pods.length };
  if (fullyLabeled) status.fullyLabeledReplicas = fullyLabeled;
  if (ready) status.readyReplicas = ready;
  if (available) status.availableReplicas = available;
  if (rs.metadata.generation) status.observedGeneration = rs.metadata.generation;
  if (conditions.length > 0) status.conditions = conditions;
  return status;
}

/** Whether writing `next` would change anything (counters are omitted when zero in the API). */
export function statusChanged(old: ReplicaSetStatus | undefined, next: ReplicaSetStatus): boolean {
  const o = old ?? { replicas: 0 };
  return (
    (o.replicas ?? 0) !== next.replicas ||
    (o.fullyLabeledReplicas ?? 0) !== (next.fullyLabeledReplicas ?? 0) ||
    (o.readyReplicas ?? 0) !== (next.readyReplicas ?? 0) ||
    (o.availableReplicas ?? 0) !== (next.availableReplicas ?? 0) ||
    (o.observedGeneration ?? 0) !== (next.observedGeneration ?? 0) ||
    JSON.stringify(o.conditions ?? []) !== JSON.stringify(next.conditions ?? [])
  );
}
