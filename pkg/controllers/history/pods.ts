/**
 * Pod facts and pod making shared by the DaemonSet and StatefulSet controllers (Kubernetes'
 * podutil readiness/availability and controller.GetPodFromTemplate).
 */
import type { KObject, OwnerReference } from '../../api/types.ts';

function readyCondition(pod: KObject): { status?: string; lastTransitionTime?: string } | undefined {
  return (pod.status?.conditions ?? []).find((c: { type?: string }) => c.type === 'Ready');
}

export function isPodReady(pod: KObject): boolean {
  return readyCondition(pod)?.status === 'True';
}

/**
 * Milliseconds until a ready pod counts as available (ready for minReadySeconds): 0 when it
 * already is, undefined when it is not ready at all.
 */
export function msUntilAvailable(pod: KObject, minReadySeconds: number, now: number): number | undefined {
  const ready = readyCondition(pod);
  if (ready?.status !== 'True') return undefined;
  if (!minReadySeconds) return 0;
  const since = Date.parse(ready.lastTransitionTime ?? '');
  if (Number.isNaN(since)) return 0;
  return Math.max(0, since + minReadySeconds * 1000 - now);
}

export function isPodAvailable(pod: KObject, minReadySeconds: number, now: number): boolean {
  return msUntilAvailable(pod, minReadySeconds, now) === 0;
}

export function isTerminating(obj: KObject): boolean {
  return Boolean(obj.metadata.deletionTimestamp);
}

export function controllerRef(obj: KObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((o) => o.controller);
}

/** The reference a controller puts on what it creates. */
export function controllerReference(parent: KObject): OwnerReference {
  return { apiVersion: parent.apiVersion ?? 'apps/v1', kind: parent.kind!, name: parent.metadata.name!, uid: parent.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

/** A pod from the parent's template, controlled by the parent. */
export function podFromTemplate(parent: KObject, template: KObject['spec']): KObject {
  const meta = template?.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      namespace: parent.metadata.namespace,
      labels: { ...(meta.labels ?? {}) },
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [controllerReference(parent)],
    },
    spec: structuredClone(template?.spec ?? {}),
  };
}

/** Oldest first by creation time, then by name (the order Kubernetes keeps and deletes pods in). */
export function byCreation(a: KObject, b: KObject): number {
  const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
  return ta - tb || String(a.metadata.name).localeCompare(String(b.metadata.name));
}
