/**
 * The next steps for a StatefulSet, from one snapshot and without side effects, in Kubernetes'
 * order: (1) create missing pods and replace finished ones, lowest ordinal first; (2) delete
 * pods beyond the replica count, highest ordinal first; (3) rolling update: delete the
 * highest-ordinal pod (at or above the partition) not at the update revision. Under
 * OrderedReady each step waits for every lower pod to be Running, Ready and available, and
 * only one pod is created or deleted at a time; Parallel does (1) and (2) all at once.
 */
import type { KObject } from '../../api/types.ts';
import { isTerminating, msUntilAvailable } from '../history/pods.ts';
import { applyRevision } from '../history/revision.ts';
import { claimsFor, newStatefulPod, ordinalOf, podRevision, startOrdinal } from './identity.ts';

export interface SetView {
  set: KObject;
  /** Pods the set controls. */
  pods: KObject[];
  currentRevision: KObject;
  updateRevision: KObject;
  now: number;
  /** Whether the claim `namespace/name` exists (the informer's view). */
  claimExists: (key: string) => boolean;
}

export type Action =
  /** `claims`: the pod's claims that do not exist yet, made before the pod (or for a Pending one). */
  | { kind: 'create'; pod: KObject; claims: KObject[] }
  | { kind: 'claims'; pod: KObject; claims: KObject[] }
  /** `claimsToPod`: make the pod own its claims first, so they go with it (whenScaled: Delete). */
  | { kind: 'delete'; pod: KObject; claimsToPod: boolean };

export interface SetPlan {
  actions: Action[];
  /** A pod becomes available (minReadySeconds) after this many ms: look again then. */
  recheckMs?: number;
}

function runningAndAvailable(view: SetView, pod: KObject): number | undefined {
  if (pod.status?.phase !== 'Running') return undefined;
  return msUntilAvailable(pod, view.set.spec?.minReadySeconds ?? 0, view.now);
}

/** The pod an ordinal should have now: below the partition it stays at the current revision. */
function versionedPod(view: SetView, ordinal: number): KObject {
  const { set, currentRevision, updateRevision } = view;
  const strategy = set.spec?.updateStrategy ?? {};
  const start = startOrdinal(set);
  const belowCurrent = strategy.rollingUpdate
    ? ordinal < start + (strategy.rollingUpdate.partition ?? 0)
    : ordinal < start + (set.status?.currentReplicas ?? 0);
  if (strategy.type === 'RollingUpdate' && belowCurrent) {
    return newStatefulPod(applyRevision(set, currentRevision), ordinal, currentRevision.metadata.name!);
  }
  return newStatefulPod(applyRevision(set, updateRevision), ordinal, updateRevision.metadata.name!);
}

function missingClaims(view: SetView, ordinal: number): KObject[] {
  return claimsFor(view.set, ordinal).filter((c) => !view.claimExists(`${c.metadata.namespace}/${c.metadata.name}`));
}

export function planStatefulSet(view: SetView): SetPlan {
  const { set } = view;
  const start = startOrdinal(set);
  const count = set.spec?.replicas ?? 1;
  const monotonic = set.spec?.podManagementPolicy !== 'Parallel';
  const plan: SetPlan = { actions: [] };
  const waitFor = (ms: number) => (plan.recheckMs = Math.min(plan.recheckMs ?? ms, ms));

  const replicas: (KObject | undefined)[] = new Array(count).fill(undefined);
  const condemned: KObject[] = [];
  for (const pod of view.pods) {
    const ordinal = ordinalOf(set, pod);
    if (ordinal === undefined) continue;
    if (ordinal >= start && ordinal < start + count) replicas[ordinal - start] = pod;
    else condemned.push(pod);
  }
  condemned.sort((a, b) => ordinalOf(set, b)! - ordinalOf(set, a)!);
  const healthy = (pod: KObject | undefined) => {
    if (!pod || isTerminating(pod)) return false;
    const ms = runningAndAvailable(view, pod);
    if (ms !== undefined && ms > 0) waitFor(ms);
    return ms === 0;
  };

  // (1) Missing and finished pods.
  for (let i = 0; i < count; i++) {
    const pod = replicas[i];
    if (!pod) {
      const fresh = versionedPod(view, start + i);
      plan.actions.push({ kind: 'create', pod: fresh, claims: missingClaims(view, start + i) });
      if (monotonic) return plan;
      continue;
    }
    // A Pending pod whose claim was deleted would wait for it forever: make it again.
    const missing = pod.status?.phase === 'Pending' && !isTerminating(pod) ? missingClaims(view, start + i) : [];
    if (missing.length) plan.actions.push({ kind: 'claims', pod, claims: missing });
    const finished = pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded';
    if (finished && !isTerminating(pod)) plan.actions.push({ kind: 'delete', pod, claimsToPod: false });
    // Under OrderedReady nothing moves past a pod that is finished, terminating or not yet available.
    if (monotonic && (finished || !healthy(pod))) return plan;
  }

  // (2) Pods beyond the replica count, highest ordinal first.
  const firstUnhealthy = [...replicas, ...[...condemned].reverse()].find((p) => !healthy(p));
  const claimsToPod = set.spec?.persistentVolumeClaimRetentionPolicy?.whenScaled === 'Delete';
  for (const pod of condemned) {
    if (isTerminating(pod)) {
      if (monotonic) return plan;
      continue;
    }
    // Under OrderedReady an unhealthy pod is deleted only if it is the first unhealthy one.
    if (monotonic && !healthy(pod) && pod !== firstUnhealthy) return plan;
    plan.actions.push({ kind: 'delete', pod, claimsToPod });
    if (monotonic) return plan;
  }

  // (3) Rolling update, one pod at a time from the highest ordinal down to the partition.
  const strategy = set.spec?.updateStrategy ?? {};
  if (strategy.type !== 'RollingUpdate') return plan;
  const partition = strategy.rollingUpdate?.partition ?? 0;
  for (let i = count - 1; i >= partition; i--) {
    const pod = replicas[i];
    if (pod && podRevision(pod) !== view.updateRevision.metadata.name && !isTerminating(pod)) {
      plan.actions.push({ kind: 'delete', pod, claimsToPod: false });
      return plan;
    }
    if (!healthy(pod)) return plan;
  }
  return plan;
}

/** Status counters and revisions, as Kubernetes computes them from the pods it sees. */
export function setStatus(view: SetView, collisionCount: number): Record<string, unknown> {
  const { set, currentRevision, updateRevision } = view;
  let replicas = 0, ready = 0, available = 0, current = 0, updated = 0;
  for (const pod of view.pods) {
    if (ordinalOf(set, pod) === undefined) continue;
    replicas++;
    const ms = runningAndAvailable(view, pod);
    if (ms !== undefined) ready++;
    if (ms === 0) available++;
    if (isTerminating(pod)) continue;
    if (podRevision(pod) === currentRevision.metadata.name) current++;
    if (podRevision(pod) === updateRevision.metadata.name) updated++;
  }
  const status: Record<string, unknown> = {
    observedGeneration: set.metadata.generation ?? 0,
    replicas,
    readyReplicas: ready,
    currentReplicas: current,
    updatedReplicas: updated,
    availableReplicas: available,
    currentRevision: currentRevision.metadata.name,
    updateRevision: updateRevision.metadata.name,
    collisionCount,
  };
  // A finished rolling update makes the update revision the current one.
  if (set.spec?.updateStrategy?.type === 'RollingUpdate' && updated === replicas && ready === replicas) {
    status.currentReplicas = updated;
    status.currentRevision = updateRevision.metadata.name;
  }
  return status;
}
