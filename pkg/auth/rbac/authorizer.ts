/**
 * The authorizer chain of a kube-apiserver run with `--authorization-mode=Node,RBAC`: members of
 * system:masters may do anything, then each authorizer in turn until one allows or denies. The
 * Forbidden text kubectl prints is built here from the attributes and the chain's reason.
 */
import { ApiError, apiErrors } from '../../apiserver/errors.ts';
import { aggregateMessage, goQuote } from './gotext.ts';
import { RuleResolver, type RbacLister } from './resolver.ts';
import { ruleAllows } from './rules.ts';
import type { Attributes, AuthorizationResult, Authorizer } from './types.ts';

export const SYSTEM_PRIVILEGED_GROUP = 'system:masters';

/** system:masters is allowed everything, without a reason (Kubernetes' privileged-group authorizer). */
export const privilegedGroupAuthorizer: Authorizer = {
  authorize: (attrs) =>
    attrs.user.groups.includes(SYSTEM_PRIVILEGED_GROUP) ? { decision: 'allow', reason: '' } : { decision: 'no-opinion', reason: '' },
};

export class RbacAuthorizer implements Authorizer {
  readonly resolver: RuleResolver;

  constructor(lister: RbacLister) {
    this.resolver = new RuleResolver(lister);
  }

  authorize(attrs: Attributes): AuthorizationResult {
    let allowedBy: string | undefined;
    const errors: string[] = [];
    this.resolver.visitRulesFor(attrs.user, attrs.namespace ?? '', (source, rule, error) => {
      if (rule && ruleAllows(attrs, rule)) {
        allowedBy = source;
        return false;
      }
      if (error !== undefined) errors.push(error);
      return true;
    });
    if (allowedBy !== undefined) return { decision: 'allow', reason: `RBAC: allowed by ${allowedBy}` };
    return { decision: 'no-opinion', reason: errors.length > 0 ? `RBAC: ${aggregateMessage(errors)}` : '' };
  }
}

/** Asks each authorizer in order; the first allow or deny wins, else no-opinion with the reasons joined. */
export function unionAuthorizer(authorizers: readonly Authorizer[]): Authorizer {
  return {
    authorize(attrs) {
      const reasons: string[] = [];
      for (const a of authorizers) {
        const result = a.authorize(attrs);
        if (result.decision !== 'no-opinion') return result;
        if (result.reason !== '') reasons.push(result.reason);
      }
      return { decision: 'no-opinion', reason: reasons.join('\n') };
    },
  };
}

/**
 * `User "bob" cannot list resource "pods" in API group "" in the namespace "default"`, the
 * cluster-scope and non-resource (`cannot get path "/metrics"`) variants.
 */
export function forbiddenMessage(attrs: Attributes): string {
  const user = goQuote(attrs.user.username);
  if (!attrs.resourceRequest) return `User ${user} cannot ${attrs.verb} path ${goQuote(attrs.path ?? '')}`;
  const resource = attrs.subresource ? `${attrs.resource ?? ''}/${attrs.subresource}` : (attrs.resource ?? '');
  const head = `User ${user} cannot ${attrs.verb} resource ${goQuote(resource)} in API group ${goQuote(attrs.apiGroup ?? '')}`;
  return attrs.namespace ? `${head} in the namespace ${goQuote(attrs.namespace)}` : `${head} at the cluster scope`;
}

/**
 * The 403 a denied request gets: `pods "web" is forbidden: User ...: <reason>`, or
 * `forbidden: User ... cannot get path "/x"` for non-resource requests.
 */
export function forbiddenError(attrs: Attributes, reason: string): ApiError {
  const why = reason === '' ? forbiddenMessage(attrs) : `${forbiddenMessage(attrs)}: ${reason}`;
  const resource = attrs.resourceRequest ? (attrs.resource ?? '') : '';
  const group = attrs.resourceRequest ? (attrs.apiGroup ?? '') : '';
  if (resource === '' && group === '') return apiErrors.forbidden(`forbidden: ${why}`);
  const qualified = group === '' ? resource : `${resource}.${group}`;
  const name = attrs.name ?? '';
  const message = name === '' ? `${qualified} is forbidden: ${why}` : `${qualified} ${goQuote(name)} is forbidden: ${why}`;
  return apiErrors.forbidden(message, { group, resource }, name);
}
