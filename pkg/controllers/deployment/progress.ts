/**
 * A Deployment's status and conditions, as Kubernetes' deployment controller computes them:
 * counters over its ReplicaSets, Available (MinimumReplicasAvailable/Unavailable) and
 * Progressing (NewReplicaSetCreated, FoundNewReplicaSet, ReplicaSetUpdated,
 * NewReplicaSetAvailable, ProgressDeadlineExceeded, DeploymentPaused/Resumed). kubectl
 * rollout status reads observedGeneration, updatedReplicas, availableReplicas and the
 * ProgressDeadlineExceeded reason from here.
 */
import { rfc3339 } from '../replicaset/status.ts';
import { maxUnavailable, replicasOf, specReplicas, statusCount, type Deployment, type ReplicaSet } from './util.ts';

export interface DeploymentCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastUpdateTime: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  collisionCount?: number;
  conditions?: DeploymentCondition[];
}

export const PROGRESSING = 'Progressing';
export const AVAILABLE = 'Available';
export const REPLICA_FAILURE = 'ReplicaFailure';
export const Reasons = {
  newRSCreated: 'NewReplicaSetCreated',
  foundNewRS: 'FoundNewReplicaSet',
  rsUpdated: 'ReplicaSetUpdated',
  newRSAvailable: 'NewReplicaSetAvailable',
  timedOut: 'ProgressDeadlineExceeded',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  failedRSCreate: 'ReplicaSetCreateError',
  minimumAvailable: 'MinimumReplicasAvailable',
  minimumUnavailable: 'MinimumReplicasUnavailable',
} as const;

/** Kubernetes treats math.MaxInt32 as "no deadline". */
export function hasProgressDeadline(d: Deployment): boolean {
  const s = d.spec?.progressDeadlineSeconds;
  return typeof s === 'number' && s !== 2147483647;
}

export function condition(type: string, status: DeploymentCondition['status'], reason: string, message: string, now: number): DeploymentCondition {
  const t = rfc3339(now);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

export function getCondition(status: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/** SetDeploymentCondition: same status and reason is no change; same status keeps the transition time. */
export function setCondition(status: DeploymentStatus, c: DeploymentCondition): void {
  const current = getCondition(status, c.type);
  if (current && current.status === c.status && current.reason === c.reason) return;
  if (current && current.status === c.status) c = { ...c, lastTransitionTime: current.lastTransitionTime };
  status.conditions = [...(status.conditions ?? []).filter((x) => x.type !== c.type), c];
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c) => c.type !== type);
  if (status.conditions.length === 0) delete status.conditions;
}

export function calculateStatus(all: ReplicaSet[], newRS: ReplicaSet | undefined, d: Deployment, now: number): DeploymentStatus {
  const available = statusCount(all, 'availableReplicas');
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation,
    replicas: statusCount(all, 'replicas'),
    updatedReplicas: statusCount([newRS], 'replicas'),
    readyReplicas: statusCount(all, 'readyReplicas'),
    availableReplicas: available,
    // More available than desired (while scaling down) is no negative unavailability.
    unavailableReplicas: Math.max(0, specReplicas(all) - available),
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (d.status?.conditions?.length) status.conditions = d.status.conditions.map((c: DeploymentCondition) => ({ ...c }));
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(status, condition(AVAILABLE, 'True', Reasons.minimumAvailable, 'Deployment has minimum availability.', now));
  } else {
    setCondition(status, condition(AVAILABLE, 'False', Reasons.minimumUnavailable, 'Deployment does not have minimum availability.', now));
  }
  return status;
}

/** Every new pod is updated and available, none old is left, and this generation was seen. */
export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const want = replicasOf(d);
  return s.updatedReplicas === want && s.replicas === want && s.availableReplicas === want && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

/** More updated, ready or available pods, or fewer old ones, than the last status said. */
export function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old: DeploymentStatus = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) || newOld < oldOld || (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) || (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0);
}

/** When the Progressing condition's last update is more than progressDeadlineSeconds ago. */
export function progressDeadline(d: Deployment, s: DeploymentStatus): number | undefined {
  const c = getCondition(s, PROGRESSING);
  if (!hasProgressDeadline(d) || !c) return undefined;
  return Date.parse(c.lastUpdateTime) + d.spec.progressDeadlineSeconds * 1000;
}

export function deploymentTimedOut(d: Deployment, s: DeploymentStatus, now: number): boolean {
  const c = getCondition(s, PROGRESSING);
  if (!hasProgressDeadline(d) || !c || c.reason === Reasons.newRSAvailable) return false;
  if (c.reason === Reasons.timedOut) return true;
  return progressDeadline(d, s)! < now;
}

/**
 * syncRolloutStatus's status: the Progressing condition estimated from what changed (unless
 * the rollout already completed), and the new ReplicaSet's ReplicaFailure carried over.
 */
export function rolloutStatus(all: ReplicaSet[], newRS: ReplicaSet | undefined, d: Deployment, now: number): DeploymentStatus {
  const status = calculateStatus(all, newRS, d, now);
  if (!hasProgressDeadline(d)) removeCondition(status, PROGRESSING);
  const current = getCondition(d.status, PROGRESSING);
  const complete = status.replicas === status.updatedReplicas && current?.reason === Reasons.newRSAvailable;
  if (hasProgressDeadline(d) && !complete) {
    const subject = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
    if (deploymentComplete(d, status)) {
      setCondition(status, condition(PROGRESSING, 'True', Reasons.newRSAvailable, `${subject} has successfully progressed.`, now));
    } else if (deploymentProgressing(d, status)) {
      // Progress refreshes lastUpdateTime even when the reason stays: the deadline counts from it.
      const c = condition(PROGRESSING, 'True', Reasons.rsUpdated, `${subject} is progressing.`, now);
      if (current?.status === 'True') c.lastTransitionTime = current.lastTransitionTime;
      removeCondition(status, PROGRESSING);
      setCondition(status, c);
    } else if (deploymentTimedOut(d, status, now)) {
      setCondition(status, condition(PROGRESSING, 'False', Reasons.timedOut, `${subject} has timed out progressing.`, now));
    }
  }
  // The new ReplicaSet's failure wins over an old one's.
  const failure = [newRS, ...all].map((rs) => (rs?.status?.conditions ?? []).find((c: { type: string }) => c.type === REPLICA_FAILURE)).find(Boolean);
  if (failure) {
    setCondition(status, { type: REPLICA_FAILURE, status: failure.status, reason: failure.reason, message: failure.message, lastUpdateTime: failure.lastTransitionTime, lastTransitionTime: failure.lastTransitionTime });
  } else {
    removeCondition(status, REPLICA_FAILURE);
  }
  return status;
}

/** Whether writing `next` over `current` changes anything. */
export function statusDiffers(current: DeploymentStatus | undefined, next: DeploymentStatus): boolean {
  const norm = (s: DeploymentStatus | undefined) => {
    const o: Record<string, unknown> = {};
    for (const k of ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'collisionCount'] as const) o[k] = s?.[k] ?? 0;
    o.conditions = s?.conditions ?? [];
    return JSON.stringify(o);
  };
  return norm(current) !== norm(next);
}
