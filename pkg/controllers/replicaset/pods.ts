/**
 * Pod and ownership facts the workload controllers share, as Kubernetes' podutil and
 * metav1 helpers define them: readiness, availability after minReadySeconds, activeness,
 * the controller reference, and the pod a template stamps out.
 */
import type { KObject, OwnerReference } from '../../api/types.ts';
import { cloneJson } from '../../api/json.ts';

interface PodCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
}

function readyCondition(pod: KObject): PodCondition | undefined {
  return (pod.status?.conditions as PodCondition[] | undefined)?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: KObject): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** When the pod last became Ready (ms since epoch), 0 when not ready or unknown. */
export function podReadySince(pod: KObject): number {
  const c = readyCondition(pod);
  if (c?.status !== 'True' || !c.lastTransitionTime) return 0;
  return Date.parse(c.lastTransitionTime) || 0;
}

/** Ready for at least minReadySeconds (Kubernetes' IsPodAvailable). */
export function isPodAvailable(pod: KObject, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(pod)) return false;
  if (!minReadySeconds) return true;
  const since = podReadySince(pod);
  return since > 0 && since + minReadySeconds * 1000 < now;
}

/** Not finished and not being deleted: counts towards a ReplicaSet's replicas. */
export function isPodActive(pod: KObject): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

export function controllerOf(obj: KObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller);
}

export function controllerRef(owner: KObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

/** Kubernetes' GetPodFromTemplate: labels, annotations, finalizers and spec of the template; name generated from the owner's. */
export function podFromTemplate(template: KObject['spec'], owner: KObject, ref: OwnerReference): KObject {
  const meta = template?.metadata ?? {};
  const pod: KObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${owner.metadata.name}-`,
      namespace: owner.metadata.namespace,
      ownerReferences: [ref],
    },
    spec: cloneJson(template?.spec ?? {}),
  };
  if (meta.labels) pod.metadata.labels = { ...meta.labels };
  if (meta.annotations) pod.metadata.annotations = { ...meta.annotations };
  if (meta.finalizers) pod.metadata.finalizers = [...meta.finalizers];
  return pod;
}

/** "namespace/name", the key of workqueues and expectations. */
export function keyOf(obj: KObject): string {
  return `${obj.metadata.namespace}/${obj.metadata.name}`;
}
