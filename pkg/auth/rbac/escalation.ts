/**
 * Privilege-escalation prevention for writes of Roles, ClusterRoles and their bindings: a user
 * may only grant permissions they already hold, unless they are in system:masters, may
 * `escalate` the role (for role writes) or `bind` the referenced role (for binding writes).
 * The API server calls these before storing; a returned ApiError is the 403 to send.
 */
import type { KObject, UserInfo } from '../../api/types.ts';
import { apiErrors, type ApiError } from '../../apiserver/errors.ts';
import { SYSTEM_PRIVILEGED_GROUP } from './authorizer.ts';
import { goQuote, goQuoteList } from './gotext.ts';
import type { RuleResolver } from './resolver.ts';
import { compactRules, compactString, covers } from './rules.ts';
import { RBAC_GROUP, type AggregationRule, type Authorizer, type PolicyRule, type RoleRef } from './types.ts';

const FULL_AUTHORITY: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

export function escalationAllowed(user: UserInfo): boolean {
  return user.groups.includes(SYSTEM_PRIVILEGED_GROUP);
}

/**
 * Kubernetes' ConfirmNoEscalation: undefined when the user's own rules in `namespace` cover
 * `rules`, else the message listing what is missing.
 */
export function confirmNoEscalation(resolver: RuleResolver, user: UserInfo, namespace: string, rules: readonly PolicyRule[]): string | undefined {
  const owner = resolver.rulesFor(user, namespace);
  const { covered, missing } = covers(owner.rules, rules);
  if (covered) return undefined;
  const descriptions = [...new Set(compactRules(missing).map(compactString))].sort();
  let message = `user ${goQuote(user.username)} (groups=${goQuoteList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${descriptions.join('\n')}`;
  if (owner.error !== '') message += `; resolution errors: [${owner.error}]`;
  return message;
}

function hasAggregationRule(rule: AggregationRule | undefined): boolean {
  return (rule?.clusterRoleSelectors?.length ?? 0) > 0;
}

export interface RoleWrite {
  user: UserInfo;
  kind: 'Role' | 'ClusterRole';
  /** The role's namespace ('' for a ClusterRole). */
  namespace: string;
  name: string;
  /** The name in the request URL ('' on create), as the `escalate` check uses it. */
  requestName: string;
  rules: PolicyRule[];
  aggregationRule?: AggregationRule;
  /** On update: the stored object's aggregation rule; removing one needs full authority too. */
  oldAggregationRule?: AggregationRule;
}

/** The 403 for a Role/ClusterRole create or update that would escalate, or undefined to go ahead. */
export function checkRoleWrite(authorizer: Authorizer, resolver: RuleResolver, w: RoleWrite): ApiError | undefined {
  if (escalationAllowed(w.user)) return undefined;
  const resource = w.kind === 'Role' ? 'roles' : 'clusterroles';
  const escalate = authorizer.authorize({
    user: w.user,
    verb: 'escalate',
    resourceRequest: true,
    apiGroup: RBAC_GROUP,
    resource,
    namespace: w.namespace,
    name: w.requestName,
  });
  if (escalate.decision === 'allow') return undefined;
  const gr = { group: RBAC_GROUP, resource };
  const missing = confirmNoEscalation(resolver, w.user, w.namespace, w.rules);
  if (missing !== undefined) return forbidden(gr, w.name, missing);
  if (w.kind === 'ClusterRole' && (hasAggregationRule(w.aggregationRule) || hasAggregationRule(w.oldAggregationRule))) {
    // An aggregation rule can gather any permission, so only someone holding all may set it.
    if (confirmNoEscalation(resolver, w.user, w.namespace, FULL_AUTHORITY) !== undefined) {
      return forbidden(gr, w.name, 'must have cluster-admin privileges to use the aggregationRule');
    }
  }
  return undefined;
}

export interface BindingWrite {
  user: UserInfo;
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  /** The binding's namespace ('' for a ClusterRoleBinding). */
  namespace: string;
  name: string;
  roleRef: RoleRef;
}

/** The 403 for a RoleBinding/ClusterRoleBinding write granting what the user lacks, or undefined. */
export function checkBindingWrite(authorizer: Authorizer, resolver: RuleResolver, w: BindingWrite): ApiError | undefined {
  if (escalationAllowed(w.user)) return undefined;
  const gr = { group: RBAC_GROUP, resource: w.kind === 'RoleBinding' ? 'rolebindings' : 'clusterrolebindings' };
  const refResource = w.roleRef.kind === 'ClusterRole' ? 'clusterroles' : w.roleRef.kind === 'Role' ? 'roles' : undefined;
  if (refResource !== undefined) {
    const bind = authorizer.authorize({
      user: w.user,
      verb: 'bind',
      resourceRequest: true,
      apiGroup: w.roleRef.apiGroup,
      resource: refResource,
      namespace: w.namespace,
      name: w.roleRef.name,
    });
    if (bind.decision === 'allow') return undefined;
  }
  const resolved = resolver.getRoleReferenceRules(w.roleRef, w.namespace);
  if ('error' in resolved) return forbidden(gr, w.name, resolved.error);
  const missing = confirmNoEscalation(resolver, w.user, w.namespace, resolved.rules);
  return missing === undefined ? undefined : forbidden(gr, w.name, missing);
}

function forbidden(gr: { group: string; resource: string }, name: string, why: string): ApiError {
  const qualified = `${gr.resource}.${gr.group}`;
  const head = name === '' ? `${qualified} is forbidden` : `${qualified} ${goQuote(name)} is forbidden`;
  return apiErrors.forbidden(`${head}: ${why}`, gr, name);
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * Whether an update changes only ownerReferences and finalizers (what the garbage collector
 * writes); Kubernetes skips the escalation check for those so cleanup never gets stuck.
 */
export function onlyGarbageCollectionFieldsChanged(obj: KObject, old: KObject): boolean {
  const strip = (o: KObject): KObject => {
    const { ownerReferences: _o, finalizers: _f, resourceVersion: _r, managedFields: _m, ...meta } = o.metadata;
    return { ...o, metadata: meta };
  };
  return sameJson(strip(obj), strip(old));
}
