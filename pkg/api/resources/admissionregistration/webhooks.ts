/**
 * admissionregistration.k8s.io/v1 Validating- and MutatingWebhookConfigurations: stored with
 * Kubernetes' defaults and validation; calling the webhooks is not part of tsk yet.
 */
import type { FieldError, KObject, ResourceDefinition, Strategy } from '../../types.ts';
import { duplicate, FieldPath, invalid, invalidEach, isDNS1123Subdomain, notSupported, required, validateLabelSelector } from '../../validation/index.ts';
import { STANDARD_VERBS, type Json } from '../common.ts';

const SIDE_EFFECTS = ['None', 'NoneOnDryRun'];
const REVIEW_VERSIONS = ['v1', 'v1beta1'];
const OPERATIONS = ['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE'];
const SCOPES = ['*', 'Cluster', 'Namespaced'];

function defaultWebhook(hook: Json, mutating: boolean): void {
  hook.failurePolicy ??= 'Fail';
  hook.matchPolicy ??= 'Equivalent';
  hook.namespaceSelector ??= {};
  hook.objectSelector ??= {};
  hook.timeoutSeconds ??= 10;
  if (mutating) hook.reinvocationPolicy ??= 'Never';
  for (const rule of (hook.rules ?? []) as Json[]) if (rule && typeof rule === 'object') rule.scope ??= '*';
  const service = hook.clientConfig?.service;
  if (service && typeof service === 'object') service.port ??= 443;
}

/** Webhook names are fully qualified: at least three dot-separated DNS labels. */
function validateName(name: string, path: FieldPath): FieldError[] {
  if (name === '') return [required(path)];
  const errs = invalidEach(path, name, isDNS1123Subdomain(name));
  if (name.split('.').length < 3) errs.push(invalid(path, name, 'should be a domain with at least three segments separated by dots'));
  return errs;
}

function validateClientConfig(config: Json, path: FieldPath): FieldError[] {
  const hasURL = typeof config?.url === 'string';
  const hasService = !!config?.service;
  if (hasURL === hasService) return [required(path, 'exactly one of url or service is required')];
  if (hasService) {
    const sp = path.child('service');
    const errs: FieldError[] = [];
    if (!config.service.namespace) errs.push(required(sp.child('namespace'), 'service namespace is required'));
    if (!config.service.name) errs.push(required(sp.child('name'), 'service name is required'));
    const port = config.service.port;
    if (typeof port === 'number' && (port < 1 || port > 65535)) errs.push(invalid(sp.child('port'), port, 'port is not valid: must be between 1 and 65535, inclusive'));
    return errs;
  }
  let url: URL;
  try {
    url = new URL(config.url);
  } catch {
    return [invalid(path.child('url'), config.url, 'host must be specified')];
  }
  if (url.protocol !== 'https:') return [invalid(path.child('url'), config.url, "'https' is the only allowed URL scheme")];
  return [];
}

function validateRules(rules: Json[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  rules.forEach((rule, i) => {
    const rp = path.index(i);
    for (const f of ['operations', 'apiGroups', 'apiVersions', 'resources']) if ((rule?.[f] ?? []).length === 0) errs.push(required(rp.child(f)));
    ((rule?.operations ?? []) as string[]).forEach((op, j) => {
      if (!OPERATIONS.includes(op)) errs.push(notSupported(rp.child('operations').index(j), op, OPERATIONS));
    });
    if (rule?.scope !== undefined && !SCOPES.includes(rule.scope)) errs.push(notSupported(rp.child('scope'), rule.scope, SCOPES));
  });
  return errs;
}

function validateWebhook(hook: Json, path: FieldPath, mutating: boolean): FieldError[] {
  const errs = validateName(hook?.name ?? '', path.child('name'));
  errs.push(...validateRules(hook?.rules ?? [], path.child('rules')));
  const checks: [string, string[]][] = [
    ['failurePolicy', ['Fail', 'Ignore']],
    ['matchPolicy', ['Equivalent', 'Exact']],
    ...(mutating ? ([['reinvocationPolicy', ['IfNeeded', 'Never']]] as [string, string[]][]) : []),
  ];
  for (const [field, supported] of checks) {
    if (hook?.[field] !== undefined && !supported.includes(hook[field])) errs.push(notSupported(path.child(field), hook[field], supported));
  }
  if (!hook?.sideEffects) errs.push(required(path.child('sideEffects'), `must specify one of ${SIDE_EFFECTS.join(', ')}`));
  else if (!SIDE_EFFECTS.includes(hook.sideEffects)) errs.push(notSupported(path.child('sideEffects'), hook.sideEffects, SIDE_EFFECTS));
  const timeout = hook?.timeoutSeconds;
  if (typeof timeout === 'number' && (timeout < 1 || timeout > 30)) errs.push(invalid(path.child('timeoutSeconds'), timeout, 'the timeout value must be between 1 and 30 seconds'));
  const versions: string[] = hook?.admissionReviewVersions ?? [];
  if (versions.length === 0) errs.push(required(path.child('admissionReviewVersions'), `must specify one of ${REVIEW_VERSIONS.join(', ')}`));
  else if (!versions.some((v) => REVIEW_VERSIONS.includes(v))) {
    errs.push(invalid(path.child('admissionReviewVersions'), versions, `must include at least one of ${REVIEW_VERSIONS.join(', ')}`));
  }
  errs.push(...validateLabelSelector(hook?.namespaceSelector, path.child('namespaceSelector')));
  errs.push(...validateLabelSelector(hook?.objectSelector, path.child('objectSelector')));
  errs.push(...validateClientConfig(hook?.clientConfig, path.child('clientConfig')));
  return errs;
}

function webhookStrategy(mutating: boolean): Strategy {
  const validate = (obj: KObject): FieldError[] => {
    const errs: FieldError[] = [];
    const names = new Set<string>();
    ((obj.webhooks ?? []) as Json[]).forEach((hook, i) => {
      const path = FieldPath.root('webhooks').index(i);
      errs.push(...validateWebhook(hook, path, mutating));
      if (names.has(hook?.name)) errs.push(duplicate(path.child('name'), hook.name));
      names.add(hook?.name);
    });
    return errs;
  };
  return {
    defaults(obj) {
      for (const hook of (obj.webhooks ?? []) as Json[]) if (hook && typeof hook === 'object') defaultWebhook(hook, mutating);
    },
    validate,
    validateUpdate: validate,
  };
}

function webhookResource(kind: string, plural: string, mutating: boolean): ResourceDefinition {
  return {
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    namespaced: false,
    categories: ['api-extensions'],
    verbs: STANDARD_VERBS,
    schema: `io.k8s.api.admissionregistration.v1.${kind}`,
    strategy: webhookStrategy(mutating),
    storagePath: plural,
  };
}

export function admissionRegistrationResources(): ResourceDefinition[] {
  return [
    webhookResource('MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', true),
    webhookResource('ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false),
  ];
}
