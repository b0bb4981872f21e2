/**
 * NodeRestriction admission, as Kubernetes' plugin has it, for what the node authorizer cannot
 * see because it only has the URL: the body of a node's writes.
 *
 *   Node   a node creates and changes only the Node of its own name; it cannot change its
 *          taints after registration nor set or change labels under kubernetes.io/k8s.io
 *          other than the kubelet's own (hostname, os, arch, instance type, topology…),
 *          nor any node-restriction.kubernetes.io/ label (the admin's way to pin workloads)
 *   Pod    a node creates only mirror pods (kubernetes.io/config.mirror) bound to itself,
 *          which reference no secrets, configmaps, claims or service accounts
 *   Lease  in kube-node-lease, only the one named after the node
 *
 * Not covered: TokenRequest bindings (the authorizer already limits tokens to service accounts
 * of the node's pods), persistent volume claim status fields, CSR contents.
 */
import type { KObject, ResourceDefinition, StrategyContext } from '../../api/types.ts';
import { apiErrors, type ApiError } from '../../apiserver/errors.ts';
import { goQuote } from '../rbac/gotext.ts';
import { podReferences } from './graph.ts';
import { NODE_LEASE_NAMESPACE, nodeNameOf } from './identity.ts';

export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
const RESTRICTED_LABEL_PREFIX = 'node-restriction.kubernetes.io/';

/** kubernetes.io and k8s.io labels a kubelet may set on its own Node (Kubernetes' kubeletapis list). */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname', 'kubernetes.io/arch', 'kubernetes.io/os', 'beta.kubernetes.io/arch', 'beta.kubernetes.io/os',
  'beta.kubernetes.io/instance-type', 'node.kubernetes.io/instance-type', 'failure-domain.beta.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone', 'topology.kubernetes.io/region', 'topology.kubernetes.io/zone',
]);
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

/** Whether a node may set this label on itself. */
export function kubeletMaySetLabel(key: string): boolean {
  if (key.startsWith(RESTRICTED_LABEL_PREFIX)) return false;
  const slash = key.indexOf('/');
  if (slash < 0) return true;
  const prefix = key.slice(0, slash);
  const kubernetesOwned = ['kubernetes.io', 'k8s.io'].some((d) => prefix === d || prefix.endsWith(`.${d}`));
  if (!kubernetesOwned || KUBELET_LABELS.has(key)) return true;
  return KUBELET_LABEL_NAMESPACES.some((d) => prefix === d || prefix.endsWith(`.${d}`));
}

function refuse(def: ResourceDefinition, obj: KObject, why: string): ApiError {
  const resource = def.group === '' ? def.plural : `${def.plural}.${def.group}`;
  const name = obj.metadata.name ?? '';
  return apiErrors.forbidden(`${resource} ${goQuote(name)} is forbidden: ${why}`, { group: def.group, resource: def.plural }, name);
}

function changedLabels(obj: KObject, old: KObject | undefined): string[] {
  const now: Record<string, string> = obj.metadata.labels ?? {};
  const before: Record<string, string> = old?.metadata.labels ?? {};
  return [...new Set([...Object.keys(now), ...Object.keys(before)])].filter((k) => now[k] !== before[k]).sort();
}

function admitNode(node: string, def: ResourceDefinition, obj: KObject, old: KObject | undefined, ctx: StrategyContext): void {
  if (obj.metadata.name !== node) throw refuse(def, obj, `node ${goQuote(node)} is not allowed to modify node ${goQuote(obj.metadata.name ?? '')}`);
  if (ctx.subresource !== '') return;
  const forbidden = changedLabels(obj, old).filter((k) => !kubeletMaySetLabel(k));
  if (forbidden.length > 0) {
    const verb = old ? 'modify labels' : 'set the following labels';
    throw refuse(def, obj, `node ${goQuote(node)} is not allowed to ${verb}: ${forbidden.join(', ')}`);
  }
  if (old && JSON.stringify(obj.spec?.taints ?? []) !== JSON.stringify(old.spec?.taints ?? [])) {
    throw refuse(def, obj, `node ${goQuote(node)} is not allowed to modify taints`);
  }
}

function admitPod(node: string, def: ResourceDefinition, obj: KObject, old: KObject | undefined): void {
  if (old) return; // the authorizer lets a node write only the status of its own pods
  if (obj.metadata.annotations?.[MIRROR_POD_ANNOTATION] === undefined) {
    throw refuse(def, obj, `pod does not have "${MIRROR_POD_ANNOTATION}" annotation, node ${goQuote(node)} can only create mirror pods`);
  }
  if (obj.spec?.nodeName !== node) throw refuse(def, obj, `node ${goQuote(node)} can only create pods with spec.nodeName set to itself`);
  const { refs } = podReferences(obj);
  const kinds: [keyof typeof refs, string][] = [['serviceaccounts', 'service accounts'], ['secrets', 'secrets'], ['configmaps', 'configmaps'], ['persistentvolumeclaims', 'persistentvolumeclaims']];
  for (const [kind, words] of kinds) {
    if (refs[kind].size > 0) throw refuse(def, obj, `node ${goQuote(node)} can not create pods that reference ${words}`);
  }
}

/** NodeRestriction for the API server's admission chain: throws 403 for a node's write it may not make. */
export function nodeRestrictionAdmission() {
  return (def: ResourceDefinition, obj: KObject, old: KObject | undefined, ctx: StrategyContext): void => {
    const node = nodeNameOf(ctx.user);
    if (!node) return;
    if (def.group === '' && def.kind === 'Node') admitNode(node, def, obj, old, ctx);
    else if (def.group === '' && def.kind === 'Pod' && ctx.subresource === '') admitPod(node, def, obj, old);
    else if (def.group === 'coordination.k8s.io' && def.kind === 'Lease' && obj.metadata.namespace === NODE_LEASE_NAMESPACE && obj.metadata.name !== node) {
      throw refuse(def, obj, 'can only access node lease with the same name as the requesting node');
    }
  };
}
