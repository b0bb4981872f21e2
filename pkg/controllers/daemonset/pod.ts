/** The pod a DaemonSet runs on one node, shaped as Kubernetes' daemon controller makes it. */
import type { KObject } from '../../api/types.ts';
import { controllerRef, podFromTemplate } from '../replicaset/pods.ts';
import { REVISION_HASH_LABEL } from '../history/revision.ts';
import { daemonTolerations } from './eligibility.ts';
import { TEMPLATE_GENERATION_LABEL, templateGeneration } from './plan.ts';

/**
 * Since Kubernetes 1.12 daemon pods go through the scheduler: instead of a nodeName the pod
 * carries a required node affinity on the node's name (replacing the template's required
 * terms, which were already checked against the node), so the scheduler still checks
 * resources and ports and binds it.
 */
export function pinToNode(affinity: KObject['spec'], nodeName: string): KObject['spec'] {
  const required = { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }] };
  return { ...(affinity ?? {}), nodeAffinity: { ...(affinity?.nodeAffinity ?? {}), requiredDuringSchedulingIgnoredDuringExecution: required } };
}

export function newDaemonPod(ds: KObject, nodeName: string, hash: string): KObject {
  const pod = podFromTemplate(ds.spec?.template, ds, controllerRef(ds, 'apps/v1', 'DaemonSet'));
  const generation = templateGeneration(ds);
  pod.metadata.labels = { ...pod.metadata.labels, [REVISION_HASH_LABEL]: hash, ...(generation !== undefined ? { [TEMPLATE_GENERATION_LABEL]: generation } : {}) };
  pod.spec.affinity = pinToNode(pod.spec.affinity, nodeName);
  pod.spec.tolerations = daemonTolerations(pod.spec);
  return pod;
}
