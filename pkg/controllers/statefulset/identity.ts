/**
 * A StatefulSet pod's stable identity, as Kubernetes gives it: name `<set>-<ordinal>`, hostname
 * the same, subdomain the governing service, the pod-name and pod-index labels, and one
 * PersistentVolumeClaim per claim template named `<template>-<set>-<ordinal>` mounted in place
 * of the template's volume of that name.
 */
import type { KObject, OwnerReference } from '../../api/types.ts';
import { controllerRef, podFromTemplate } from '../replicaset/pods.ts';
import { REVISION_HASH_LABEL } from '../history/revision.ts';

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

export function podName(set: KObject, ordinal: number): string {
  return `${set.metadata.name}-${ordinal}`;
}

/** The ordinal in a member pod's name; undefined for a pod that is not named as one of the set's. */
export function ordinalOf(set: KObject, pod: KObject): number | undefined {
  const prefix = `${set.metadata.name}-`;
  const name = pod.metadata.name ?? '';
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : undefined;
}

export function startOrdinal(set: KObject): number {
  return set.spec?.ordinals?.start ?? 0;
}

export function claimName(set: KObject, template: KObject, ordinal: number): string {
  return `${template.metadata?.name}-${set.metadata.name}-${ordinal}`;
}

/** An owner reference that only ties lifetimes (for the garbage collector), as Kubernetes puts on claims. */
export function plainOwnerReference(owner: KObject): OwnerReference {
  return { apiVersion: owner.apiVersion ?? 'v1', kind: owner.kind!, name: owner.metadata.name!, uid: owner.metadata.uid! };
}

/**
 * The claims of one ordinal. Retention policy whenDeleted=Delete makes the set an owner of
 * them (the garbage collector then deletes them with the set); Retain leaves them unowned.
 */
export function claimsFor(set: KObject, ordinal: number): KObject[] {
  const selectorLabels: Record<string, string> = set.spec?.selector?.matchLabels ?? {};
  const ownedBySet = set.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete';
  return ((set.spec?.volumeClaimTemplates ?? []) as KObject[]).map((template) => {
    const meta = template.metadata ?? {};
    const owners: OwnerReference[] = ownedBySet ? [plainOwnerReference(set)] : [];
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: claimName(set, template, ordinal),
        namespace: set.metadata.namespace,
        labels: { ...(meta.labels ?? {}), ...selectorLabels },
        ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
        ...(owners.length ? { ownerReferences: owners } : {}),
      },
      spec: structuredClone(template.spec ?? {}),
    };
  });
}

/** The pod of `ordinal` from `set`'s template (the set as of the revision it belongs to). */
export function newStatefulPod(set: KObject, ordinal: number, revisionName: string): KObject {
  const pod = podFromTemplate(set.spec?.template, set, controllerRef(set, 'apps/v1', 'StatefulSet'));
  const name = podName(set, ordinal);
  delete pod.metadata.generateName;
  pod.metadata.name = name;
  pod.metadata.labels = { ...pod.metadata.labels, [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [REVISION_HASH_LABEL]: revisionName };
  pod.spec.hostname = name;
  if (set.spec?.serviceName) pod.spec.subdomain = set.spec.serviceName;
  const templates = (set.spec?.volumeClaimTemplates ?? []) as KObject[];
  if (templates.length) {
    const claimed = new Set(templates.map((t) => t.metadata?.name));
    const volumes = ((pod.spec.volumes ?? []) as { name: string }[]).filter((v) => !claimed.has(v.name));
    for (const t of templates) volumes.push({ name: t.metadata.name, persistentVolumeClaim: { claimName: claimName(set, t, ordinal) } } as { name: string });
    pod.spec.volumes = volumes;
  }
  return pod;
}

export function podRevision(pod: KObject): string | undefined {
  return pod.metadata.labels?.[REVISION_HASH_LABEL];
}
