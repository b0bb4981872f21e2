/**
 * Authentication and authorization for the API server, fed from the watch cache: client
 * certificates of the client CA, bearer tokens (service-account JWTs, bootstrap tokens, the
 * node token), then system:masters → RBAC, as kube-apiserver with --authorization-mode=RBAC.
 */
import type { TLSSocket } from 'node:tls';
import type { ResourceTable } from '../api/registry.ts';
import type { KObject } from '../api/types.ts';
import { bearerToken, createAuthenticator, type Authenticator as TokenAuthenticator, type AuthenticatorOptions } from '../auth/authn/authenticator.ts';
import { aggregateClusterRoles } from '../auth/rbac/aggregation.ts';
import { forbiddenError } from '../auth/rbac/authorizer.ts';
import { createClusterAuthorizer, type ClusterAuthorizer } from '../auth/rbac/chain.ts';
import { PodGraph } from '../auth/node/graph.ts';
import type { RbacLister } from '../auth/rbac/resolver.ts';
import type { Attributes, ClusterRole, ClusterRoleBinding, Role, RoleBinding } from '../auth/rbac/types.ts';
import { apiErrors } from '../apiserver/errors.ts';
import type { Request } from '../apiserver/http/body.ts';
import type { RequestInfo } from '../apiserver/requestinfo.ts';
import type { Authenticator, Authorizer } from '../apiserver/server.ts';
import type { WatchCache } from '../apiserver/storage/watchcache.ts';

/** Reads objects of one resource out of the watch cache by namespace and name. */
export function cacheReader(cache: WatchCache, table: ResourceTable, group: string, resource: string) {
  const def = table.get(group, 'v1', resource);
  const path = def?.storagePath ?? resource;
  const key = (ns: string, name: string) => (def?.namespaced ? `/registry/${path}/${ns}/${name}` : `/registry/${path}/${name}`);
  return {
    get: (ns: string, name: string): KObject | undefined => cache.get(path, key(ns, name))?.obj,
    *list(ns?: string): IterableIterator<KObject> {
      for (const c of cache.values(path, ns !== undefined && def?.namespaced ? `/registry/${path}/${ns}/` : undefined)) yield c.obj;
    },
  };
}

/**
 * RBAC objects straight from the cache. Aggregated ClusterRoles get their rules from the roles
 * they select, computed to a fixed point (admin ⊇ edit ⊇ view through their aggregate-to
 * labels) and kept until a ClusterRole changes, as the aggregation controller's result would be.
 */
export function rbacLister(cache: WatchCache, table: ResourceTable): RbacLister {
  const roles = cacheReader(cache, table, 'rbac.authorization.k8s.io', 'roles');
  const roleBindings = cacheReader(cache, table, 'rbac.authorization.k8s.io', 'rolebindings');
  const clusterRoles = cacheReader(cache, table, 'rbac.authorization.k8s.io', 'clusterroles');
  const clusterRoleBindings = cacheReader(cache, table, 'rbac.authorization.k8s.io', 'clusterrolebindings');
  let aggregated: { revision: number; byName: Map<string, ClusterRole> } | undefined;
  const clusterRoleDef = table.get('rbac.authorization.k8s.io', 'v1', 'clusterroles');
  const latestClusterRoleRevision = (): number => {
    let max = 0;
    for (const c of cache.values(clusterRoleDef?.storagePath ?? 'clusterroles')) max = Math.max(max, c.revision);
    return max + cache.count(clusterRoleDef?.storagePath ?? 'clusterroles');
  };
  const aggregatedRoles = (): Map<string, ClusterRole> => {
    const revision = latestClusterRoleRevision();
    if (aggregated?.revision !== revision) {
      const all = [...clusterRoles.list()] as ClusterRole[];
      const byName = new Map(all.map((r) => [r.metadata.name!, r]));
      for (const r of aggregateClusterRoles(all)) byName.set(r.metadata.name!, r);
      aggregated = { revision, byName };
    }
    return aggregated.byName;
  };
  return {
    getRole: (ns, name) => roles.get(ns, name) as Role | undefined,
    listRoleBindings: (ns) => [...roleBindings.list(ns)] as RoleBinding[],
    getClusterRole: (name) => {
      const role = clusterRoles.get('', name) as ClusterRole | undefined;
      if (!role?.aggregationRule) return role;
      return aggregatedRoles().get(name) ?? role;
    },
    listClusterRoleBindings: () => [...clusterRoleBindings.list()] as ClusterRoleBinding[],
  };
}

export function attributesOf(user: Attributes['user'], info: RequestInfo): Attributes {
  if (!info.isResourceRequest) return { user, verb: info.verb, resourceRequest: false, path: info.path };
  return {
    user,
    verb: info.verb,
    resourceRequest: true,
    apiGroup: info.group,
    apiVersion: info.version,
    resource: info.resource,
    subresource: info.subresource,
    namespace: info.namespace,
    name: info.name,
  };
}

/** The node authorizer's pod graph, following the cache's pod events (rebuilt when the cache reloads). */
function podGraphOf(cache: WatchCache, table: ResourceTable): PodGraph {
  const pods = cacheReader(cache, table, '', 'pods');
  const graph = new PodGraph();
  graph.reset(pods.list());
  cache.subscribe(table.get('', 'v1', 'pods')!.storagePath, cache.revision, (events, revision) => {
    if (revision < 0) return graph.reset(pods.list());
    for (const e of events) graph.apply(e.prev?.obj, e.type === 'DELETED' ? undefined : e.object.obj);
  });
  return graph;
}

export function createAuthorizer(cache: WatchCache, table: ResourceTable): Authorizer & { cluster: ClusterAuthorizer } {
  const claims = cacheReader(cache, table, '', 'persistentvolumeclaims');
  const volumes = cacheReader(cache, table, '', 'persistentvolumes');
  const cluster = createClusterAuthorizer({
    rbac: rbacLister(cache, table),
    nodes: { pods: podGraphOf(cache, table), getPersistentVolumeClaim: (ns, name) => claims.get(ns, name), getPersistentVolume: (name) => volumes.get('', name) },
  });
  return {
    cluster,
    authorize(user, info) {
      const attrs = attributesOf(user, info);
      const result = cluster.authorize(attrs);
      return result.decision === 'allow' ? undefined : forbiddenError(attrs, result.reason);
    },
  };
}

/** How long a bearer token's answer is reused (kube-apiserver caches token authentication for 10 s too). */
const TOKEN_CACHE_MS = 10_000;
const TOKEN_CACHE_ENTRIES = 1024;

/**
 * Adapts the token/certificate authenticator to the HTTP server: 401 for failed credentials.
 * A connection's client certificate cannot change, so it is verified once per TLS socket
 * (HTTP/2 multiplexes every request of a client over one) and the answer kept until the
 * certificate's notAfter: past it, requests on that connection are refused as expired, as
 * kube-apiserver refuses them (which is what makes clients move to renewed certificates);
 * bearer tokens are remembered briefly, since verifying a signature on every request would
 * cost more than serving it.
 */
export function requestAuthenticator(opts: AuthenticatorOptions): Authenticator & { tokens: TokenAuthenticator } {
  const inner = createAuthenticator(opts);
  type CertOutcome = { user: UserUnion } | { error: string } | null;
  const bySocket = new WeakMap<object, { outcome: CertOutcome; until: number }>();
  const tokens = new Map<string, { at: number; outcome: Awaited<ReturnType<TokenAuthenticator['authenticateToken']>> }>();
  const certificateOf = async (req: Request, peer: TLSSocket | undefined) => {
    if (!peer) return null;
    // HTTP/2 hands each request a fresh proxy of the socket: the session is what stays.
    const connection: object = (req as { stream?: { session?: object } }).stream?.session ?? peer;
    const known = bySocket.get(connection);
    if (known && (opts.now?.() ?? new Date()).getTime() <= known.until) return known.outcome;
    const cert = peer.getPeerCertificate?.(true);
    let result: CertOutcome = null;
    let until = Infinity;
    if (cert && cert.raw) {
      const outcome = await inner.authenticateRequest({ peerCertificate: cert });
      result = 'error' in outcome ? { error: outcome.error } : { user: outcome.user };
      if ('user' in outcome) until = Date.parse(cert.valid_to);
    }
    bySocket.set(connection, { outcome: result, until });
    return result;
  };
  const token = async (value: string) => {
    const now = Date.now();
    const hit = tokens.get(value);
    if (hit && now - hit.at < TOKEN_CACHE_MS) return hit.outcome;
    const outcome = await inner.authenticateToken(value);
    if (tokens.size >= TOKEN_CACHE_ENTRIES) tokens.delete(tokens.keys().next().value!);
    tokens.set(value, { at: now, outcome });
    return outcome;
  };
  return {
    tokens: inner,
    async authenticate(req: Request, peer: TLSSocket | undefined) {
      const cert = await certificateOf(req, peer);
      if (cert && 'user' in cert) return cert.user;
      const bearer = bearerToken(req.headers.authorization);
      if (bearer !== undefined) {
        const outcome = await token(bearer);
        if (outcome.authenticated && outcome.user) return outcome.user;
        throw apiErrors.unauthorized();
      }
      if (cert) throw apiErrors.unauthorized();
      return undefined;
    },
  };
}

type UserUnion = Attributes['user'];
