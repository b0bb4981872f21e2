/**
 * The review kinds of authentication.k8s.io/v1 and authorization.k8s.io/v1: created, answered
 * by dedicated handlers, never stored. Their spec checks are Kubernetes' (authorization
 * validation); answering them is the authorizer's and authenticator's.
 */
import type { FieldError, KObject, ResourceDefinition, Strategy } from '../../types.ts';
import { FieldPath, invalid, required } from '../../validation/index.ts';
import { CREATE_ONLY, type Json } from '../common.ts';

const isEmptyValue = (v: unknown): boolean =>
  v === undefined || v === null || v === '' || v === 0 || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && Object.keys(v as object).length === 0);

/** Reviews carry no metadata (managedFields aside; namespace too for local reviews). */
function metadataEmpty(obj: KObject, allowed: string[]): boolean {
  return Object.entries(obj.metadata ?? {}).every(([k, v]) => k === 'managedFields' || allowed.includes(k) || isEmptyValue(v));
}

function validateSelectorAttributes(selector: Json, path: FieldPath): FieldError[] {
  if (!selector) return [];
  const errs: FieldError[] = [];
  const raw = selector.rawSelector ?? '';
  const requirements: Json[] = selector.requirements ?? [];
  if (raw !== '' && requirements.length > 0) errs.push(invalid(path.child('rawSelector'), raw, 'may not specified at the same time as requirements'));
  if (raw === '' && requirements.length === 0) errs.push(required(path.child('requirements'), `when ${path} is specified, requirements or rawSelector is required`));
  requirements.forEach((r, i) => {
    if (!r?.key) errs.push(required(path.child('requirements').index(i).child('key')));
  });
  return errs;
}

function validateResourceAttributes(attributes: Json): FieldError[] {
  if (!attributes) return [];
  const path = FieldPath.root('spec.resourceAttributes');
  return [...validateSelectorAttributes(attributes.fieldSelector, path.child('fieldSelector')), ...validateSelectorAttributes(attributes.labelSelector, path.child('labelSelector'))];
}

function validateAttributes(spec: Json): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.resourceAttributes && spec.nonResourceAttributes) {
    errs.push(invalid('spec.nonResourceAttributes', spec.nonResourceAttributes, 'cannot be specified in combination with resourceAttributes'));
  }
  if (!spec.resourceAttributes && !spec.nonResourceAttributes) {
    errs.push(invalid('spec.resourceAttributes', spec.nonResourceAttributes ?? null, 'exactly one of nonResourceAttributes or resourceAttributes must be specified'));
  }
  return errs;
}

function validateSubjectAccessReviewSpec(spec: Json): FieldError[] {
  const errs = validateAttributes(spec);
  if (!spec.user && (spec.groups ?? []).length === 0) errs.push(invalid('spec.user', spec.user ?? '', 'at least one of user or group must be specified'));
  return [...errs, ...validateResourceAttributes(spec.resourceAttributes)];
}

const mustBeEmpty = (obj: KObject, allowed: string[] = [], detail = 'must be empty'): FieldError[] =>
  metadataEmpty(obj, allowed) ? [] : [invalid('metadata', obj.metadata, detail)];

const subjectAccessReview: Strategy = {
  validate: (obj) => [...validateSubjectAccessReviewSpec(obj.spec ?? {}), ...mustBeEmpty(obj)],
};

const selfSubjectAccessReview: Strategy = {
  validate: (obj) => [...validateAttributes(obj.spec ?? {}), ...validateResourceAttributes(obj.spec?.resourceAttributes), ...mustBeEmpty(obj)],
};

const localSubjectAccessReview: Strategy = {
  validate(obj) {
    const spec = obj.spec ?? {};
    const errs = [...validateSubjectAccessReviewSpec(spec), ...mustBeEmpty(obj, ['namespace'], 'must be empty except for namespace')];
    const namespace = obj.metadata.namespace ?? '';
    if (spec.resourceAttributes && (spec.resourceAttributes.namespace ?? '') !== namespace) {
      errs.push(invalid('spec.resourceAttributes.namespace', spec.resourceAttributes.namespace ?? '', 'must match metadata.namespace'));
    }
    if (spec.nonResourceAttributes) errs.push(invalid('spec.nonResourceAttributes', spec.nonResourceAttributes, 'disallowed on this kind of request'));
    return errs;
  },
};

const selfSubjectRulesReview: Strategy = { validate: (obj) => mustBeEmpty(obj) };

/** TokenReview without a token is a 400 from its handler in Kubernetes, not a field error. */
const noChecks: Strategy = {};

function review(group: string, kind: string, plural: string, namespaced: boolean, strategy: Strategy): ResourceDefinition {
  const version = 'v1';
  const pkg = group.split('.')[0];
  return {
    group,
    version,
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    namespaced,
    verbs: CREATE_ONLY,
    schema: `io.k8s.api.${pkg}.${version}.${kind}`,
    strategy,
    storagePath: plural,
    virtual: true,
  };
}

export function reviewResources(): ResourceDefinition[] {
  const authn = 'authentication.k8s.io';
  const authz = 'authorization.k8s.io';
  return [
    review(authn, 'SelfSubjectReview', 'selfsubjectreviews', false, noChecks),
    review(authn, 'TokenReview', 'tokenreviews', false, noChecks),
    review(authz, 'LocalSubjectAccessReview', 'localsubjectaccessreviews', true, localSubjectAccessReview),
    review(authz, 'SelfSubjectAccessReview', 'selfsubjectaccessreviews', false, selfSubjectAccessReview),
    review(authz, 'SelfSubjectRulesReview', 'selfsubjectrulesreviews', false, selfSubjectRulesReview),
    review(authz, 'SubjectAccessReview', 'subjectaccessreviews', false, subjectAccessReview),
  ];
}
