/**
 * What a DaemonSet's pods should become, computed from one snapshot of nodes and pods without
 * side effects (the controller performs the plan): Kubernetes' manage loop (one pod per node
 * that should run one, none elsewhere, failed pods replaced, duplicates removed), its rolling
 * update (maxUnavailable or maxSurge), and the status counters kubectl reads.
 */
import type { KObject } from '../../api/types.ts';
import { TEMPLATE_GENERATION_ANNOTATION } from '../../api/resources/apps/daemonset.ts';
import { REVISION_HASH_LABEL } from '../history/revision.ts';
import { byCreation, isTerminating } from '../history/pods.ts';
import { isPodAvailable, isPodReady } from '../replicaset/pods.ts';
import { placementOn } from './eligibility.ts';

export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';

export interface DaemonView {
  ds: KObject;
  nodes: KObject[];
  /** Pods the DaemonSet controls. */
  pods: KObject[];
  /** Hash of the current revision. */
  hash: string;
  now: number;
  /** How long a node must still wait before its next failed pod is replaced (0: not waiting). */
  failedPodBackoffMs?: (node: string) => number;
}

export interface Plan {
  /** Nodes that get a new daemon pod. */
  createOn: string[];
  deletePods: KObject[];
  /** Failed pods among deletePods (the controller records a warning and backs the node off). */
  failedPods: KObject[];
  /** A failed pod waits out its node's backoff: look again after this many ms. */
  recheckMs?: number;
}

export function templateGeneration(ds: KObject): string | undefined {
  return ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
}

/** The node a daemon pod is for: its binding, or the node its affinity pins it to. */
export function targetNode(pod: KObject): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of term.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
    }
  }
  return undefined;
}

export function podsByNode(pods: KObject[]): Map<string, KObject[]> {
  const map = new Map<string, KObject[]>();
  for (const pod of pods) {
    const node = targetNode(pod);
    if (!node) continue;
    const list = map.get(node);
    if (list) list.push(pod);
    else map.set(node, [pod]);
  }
  return map;
}

/** Whether the pod runs the current template (by generation label or revision hash). */
export function isUpdated(pod: KObject, ds: KObject, hash: string): boolean {
  const generation = templateGeneration(ds);
  const labels = pod.metadata.labels ?? {};
  return (generation !== undefined && labels[TEMPLATE_GENERATION_LABEL] === generation) || labels[REVISION_HASH_LABEL] === hash;
}

function scaled(value: number | string | undefined, total: number): number {
  if (typeof value === 'string' && value.endsWith('%')) return Math.ceil((Number.parseInt(value, 10) * total) / 100);
  return Number(value ?? 0);
}

/** maxSurge and maxUnavailable scaled to the desired count (both 0 means one unavailable). */
export function rollingLimits(ds: KObject, desired: number): { maxSurge: number; maxUnavailable: number } {
  const ru = ds.spec?.updateStrategy?.rollingUpdate ?? {};
  const maxSurge = scaled(ru.maxSurge, desired);
  const maxUnavailable = scaled(ru.maxUnavailable, desired);
  return { maxSurge, maxUnavailable: maxSurge === 0 && maxUnavailable === 0 ? 1 : maxUnavailable };
}

function surgeEnabled(ds: KObject, desired: number): boolean {
  return ds.spec?.updateStrategy?.type === 'RollingUpdate' && rollingLimits(ds, desired).maxSurge > 0;
}

/** The manage loop: which nodes lack their pod and which pods must go. */
export function planNodes(view: DaemonView): Plan {
  const { ds, nodes, hash, now } = view;
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const byNode = podsByNode(view.pods);
  const plan: Plan = { createOn: [], deletePods: [], failedPods: [] };
  const desired = nodes.filter((n) => placementOn(n, ds).shouldRun).length;
  for (const node of nodes) {
    const name = node.metadata.name!;
    const { shouldRun, shouldContinueRunning } = placementOn(node, ds);
    const pods = byNode.get(name) ?? [];
    if (shouldRun && pods.length === 0) {
      plan.createOn.push(name);
      continue;
    }
    if (!shouldContinueRunning) {
      plan.deletePods.push(...pods.filter((p) => !isTerminating(p)));
      continue;
    }
    const running: KObject[] = [];
    for (const pod of pods) {
      if (isTerminating(pod)) continue;
      if (pod.status?.phase === 'Failed') {
        // A pod the node keeps failing (kubelet refusing it) is replaced at a backed-off pace.
        const wait = view.failedPodBackoffMs?.(name) ?? 0;
        if (wait > 0) {
          plan.recheckMs = Math.min(plan.recheckMs ?? wait, wait);
          continue;
        }
        plan.deletePods.push(pod);
        plan.failedPods.push(pod);
      } else if (pod.status?.phase === 'Succeeded') plan.deletePods.push(pod);
      else running.push(pod);
    }
    running.sort(byCreation);
    if (surgeEnabled(ds, desired)) {
      // With surge a node may hold one old and one new pod; the old goes once the new is available.
      let oldestNew: KObject | undefined;
      let oldestOld: KObject | undefined;
      for (const pod of running) {
        if (isUpdated(pod, ds, hash) && !oldestNew) oldestNew = pod;
        else if (!isUpdated(pod, ds, hash) && !oldestOld) oldestOld = pod;
        else plan.deletePods.push(pod);
      }
      if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodAvailable(oldestNew, minReady, now))) plan.deletePods.push(oldestOld);
    } else {
      plan.deletePods.push(...running.slice(1));
    }
  }
  // Pods for nodes that are gone: unbound ones are ours to delete, bound ones pod GC's.
  const known = new Set(nodes.map((n) => n.metadata.name));
  for (const [node, pods] of byNode) {
    if (known.has(node)) continue;
    plan.deletePods.push(...pods.filter((p) => !p.spec?.nodeName && !isTerminating(p)));
  }
  return plan;
}

/** The node's one new and one old pod; undefined when it holds duplicates (the manage loop's to fix). */
function updatedAndOld(pods: KObject[], ds: KObject, hash: string): { newPod?: KObject; oldPod?: KObject } | undefined {
  let newPod: KObject | undefined;
  let oldPod: KObject | undefined;
  for (const pod of pods) {
    if (isTerminating(pod)) continue;
    if (isUpdated(pod, ds, hash)) {
      if (newPod) return undefined;
      newPod = pod;
    } else {
      if (oldPod) return undefined;
      oldPod = pod;
    }
  }
  return { newPod, oldPod };
}

/** One step of the rolling update: old pods to delete (maxUnavailable) or nodes to surge onto (maxSurge). */
export function planRollingUpdate(view: DaemonView): Plan {
  const { ds, nodes, hash, now } = view;
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const runnable = new Set(nodes.filter((n) => placementOn(n, ds).shouldRun).map((n) => n.metadata.name!));
  const { maxSurge, maxUnavailable } = rollingLimits(ds, runnable.size);
  const plan: Plan = { createOn: [], deletePods: [], failedPods: [] };
  const byNode = [...podsByNode(view.pods)].sort(([a], [b]) => a.localeCompare(b));
  if (maxSurge === 0) {
    let unavailable = 0;
    const replaceNow: KObject[] = [];
    const candidates: KObject[] = [];
    for (const [, pods] of byNode) {
      const found = updatedAndOld(pods, ds, hash);
      if (!found || (!found.newPod && !found.oldPod) || (found.newPod && found.oldPod)) {
        unavailable++;
      } else if (found.newPod) {
        if (!isPodAvailable(found.newPod, minReady, now)) unavailable++;
      } else if (!isPodAvailable(found.oldPod!, minReady, now)) {
        // An old pod that is not available anyway costs nothing to replace.
        replaceNow.push(found.oldPod!);
      } else if (unavailable < maxUnavailable) {
        candidates.push(found.oldPod!);
      }
    }
    const budget = Math.min(candidates.length, Math.max(0, maxUnavailable - unavailable));
    plan.deletePods.push(...replaceNow, ...candidates.slice(0, budget));
    return plan;
  }
  let surging = 0;
  const surgeNow: string[] = [];
  const candidates: string[] = [];
  for (const [node, pods] of byNode) {
    const found = updatedAndOld(pods, ds, hash);
    if (!found) {
      surging++;
      continue;
    }
    const { newPod, oldPod } = found;
    if (!oldPod) continue;
    if (!newPod) {
      if (!runnable.has(node)) continue;
      if (!isPodAvailable(oldPod, minReady, now)) surgeNow.push(node);
      else if (surging < maxSurge) candidates.push(node);
    } else if (!isPodAvailable(newPod, minReady, now)) {
      surging++;
    } else {
      plan.deletePods.push(oldPod);
    }
  }
  const budget = Math.min(candidates.length, Math.max(0, maxSurge - surging));
  plan.createOn.push(...surgeNow, ...candidates.slice(0, budget));
  return plan;
}

/** The status counters, from nodes and the pods targeted at them. */
export function daemonStatus(view: DaemonView): Record<string, number> {
  const { ds, nodes, hash, now } = view;
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const byNode = podsByNode(view.pods);
  let desired = 0, current = 0, misscheduled = 0, ready = 0, available = 0, updated = 0;
  for (const node of nodes) {
    const { shouldRun } = placementOn(node, ds);
    const pods = [...(byNode.get(node.metadata.name!) ?? [])].sort(byCreation);
    if (!shouldRun) {
      if (pods.length > 0) misscheduled++;
      continue;
    }
    desired++;
    if (pods.length === 0) continue;
    current++;
    // Kubernetes judges a node by its oldest daemon pod.
    const pod = pods[0]!;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, now)) available++;
    }
    if (isUpdated(pod, ds, hash)) updated++;
  }
  return {
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    desiredNumberScheduled: desired,
    numberReady: ready,
    numberAvailable: available,
    numberUnavailable: desired - available,
    updatedNumberScheduled: updated,
  };
}
