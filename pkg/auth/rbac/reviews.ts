/**
 * The authorization.k8s.io reviews, answered from the same authorizer that guards requests:
 * SubjectAccessReview (any user), SelfSubjectAccessReview (`kubectl auth can-i`),
 * LocalSubjectAccessReview (one namespace) and SelfSubjectRulesReview (`can-i --list`).
 * Each takes the decoded request and returns it with its status filled in.
 */
import type { FieldError, KObject, UserInfo } from '../../api/types.ts';
import { apiErrors } from '../../apiserver/errors.ts';
import type { ClusterAuthorizer } from './chain.ts';
import type { Attributes, Authorizer } from './types.ts';

export const AUTHORIZATION_GROUP = 'authorization.k8s.io';
const GROUP_VERSION = `${AUTHORIZATION_GROUP}/v1`;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function specErrors(spec: Record<string, unknown>, needSubject: boolean): FieldError[] {
  const errors: FieldError[] = [];
  const resource = spec.resourceAttributes;
  const nonResource = spec.nonResourceAttributes;
  if (resource && nonResource) {
    errors.push({ type: 'FieldValueInvalid', field: 'spec.nonResourceAttributes', badValue: nonResource, detail: 'cannot be specified in combination with resourceAttributes' });
  }
  if (!resource && !nonResource) {
    errors.push({ type: 'FieldValueInvalid', field: 'spec.resourceAttributes', badValue: null, detail: 'exactly one of nonResourceAttributes or resourceAttributes must be specified' });
  }
  const groups = Array.isArray(spec.groups) ? spec.groups : [];
  if (needSubject && str(spec.user) === '' && groups.length === 0) {
    errors.push({ type: 'FieldValueInvalid', field: 'spec.user', badValue: str(spec.user), detail: 'at least one of user or group must be specified' });
  }
  return errors;
}

function attributesOf(spec: Record<string, unknown>, user: UserInfo): Attributes {
  const r = spec.resourceAttributes as Record<string, unknown> | undefined;
  if (r) {
    return {
      user,
      verb: str(r.verb),
      resourceRequest: true,
      apiGroup: str(r.group),
      apiVersion: str(r.version),
      resource: str(r.resource),
      subresource: str(r.subresource),
      namespace: str(r.namespace),
      name: str(r.name),
    };
  }
  const n = (spec.nonResourceAttributes ?? {}) as Record<string, unknown>;
  return { user, verb: str(n.verb), resourceRequest: false, path: str(n.path) };
}

function answer(review: KObject, kind: string, authorizer: Authorizer, attrs: Attributes): KObject {
  const result = authorizer.authorize(attrs);
  const status: Record<string, unknown> = { allowed: result.decision === 'allow' };
  if (result.decision === 'deny') status.denied = true;
  if (result.reason !== '') status.reason = result.reason;
  return { ...review, apiVersion: GROUP_VERSION, kind, metadata: { ...(review.metadata ?? {}) }, status };
}

function rejectInvalid(kind: string, errors: FieldError[]): void {
  if (errors.length > 0) throw apiErrors.invalid(kind, AUTHORIZATION_GROUP, '', errors);
}

/** SubjectAccessReview: may spec.user (with spec.groups, extra, uid) do this? */
export function subjectAccessReview(review: KObject, authorizer: Authorizer): KObject {
  const spec = (review.spec ?? {}) as Record<string, unknown>;
  rejectInvalid('SubjectAccessReview', specErrors(spec, true));
  const user: UserInfo = {
    username: str(spec.user),
    groups: Array.isArray(spec.groups) ? spec.groups.filter((g): g is string => typeof g === 'string') : [],
  };
  if (str(spec.uid) !== '') user.uid = str(spec.uid);
  if (spec.extra && typeof spec.extra === 'object') user.extra = spec.extra as Record<string, string[]>;
  return answer(review, 'SubjectAccessReview', authorizer, attributesOf(spec, user));
}

/** SelfSubjectAccessReview: may the requesting user do this? */
export function selfSubjectAccessReview(review: KObject, user: UserInfo, authorizer: Authorizer): KObject {
  const spec = (review.spec ?? {}) as Record<string, unknown>;
  rejectInvalid('SelfSubjectAccessReview', specErrors(spec, false));
  return answer(review, 'SelfSubjectAccessReview', authorizer, attributesOf(spec, user));
}

/** LocalSubjectAccessReview in `namespace` (from the URL): resource attributes of that namespace only. */
export function localSubjectAccessReview(review: KObject, namespace: string, authorizer: Authorizer): KObject {
  if (namespace === '') throw apiErrors.badRequest('namespace is required on this type: ');
  const spec = (review.spec ?? {}) as Record<string, unknown>;
  const errors = specErrors(spec, true);
  const resource = spec.resourceAttributes as Record<string, unknown> | undefined;
  if (resource && str(resource.namespace) !== namespace) {
    errors.push({ type: 'FieldValueInvalid', field: 'spec.resourceAttributes.namespace', badValue: str(resource.namespace), detail: 'must match metadata.namespace' });
  }
  if (spec.nonResourceAttributes) {
    errors.push({ type: 'FieldValueInvalid', field: 'spec.nonResourceAttributes', badValue: spec.nonResourceAttributes, detail: 'disallowed on this kind of request' });
  }
  rejectInvalid('LocalSubjectAccessReview', errors);
  const reviewed = subjectAccessReview({ ...review, spec }, authorizer);
  return { ...reviewed, kind: 'LocalSubjectAccessReview', metadata: { ...(review.metadata ?? {}), namespace } };
}

/** SelfSubjectRulesReview: everything the requesting user may do in spec.namespace. */
export function selfSubjectRulesReview(review: KObject, user: UserInfo, authorizer: Pick<ClusterAuthorizer, 'rulesFor'>): KObject {
  const namespace = str(review.spec?.namespace);
  if (namespace === '') throw apiErrors.badRequest('no namespace on request');
  const report = authorizer.rulesFor(user, namespace);
  const status: Record<string, unknown> = {
    resourceRules: report.resourceRules,
    nonResourceRules: report.nonResourceRules,
    incomplete: report.incomplete,
  };
  if (report.evaluationError !== '') status.evaluationError = report.evaluationError;
  return { ...review, apiVersion: GROUP_VERSION, kind: 'SelfSubjectRulesReview', metadata: { ...(review.metadata ?? {}) }, status };
}
