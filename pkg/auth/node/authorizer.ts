/**
 * The Node authorizer, simplified: a kubelet (user `system:node:<name>` in group system:nodes)
 * may do what NODE_RULES allow, but secrets, configmaps, persistent volume claims and volumes
 * only when a pod bound to it references them, tokens only for service accounts its pods run
 * as, its own Lease and CSINode, its own Node and the status of its own pods.
 *
 * Simplified against Kubernetes: references are found by scanning the node's pods on each
 * check (no graph); secret/configmap list and watch are refused outright (Kubernetes allows
 * them with a metadata.name field selector); writes to another node's Node object are refused
 * here rather than by the NodeRestriction admission plugin; pod create/delete (mirror pods) is
 * left to admission.
 */
import type { KObject } from '../../api/types.ts';
import { goQuote } from '../rbac/gotext.ts';
import { rulesAllow } from '../rbac/rules.ts';
import { NODE_RULES } from '../rbac/bootstrap.ts';
import type { Attributes, AuthorizationResult, Authorizer } from '../rbac/types.ts';

export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** What the node authorizer reads (from the watch cache). */
export interface NodeObjects {
  /** Pods whose spec.nodeName is `nodeName`. */
  podsOnNode(nodeName: string): KObject[];
  getPersistentVolumeClaim(namespace: string, name: string): KObject | undefined;
}

/** The node name of a node identity, '' for a node user whose name is not `system:node:<name>`, undefined for non-nodes. */
export function nodeIdentity(attrs: Attributes): string | undefined {
  if (!attrs.user.groups.includes(NODES_GROUP)) return undefined;
  return attrs.user.username.startsWith(NODE_USER_PREFIX) ? attrs.user.username.slice(NODE_USER_PREFIX.length) : '';
}

type RefKind = 'secrets' | 'configmaps' | 'persistentvolumeclaims' | 'serviceaccounts';
interface PodRefs {
  namespace: string;
  refs: Record<RefKind, Set<string>>;
}

/** Every object a pod names that its node must read to run it. */
export function podReferences(pod: KObject): PodRefs {
  const refs: Record<RefKind, Set<string>> = { secrets: new Set(), configmaps: new Set(), persistentvolumeclaims: new Set(), serviceaccounts: new Set() };
  const add = (kind: RefKind, name: unknown) => {
    if (typeof name === 'string' && name !== '') refs[kind].add(name);
  };
  const spec = pod.spec ?? {};
  add('serviceaccounts', spec.serviceAccountName);
  for (const s of spec.imagePullSecrets ?? []) add('secrets', s?.name);
  for (const v of spec.volumes ?? []) {
    add('secrets', v?.secret?.secretName);
    add('configmaps', v?.configMap?.name);
    add('persistentvolumeclaims', v?.persistentVolumeClaim?.claimName);
    if (v?.ephemeral) add('persistentvolumeclaims', `${pod.metadata.name}-${v.name}`);
    for (const src of v?.projected?.sources ?? []) {
      add('secrets', src?.secret?.name);
      add('configmaps', src?.configMap?.name);
    }
    // Volume plugins that read credentials from a secret name it as secretRef or nodePublishSecretRef.
    for (const plugin of Object.values(v ?? {})) {
      if (plugin && typeof plugin === 'object') {
        add('secrets', (plugin as Record<string, { name?: unknown }>).secretRef?.name);
        add('secrets', (plugin as Record<string, { name?: unknown }>).nodePublishSecretRef?.name);
      }
    }
  }
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])]) {
    for (const e of c?.env ?? []) {
      add('secrets', e?.valueFrom?.secretKeyRef?.name);
      add('configmaps', e?.valueFrom?.configMapKeyRef?.name);
    }
    for (const e of c?.envFrom ?? []) {
      add('secrets', e?.secretRef?.name);
      add('configmaps', e?.configMapRef?.name);
    }
  }
  return { namespace: pod.metadata.namespace ?? '', refs };
}

const allow: AuthorizationResult = { decision: 'allow', reason: '' };
const noOpinion = (reason: string): AuthorizationResult => ({ decision: 'no-opinion', reason });

export class NodeAuthorizer implements Authorizer {
  constructor(private readonly objects: NodeObjects) {}

  authorize(attrs: Attributes): AuthorizationResult {
    const node = nodeIdentity(attrs);
    if (node === undefined) return noOpinion('');
    if (node === '') return noOpinion(`unknown node for user ${goQuote(attrs.user.username)}`);
    if (attrs.resourceRequest) {
      const special = this.authorizeResource(node, attrs);
      if (special) return special;
    }
    return rulesAllow(attrs, NODE_RULES) ? allow : noOpinion('');
  }

  private authorizeResource(node: string, attrs: Attributes): AuthorizationResult | undefined {
    const group = attrs.apiGroup ?? '';
    const resource = attrs.resource ?? '';
    const sub = attrs.subresource ?? '';
    if (group === '' && (resource === 'secrets' || resource === 'configmaps')) {
      if (!['get', 'list', 'watch'].includes(attrs.verb)) return noOpinion('can only read resources of this type');
      return this.authorizeReferenced(node, resource, attrs);
    }
    if (group === '' && resource === 'persistentvolumeclaims' && sub === 'status') {
      if (!['get', 'update', 'patch'].includes(attrs.verb)) return noOpinion('can only get, update, or patch persistentvolumeclaim status');
      return this.authorizeReferenced(node, resource, { ...attrs, verb: 'get' });
    }
    if (group === '' && (resource === 'persistentvolumeclaims' || resource === 'persistentvolumes')) {
      if (attrs.verb !== 'get') return noOpinion('can only get individual resources of this type');
      if (sub !== '') return noOpinion(`cannot get subresource ${sub}`);
      return resource === 'persistentvolumes' ? this.authorizeVolume(node, attrs) : this.authorizeReferenced(node, resource, attrs);
    }
    if (group === '' && resource === 'serviceaccounts' && sub !== '') {
      if (attrs.verb !== 'create' || !attrs.name) return noOpinion('can only create tokens for individual service accounts');
      if (sub !== 'token') return noOpinion('can only create token subresource of serviceaccount');
      return this.authorizeReferenced(node, 'serviceaccounts', { ...attrs, verb: 'get' });
    }
    if (group === 'coordination.k8s.io' && resource === 'leases') {
      if (!['get', 'create', 'update', 'patch', 'delete'].includes(attrs.verb)) return noOpinion('can only get, create, update, patch, or delete a node lease');
      if (attrs.namespace !== NODE_LEASE_NAMESPACE) return noOpinion(`can only access leases in the ${NODE_LEASE_NAMESPACE} namespace`);
      if (attrs.verb !== 'create' && attrs.name !== node) return noOpinion('can only access node lease with the same name as the requesting node');
      return allow;
    }
    if (group === 'storage.k8s.io' && resource === 'csinodes') {
      if (!['get', 'create', 'update', 'patch', 'delete'].includes(attrs.verb)) return noOpinion('can only get, create, update, patch, or delete a CSINode');
      if (attrs.verb !== 'create' && attrs.name !== node) return noOpinion('can only access CSINode with the same name as the requesting node');
      return allow;
    }
    if (group === '' && resource === 'nodes' && ['update', 'patch', 'delete'].includes(attrs.verb) && attrs.name !== node) {
      return noOpinion(`node ${goQuote(node)} is not allowed to modify node ${goQuote(attrs.name ?? '')}`);
    }
    if (group === '' && resource === 'pods' && sub === 'status' && attrs.name) {
      const mine = this.objects.podsOnNode(node).some((p) => p.metadata.namespace === attrs.namespace && p.metadata.name === attrs.name);
      return mine ? (rulesAllow(attrs, NODE_RULES) ? allow : noOpinion('')) : this.noRelationship(node);
    }
    return undefined;
  }

  private noRelationship(node: string): AuthorizationResult {
    return noOpinion(`no relationship found between node '${node}' and this object`);
  }

  private authorizeReferenced(node: string, kind: RefKind, attrs: Attributes): AuthorizationResult {
    if (!attrs.name) return noOpinion('can only get individual resources of this type');
    if (attrs.verb !== 'get') return noOpinion('can only get individual resources of this type');
    const found = this.objects
      .podsOnNode(node)
      .map(podReferences)
      .some((p) => p.namespace === attrs.namespace && p.refs[kind].has(attrs.name!));
    return found ? allow : this.noRelationship(node);
  }

  /** A PV is reachable through a claim of one of the node's pods that is bound to it. */
  private authorizeVolume(node: string, attrs: Attributes): AuthorizationResult {
    for (const pod of this.objects.podsOnNode(node)) {
      const { namespace, refs } = podReferences(pod);
      for (const claim of refs.persistentvolumeclaims) {
        if (this.objects.getPersistentVolumeClaim(namespace, claim)?.spec?.volumeName === attrs.name) return allow;
      }
    }
    return this.noRelationship(node);
  }
}
