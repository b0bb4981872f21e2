/**
 * The Node authorizer: a kubelet (user `system:node:<name>` in group system:nodes) may do what
 * NODE_RULES (Kubernetes' system:node role) allow, narrowed as Kubernetes' Node authorizer does:
 * secrets, configmaps, persistent volume claims and volumes only when a pod bound to it
 * references them, tokens only for service accounts its pods run as, its own Lease and
 * CSINode, its own Node, and get, status writes, deletion and eviction only of its own pods.
 * Decisions come from a PodGraph (map lookups), so they cost the same with 10 pods or 10,000.
 *
 * Beyond Kubernetes: a node may read EndpointSlices, because tsk's agent runs the service proxy
 * under the kubelet's identity (Kubernetes gives kube-proxy its own). A node may also list and watch
 * PersistentVolumes and delete the Released local-path volumes of its own (authorizeLocalPath). Left to NodeRestriction
 * admission (restriction.ts): which Node a node may create, what it may change in it, and
 * which pods it may create (mirror pods only).
 */
import type { KObject } from '../../api/types.ts';
import { goQuote } from '../rbac/gotext.ts';
import { rulesAllow } from '../rbac/rules.ts';
import { NODE_RULES } from '../rbac/bootstrap.ts';
import type { Attributes, AuthorizationResult, Authorizer } from '../rbac/types.ts';
import type { PodGraph, RefKind } from './graph.ts';
import { NODE_LEASE_NAMESPACE, nodeNameOf } from './identity.ts';
import { awaitsDeletionOn } from '../../controllers/localpath/volume.ts';

/** What the node authorizer reads: the pod graph and the claims (from the watch cache). */
export interface NodeObjects {
  pods: Pick<PodGraph, 'hasPod' | 'references' | 'claimsOn'>;
  getPersistentVolumeClaim(namespace: string, name: string): KObject | undefined;
  getPersistentVolume?(name: string): KObject | undefined;
}

const READ = ['get', 'list', 'watch'];

const allow: AuthorizationResult = { decision: 'allow', reason: '' };
const noOpinion = (reason: string): AuthorizationResult => ({ decision: 'no-opinion', reason });

export class NodeAuthorizer implements Authorizer {
  constructor(private readonly objects: NodeObjects) {}

  authorize(attrs: Attributes): AuthorizationResult {
    const node = nodeNameOf(attrs.user);
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
      if (!READ.includes(attrs.verb)) return noOpinion('can only read resources of this type');
      return this.authorizeReferenced(node, resource, attrs);
    }
    if (group === '' && resource === 'persistentvolumeclaims' && sub === 'status') {
      if (!['get', 'update', 'patch'].includes(attrs.verb)) return noOpinion('can only get, update, or patch persistentvolumeclaim status');
      return this.authorizeReferenced(node, resource, { ...attrs, verb: 'get' });
    }
    if (group === '' && resource === 'persistentvolumes' && sub === '' && (attrs.verb === 'list' || attrs.verb === 'watch' || attrs.verb === 'delete')) {
      return this.authorizeLocalPath(node, attrs);
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
    if (group === 'discovery.k8s.io' && resource === 'endpointslices' && READ.includes(attrs.verb)) return allow;
    if (group === '' && resource === 'nodes' && ['update', 'patch', 'delete'].includes(attrs.verb) && attrs.name !== node) {
      return noOpinion(`node ${goQuote(node)} is not allowed to modify node ${goQuote(attrs.name ?? '')}`);
    }
    if (group === '' && resource === 'pods' && attrs.name && this.podVerbOfItsOwn(attrs)) {
      if (!this.objects.pods.hasPod(node, attrs.namespace ?? '', attrs.name)) return this.noRelationship(node);
      return rulesAllow(attrs, NODE_RULES) ? allow : noOpinion('');
    }
    return undefined;
  }

  /** Reads and writes of one named pod that only the node running it may make. */
  private podVerbOfItsOwn(attrs: Attributes): boolean {
    const sub = attrs.subresource ?? '';
    if (sub === '') return attrs.verb === 'get' || attrs.verb === 'delete';
    return sub === 'status' || sub === 'eviction';
  }

  private noRelationship(node: string): AuthorizationResult {
    return noOpinion(`no relationship found between node '${node}' and this object`);
  }

  /** A list or watch names its object through fieldSelector=metadata.name=… (RequestInfo puts it in attrs.name). */
  private authorizeReferenced(node: string, kind: RefKind, attrs: Attributes): AuthorizationResult {
    if (!attrs.name) return noOpinion('can only get individual resources of this type');
    return this.objects.pods.references(node, kind, attrs.namespace ?? '', attrs.name) ? allow : this.noRelationship(node);
  }

  /**
   * Beyond Kubernetes, for tsk's local-path volumes (pkg/controllers/localpath): the kubelet
   * watches volumes to find the Released ones of its node, removes their folder and deletes
   * them. Volumes carry no secrets (only references), so list/watch is open to nodes; delete
   * only of a Released local-path volume pinned to this node.
   */
  private authorizeLocalPath(node: string, attrs: Attributes): AuthorizationResult {
    if (attrs.verb !== 'delete') return allow;
    const pv = attrs.name ? this.objects.getPersistentVolume?.(attrs.name) : undefined;
    if (pv && awaitsDeletionOn(pv, node)) return allow;
    return this.noRelationship(node);
  }

  /** A PV is reachable through a claim of one of the node's pods that is bound to it. */
  private authorizeVolume(node: string, attrs: Attributes): AuthorizationResult {
    for (const [namespace, claim] of this.objects.pods.claimsOn(node)) {
      if (this.objects.getPersistentVolumeClaim(namespace, claim)?.spec?.volumeName === attrs.name) return allow;
    }
    return this.noRelationship(node);
  }
}
