/**
 * Authentication and authorization for the API server, fed from the watch cache: client
 * certificates of the client CA, bearer tokens (service-account JWTs, bootstrap tokens, the
 * node token), then system:masters → RBAC, as kube-apiserver with --authorization-mode=RBAC.
 */
import type { TLSSocket } from 'node:tls';
import type { ResourceTable } from '../api/registry.ts';
import type { KObject } from '../api/types.ts';
import { createAuthenticator, type Authenticator as TokenAuthenticator, type AuthenticatorOptions } from '../auth/authn/authenticator.ts';
import { aggregatedRules } from '../auth/rbac/aggregation.ts';
import { forbiddenError, privilegedGroupAuthorizer, RbacAuthorizer, unionAuthorizer } from '../auth/rbac/authorizer.ts';
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

/** RBAC objects straight from the cache; aggregated ClusterRoles get their rules from the roles they select. */
export function rbacLister(cache: WatchCache, table: ResourceTable): RbacLister {
  const roles = cacheReader(cache, table, 'rbac.authorization.k8s.io', 'roles');
  const roleBindings = cacheReader(cache, table, 'rbac.authorization.k8s.io', 'rolebindings');
  const clusterRoles = cacheReader(cache, table, 'rbac.authorization.k8s.io', 'clusterroles');
  const clusterRoleBindings = cacheReader(cache, table, 'rbac.authorization.k8s.io', 'clusterrolebindings');
  return {
    getRole: (ns, name) => roles.get(ns, name) as Role | undefined,
    listRoleBindings: (ns) => [...roleBindings.list(ns)] as RoleBinding[],
    getClusterRole: (name) => {
      const role = clusterRoles.get('', name) as ClusterRole | undefined;
      if (!role?.aggregationRule) return role;
      const rules = aggregatedRules(role, [...clusterRoles.list()] as ClusterRole[]);
      return rules ? { ...role, rules } : role;
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

export function createAuthorizer(cache: WatchCache, table: ResourceTable): Authorizer & { rbac: RbacAuthorizer } {
  const rbac = new RbacAuthorizer(rbacLister(cache, table));
  const chain = unionAuthorizer([privilegedGroupAuthorizer, rbac]);
  return {
    rbac,
    authorize(user, info) {
      const attrs = attributesOf(user, info);
      const result = chain.authorize(attrs);
      return result.decision === 'allow' ? undefined : forbiddenError(attrs, result.reason);
    },
  };
}

/** Adapts the token/certificate authenticator to the HTTP server: 401 for failed credentials. */
export function requestAuthenticator(opts: AuthenticatorOptions): Authenticator & { tokens: TokenAuthenticator } {
  const inner = createAuthenticator(opts);
  return {
    tokens: inner,
    async authenticate(req: Request, peer: TLSSocket | undefined) {
      const cert = peer?.getPeerCertificate?.(true);
      const outcome = await inner.authenticateRequest({
        peerCertificate: cert && cert.raw ? cert : undefined,
        authorization: req.headers.authorization,
      });
      if ('error' in outcome) throw apiErrors.unauthorized();
      return outcome.user.username === 'system:anonymous' ? undefined : outcome.user;
    },
  };
}
