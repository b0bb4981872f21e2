/** networking.k8s.io/v1 IngressClass: which controller implements a class of ingresses. */
import type { FieldError, KObject, ResourceDefinition, Strategy } from '../../types.ts';
import { FieldPath, forbidden, invalid, invalidEach, isDNS1123Subdomain, notSupported, regexError, required, tooLong, validateImmutableField } from '../../validation/index.ts';
import { STANDARD_VERBS, type Json } from '../common.ts';

const MAX_CONTROLLER_LENGTH = 250;
const HTTP_PATH_FMT = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+";

/** IsDomainPrefixedPath: `example.com/ingress-controller`. */
function validateDomainPrefixedPath(value: string, path: FieldPath): FieldError[] {
  if (value === '') return [required(path)];
  const slash = value.indexOf('/');
  const host = slash < 0 ? value : value.slice(0, slash);
  const rest = slash < 0 ? '' : value.slice(slash + 1);
  if (slash < 0 || host === '' || rest === '') return [invalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const errs = invalidEach(path, host, isDNS1123Subdomain(host));
  if (!new RegExp(`^${HTTP_PATH_FMT}$`).test(rest)) errs.push(invalid(path, rest, regexError('Invalid path', HTTP_PATH_FMT)));
  return errs;
}

function validateParameters(params: Json, path: FieldPath): FieldError[] {
  if (!params) return [];
  const errs: FieldError[] = [];
  for (const f of ['kind', 'name']) if (!params[f]) errs.push(required(path.child(f)));
  const scope = params.scope;
  if (!scope) errs.push(required(path.child('scope')));
  else if (scope !== 'Cluster' && scope !== 'Namespace') errs.push(notSupported(path.child('scope'), scope, ['Cluster', 'Namespace']));
  if (scope === 'Namespace' && !params.namespace) errs.push(required(path.child('namespace'), "`parameters.scope` is set to 'Namespace'"));
  if (scope === 'Cluster' && params.namespace) errs.push(forbidden(path.child('namespace'), "`parameters.scope` is set to 'Cluster'"));
  return errs;
}

function validate(obj: KObject): FieldError[] {
  const spec = obj.spec ?? {};
  const path = FieldPath.root('spec');
  const controller: string = spec.controller ?? '';
  const errs: FieldError[] = [];
  if (controller.length > MAX_CONTROLLER_LENGTH) errs.push(tooLong(path.child('controller'), MAX_CONTROLLER_LENGTH));
  errs.push(...validateDomainPrefixedPath(controller, path.child('controller')));
  errs.push(...validateParameters(spec.parameters, path.child('parameters')));
  return errs;
}

const strategy: Strategy = {
  defaults(obj) {
    const params = obj.spec?.parameters;
    if (params && typeof params === 'object' && !params.scope) params.scope = 'Cluster';
  },
  validate,
  validateUpdate: (obj, old) => [...validateImmutableField(obj.spec?.controller, old.spec?.controller, 'spec.controller'), ...validate(obj)],
};

export const ingressclasses: ResourceDefinition = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'IngressClass',
  listKind: 'IngressClassList',
  plural: 'ingressclasses',
  singular: 'ingressclass',
  namespaced: false,
  verbs: STANDARD_VERBS,
  schema: 'io.k8s.api.networking.v1.IngressClass',
  strategy,
  storagePath: 'ingressclasses',
};
