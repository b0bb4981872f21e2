/**
 * LimitRanges and ResourceQuotas: SetDefaults_LimitRangeItem, resource names and quantities,
 * the min ≤ defaultRequest ≤ default ≤ max ordering, quota scopes; quota status via /status.
 */
import type { FieldError, KObject, ResourceDefinition, Strategy, StrategyContext } from '../../types.ts';
import { FieldPath, type Quantity, compareQuantities, forbidden, formatQuantity, invalid, notSupported, required } from '../../validation/index.ts';
import { separateStatus } from '../common.ts';
import { coreDefinition } from './definition.ts';
import { canonicalizeResourceList, validateResourceList } from './resourcelist.ts';
import { list } from './shape.ts';

const LIMIT_FIELDS = ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'];
const LIMIT_TYPES = ['Container', 'PersistentVolumeClaim', 'Pod'];
const anyResource = (): boolean => true;

export function defaultLimitRange(lr: KObject): void {
  for (const item of list(lr.spec?.limits)) {
    for (const f of LIMIT_FIELDS) canonicalizeResourceList(item[f]);
    if (item.type !== 'Container') continue;
    item.default ??= {};
    item.defaultRequest ??= {};
    for (const [k, v] of Object.entries(item.max ?? {})) if (item.default[k] === undefined) item.default[k] = v;
    for (const [k, v] of Object.entries(item.default)) if (item.defaultRequest[k] === undefined) item.defaultRequest[k] = v;
    for (const [k, v] of Object.entries(item.min ?? {})) if (item.defaultRequest[k] === undefined) item.defaultRequest[k] = v;
  }
}

/** Kubernetes' order checks, each reported on the smaller-named field as Kubernetes does. */
const ORDER: [string, string, string, (a: string, b: string) => string][] = [
  ['min', 'max', 'min', (a, b) => `min value ${a} is greater than max value ${b}`],
  ['min', 'defaultRequest', 'defaultRequest', (a, b) => `min value ${a} is greater than default request value ${b}`],
  ['defaultRequest', 'max', 'defaultRequest', (a, b) => `default request value ${a} is greater than max value ${b}`],
  ['defaultRequest', 'default', 'defaultRequest', (a, b) => `default request value ${a} is greater than default limit value ${b}`],
  ['min', 'default', 'default', (a, b) => `min value ${a} is greater than default value ${b}`],
  ['default', 'max', 'default', (a, b) => `default value ${a} is greater than max value ${b}`],
];

function validateLimitRange(lr: KObject): FieldError[] {
  const errs: FieldError[] = [];
  list(lr.spec?.limits).forEach((item, i) => {
    const p = FieldPath.root('spec').child('limits').index(i);
    if (!LIMIT_TYPES.includes(item.type)) errs.push(notSupported(p.child('type'), item.type ?? '', LIMIT_TYPES));
    const values = new Map<string, Map<string, Quantity>>();
    for (const f of LIMIT_FIELDS) {
      const r = validateResourceList(item[f], p.child(f), anyResource);
      errs.push(...r.errors);
      values.set(f, r.values);
    }
    if (item.type === 'Pod') {
      if (Object.keys(item.default ?? {}).length) errs.push(forbidden(p.child('default'), "may not be specified when `type` is 'Pod'"));
      if (Object.keys(item.defaultRequest ?? {}).length) errs.push(forbidden(p.child('defaultRequest'), "may not be specified when `type` is 'Pod'"));
    }
    for (const [lo, hi, at, message] of ORDER) {
      for (const [name, low] of values.get(lo)!) {
        const high = values.get(hi)!.get(name);
        if (!high || compareQuantities(low, high) <= 0) continue;
        const shown = at === lo ? low : high;
        errs.push(invalid(p.child(at).key(name), formatQuantity(shown), message(formatQuantity(low), formatQuantity(high))));
      }
    }
  });
  return errs;
}

export function limitRangeResource(): ResourceDefinition {
  const strategy: Strategy = { defaults: defaultLimitRange, validate: validateLimitRange, validateUpdate: validateLimitRange };
  return coreDefinition({ kind: 'LimitRange', plural: 'limitranges', namespaced: true, shortNames: ['limits'], strategy });
}

const QUOTA_SCOPES = ['BestEffort', 'CrossNamespacePodAffinity', 'NotBestEffort', 'NotTerminating', 'PriorityClass', 'Terminating', 'VolumeAttributesClass'];

const STANDARD_QUOTA_RESOURCES = new Set([
  'pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps', 'persistentvolumeclaims',
  'services.nodeports', 'services.loadbalancers', 'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory',
  'requests.storage', 'requests.ephemeral-storage', 'limits.cpu', 'limits.memory', 'limits.ephemeral-storage',
]);
const isStandardQuotaResource = (name: string): boolean =>
  STANDARD_QUOTA_RESOURCES.has(name) || name.startsWith('hugepages-') || name.startsWith('requests.hugepages-');

function validateQuota(quota: KObject): FieldError[] {
  const spec = quota.spec ?? {};
  const hard = (path: FieldPath, list: unknown): FieldError[] => validateResourceList(list, path, isStandardQuotaResource, 'for quota').errors;
  const errs = hard(FieldPath.root('spec').child('hard'), spec.hard);
  for (const field of ['hard', 'used']) errs.push(...hard(FieldPath.root('status').child(field), quota.status?.[field]));
  list(spec.scopes).forEach((scope) => {
    if (!QUOTA_SCOPES.includes(scope)) errs.push(notSupported('spec.scopes', scope, QUOTA_SCOPES));
  });
  list(spec.scopeSelector?.matchExpressions).forEach((req, i) => {
    const p = FieldPath.root('spec').child('scopeSelector', 'matchExpressions').index(i);
    if (!QUOTA_SCOPES.includes(req.scopeName)) errs.push(notSupported(p.child('scopeName'), req.scopeName ?? '', QUOTA_SCOPES));
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(req.operator)) errs.push(invalid(p.child('operator'), req.operator ?? '', 'not a valid selector operator'));
    if (['In', 'NotIn'].includes(req.operator) && list(req.values).length === 0) {
      errs.push(required(p.child('values'), 'must be at least one value when `operator` is \'In\' or \'NotIn\' for scope selector'));
    }
  });
  return errs;
}

function canonicalizeQuota(quota: KObject): void {
  canonicalizeResourceList(quota.spec?.hard, false);
  canonicalizeResourceList(quota.status?.hard, false);
  canonicalizeResourceList(quota.status?.used, false);
}

export const resourceQuotaStrategy: Strategy = {
  defaults: canonicalizeQuota,
  prepareForCreate(quota: KObject) {
    quota.status = {};
  },
  prepareForUpdate: (quota: KObject, old: KObject, ctx: StrategyContext) => separateStatus(quota, old, ctx),
  validate: validateQuota,
  validateUpdate: validateQuota,
};

export function resourceQuotaResource(): ResourceDefinition {
  return coreDefinition({
    kind: 'ResourceQuota',
    plural: 'resourcequotas',
    namespaced: true,
    shortNames: ['quota'],
    subresources: ['status'],
    strategy: resourceQuotaStrategy,
  });
}
