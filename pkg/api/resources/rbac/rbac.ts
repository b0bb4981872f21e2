/**
 * rbac.authorization.k8s.io/v1: Roles, ClusterRoles and their bindings, with the defaults and
 * validation of Kubernetes' pkg/apis/rbac. Privilege escalation checks belong to the authorizer,
 * not here.
 */
import type { FieldError, KObject, ResourceDefinition, Strategy } from '../../types.ts';
import { FieldPath, invalid, isDNS1123Subdomain, isValidPathSegmentName, jsonEqual, notSupported, required, validateLabelSelector, type LabelSelector } from '../../validation/index.ts';
import { STANDARD_VERBS } from '../common.ts';

const GROUP = 'rbac.authorization.k8s.io';

interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface Subject {
  kind?: string;
  apiGroup?: string;
  name?: string;
  namespace?: string;
}

const count = (list: unknown[] | undefined): number => list?.length ?? 0;

function validatePolicyRule(rule: PolicyRule, namespaced: boolean, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (count(rule.verbs) === 0) errs.push(required(path.child('verbs'), 'verbs must contain at least one value'));
  if (count(rule.nonResourceURLs) > 0) {
    if (namespaced) errs.push(invalid(path.child('nonResourceURLs'), rule.nonResourceURLs, 'namespaced rules cannot apply to non-resource URLs'));
    if (count(rule.apiGroups) > 0 || count(rule.resources) > 0 || count(rule.resourceNames) > 0) {
      errs.push(invalid(path.child('nonResourceURLs'), rule.nonResourceURLs, 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if (count(rule.apiGroups) === 0) errs.push(required(path.child('apiGroups'), 'resource rules must supply at least one api group'));
  if (count(rule.resources) === 0) errs.push(required(path.child('resources'), 'resource rules must supply at least one resource'));
  return errs;
}

function validateRules(obj: KObject, namespaced: boolean): FieldError[] {
  const rules: PolicyRule[] = obj.rules ?? [];
  return rules.flatMap((rule, i) => validatePolicyRule(rule, namespaced, FieldPath.root('rules').index(i)));
}

function validateClusterRole(obj: KObject): FieldError[] {
  const errs = validateRules(obj, false);
  const aggregation = obj.aggregationRule;
  if (aggregation) {
    const path = FieldPath.root('aggregationRule').child('clusterRoleSelectors');
    const selectors: unknown[] = aggregation.clusterRoleSelectors ?? [];
    if (selectors.length === 0) errs.push(required(path, 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
    selectors.forEach((s, i) => errs.push(...validateLabelSelector(s as LabelSelector, path.index(i))));
  }
  return errs;
}

function validateSubject(subject: Subject, namespaced: boolean, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const name = subject.name ?? '';
  if (name === '') errs.push(required(path.child('name')));
  switch (subject.kind) {
    case 'ServiceAccount':
      if (name !== '') for (const m of isDNS1123Subdomain(name)) errs.push(invalid(path.child('name'), name, m));
      if (subject.apiGroup) errs.push(notSupported(path.child('apiGroup'), subject.apiGroup, ['']));
      if (!namespaced && !subject.namespace) errs.push(required(path.child('namespace')));
      break;
    case 'User':
    case 'Group':
      if (subject.apiGroup !== GROUP) errs.push(notSupported(path.child('apiGroup'), subject.apiGroup ?? '', [GROUP]));
      break;
    default:
      errs.push(notSupported(path.child('kind'), subject.kind ?? '', ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

function validateBinding(obj: KObject, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const roleRef = obj.roleRef ?? {};
  const refPath = FieldPath.root('roleRef');
  if (roleRef.apiGroup !== GROUP) errs.push(notSupported(refPath.child('apiGroup'), roleRef.apiGroup ?? '', [GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(roleRef.kind)) errs.push(notSupported(refPath.child('kind'), roleRef.kind ?? '', kinds));
  const name: string = roleRef.name ?? '';
  if (name === '') errs.push(required(refPath.child('name')));
  else for (const m of isValidPathSegmentName(name)) errs.push(invalid(refPath.child('name'), name, m));
  const subjects: Subject[] = obj.subjects ?? [];
  subjects.forEach((s, i) => errs.push(...validateSubject(s, namespaced, FieldPath.root('subjects').index(i))));
  return errs;
}

function defaultBinding(obj: KObject): void {
  if (obj.roleRef && typeof obj.roleRef === 'object' && !obj.roleRef.apiGroup) obj.roleRef.apiGroup = GROUP;
  for (const subject of (obj.subjects ?? []) as Subject[]) {
    if (!subject.apiGroup && (subject.kind === 'User' || subject.kind === 'Group')) subject.apiGroup = GROUP;
  }
}

/** Bindings can never be pointed at another role: delete and recreate instead. */
function roleRefUnchanged(obj: KObject, old: KObject): FieldError[] {
  return jsonEqual(obj.roleRef, old.roleRef) ? [] : [invalid('roleRef', obj.roleRef, 'cannot change roleRef')];
}

const roleStrategy: Strategy = { nameRule: 'rbac', validate: (obj) => validateRules(obj, true), validateUpdate: (obj) => validateRules(obj, true) };

const clusterRoleStrategy: Strategy = { nameRule: 'rbac', validate: validateClusterRole, validateUpdate: validateClusterRole };

function bindingStrategy(namespaced: boolean): Strategy {
  return {
    nameRule: 'rbac',
    defaults: defaultBinding,
    validate: (obj) => validateBinding(obj, namespaced),
    validateUpdate: (obj, old) => [...validateBinding(obj, namespaced), ...roleRefUnchanged(obj, old)],
  };
}

function rbacResource(kind: string, plural: string, namespaced: boolean, strategy: Strategy): ResourceDefinition {
  return {
    group: GROUP,
    version: 'v1',
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    namespaced,
    verbs: STANDARD_VERBS,
    schema: `io.k8s.api.rbac.v1.${kind}`,
    strategy,
    storagePath: plural,
  };
}

export function rbacResources(): ResourceDefinition[] {
  return [
    rbacResource('ClusterRoleBinding', 'clusterrolebindings', false, bindingStrategy(false)),
    rbacResource('ClusterRole', 'clusterroles', false, clusterRoleStrategy),
    rbacResource('RoleBinding', 'rolebindings', true, bindingStrategy(true)),
    rbacResource('Role', 'roles', true, roleStrategy),
  ];
}
