/**
 * autoscaling/v2 HorizontalPodAutoscaler, the stored version: SetDefaults_HorizontalPodAutoscaler
 * (CPU at 80% when no metric is given, scaling behaviour filled in when present) and
 * ValidateHorizontalPodAutoscaler.
 */
import type { FieldError, KObject, ResourceDefinition, Strategy } from '../../types.ts';
import {
  FieldPath,
  forbidden,
  invalid,
  invalidEach,
  isValidPathSegmentName,
  notSupported,
  required,
  tryParseQuantity,
} from '../../validation/index.ts';
import { ensureObject, separateStatus, STANDARD_VERBS, type Json } from '../common.ts';

export const DEFAULT_CPU_UTILIZATION = 80;

export const cpuUtilizationMetric = (utilization: number): Json => ({
  type: 'Resource',
  resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: utilization } },
});

const SCALE_UP_DEFAULT = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
};
const SCALE_DOWN_DEFAULT = { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] };

function fillRules(rules: Json, defaults: Json): Json {
  if (!rules) return structuredClone(defaults);
  for (const [k, v] of Object.entries(defaults)) if (rules[k] === undefined || rules[k] === null) rules[k] = structuredClone(v);
  return rules;
}

function defaults(obj: KObject): void {
  const spec = ensureObject(obj, 'spec') as Json;
  spec.minReplicas ??= 1;
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) spec.metrics = [cpuUtilizationMetric(DEFAULT_CPU_UTILIZATION)];
  if (spec.behavior) {
    spec.behavior.scaleUp = fillRules(spec.behavior.scaleUp, SCALE_UP_DEFAULT);
    spec.behavior.scaleDown = fillRules(spec.behavior.scaleDown, SCALE_DOWN_DEFAULT);
  }
}

export function validateCrossVersionObjectReference(ref: Json, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['kind', 'name']) {
    const value = ref?.[f] ?? '';
    if (value === '') errs.push(required(path.child(f)));
    else errs.push(...invalidEach(path.child(f), value, isValidPathSegmentName(value)));
  }
  return errs;
}

const isPositive = (q: unknown): boolean => (tryParseQuantity(q)?.nanos ?? 0n) > 0n;
const present = (v: unknown): boolean => v !== undefined && v !== null;

function validateTarget(target: Json, path: FieldPath): FieldError[] {
  const t = target ?? {};
  const errs: FieldError[] = [];
  if (!t.type) errs.push(required(path.child('type'), 'must specify a metric target type'));
  if (!['Utilization', 'Value', 'AverageValue'].includes(t.type)) errs.push(invalid(path.child('type'), t.type ?? '', 'must be either Utilization, Value, or AverageValue'));
  if (present(t.value) && !isPositive(t.value)) errs.push(invalid(path.child('value'), t.value, 'must be positive'));
  if (present(t.averageValue) && !isPositive(t.averageValue)) errs.push(invalid(path.child('averageValue'), t.averageValue, 'must be positive'));
  if (present(t.averageUtilization) && t.averageUtilization < 1) errs.push(invalid(path.child('averageUtilization'), t.averageUtilization, 'must be greater than 0'));
  return errs;
}

function validateMetricIdentifier(metric: Json, path: FieldPath): FieldError[] {
  const name = metric?.name ?? '';
  if (name === '') return [required(path.child('name'), 'must specify a metric name')];
  return invalidEach(path.child('name'), name, isValidPathSegmentName(name));
}

/** Each source kind and what its target must carry. */
function validateSource(kind: string, src: Json, path: FieldPath): FieldError[] {
  const target = src.target ?? {};
  const targetPath = path.child('target');
  const errs: FieldError[] = [];
  if (kind === 'resource' || kind === 'containerResource') {
    if (!src.name) errs.push(required(path.child('name'), 'must specify a resource name'));
    if (kind === 'containerResource' && !src.container) errs.push(required(path.child('container'), 'must specify a container'));
    errs.push(...validateTarget(target, targetPath));
    if (!present(target.averageUtilization) && !present(target.averageValue)) {
      errs.push(required(targetPath.child('averageUtilization'), 'must set either a target raw value or a target utilization'));
    }
    if (present(target.averageUtilization) && present(target.averageValue)) {
      errs.push(forbidden(targetPath.child('averageValue'), 'may not set both a target raw value and a target utilization'));
    }
    return errs;
  }
  if (kind === 'object') errs.push(...validateCrossVersionObjectReference(src.describedObject, path.child('describedObject')));
  errs.push(...validateMetricIdentifier(src.metric, path.child('metric')));
  errs.push(...validateTarget(target, targetPath));
  if (kind === 'pods') {
    if (!present(target.averageValue)) errs.push(required(targetPath.child('averageValue'), 'must specify a positive target averageValue'));
  } else if (!present(target.value) && !present(target.averageValue)) {
    errs.push(required(targetPath.child('value'), 'must set either a target value or averageValue'));
  } else if (present(target.value) && present(target.averageValue)) {
    errs.push(forbidden(targetPath.child('averageValue'), 'may not set both a target value for metric and a per-pod target'));
  }
  return errs;
}

const SOURCE_FIELD: Record<string, string> = { Object: 'object', Pods: 'pods', Resource: 'resource', External: 'external', ContainerResource: 'containerResource' };
const SOURCE_TYPES = Object.keys(SOURCE_FIELD).sort();

function validateMetric(metric: Json, path: FieldPath): FieldError[] {
  const m = metric ?? {};
  const errs: FieldError[] = [];
  if (!m.type) errs.push(required(path.child('type'), 'must specify a metric source type'));
  const expected = SOURCE_FIELD[m.type];
  if (!expected) errs.push(notSupported(path.child('type'), m.type ?? '', SOURCE_TYPES));
  const populated = Object.values(SOURCE_FIELD).filter((f) => present(m[f]));
  if (populated.length === 1) errs.push(...validateSource(populated[0]!, m[populated[0]!], path.child(populated[0]!)));
  if (expected && !present(m[expected])) errs.push(required(path.child(expected), 'must populate information for the given metric source'));
  if (populated.length > 1) {
    for (const f of populated) if (f !== expected) errs.push(forbidden(path.child(f), 'must populate the given metric source only'));
  }
  return errs;
}

function validateScalingRules(rules: Json, path: FieldPath): FieldError[] {
  if (!rules) return [];
  const errs: FieldError[] = [];
  const window = rules.stabilizationWindowSeconds;
  if (present(window) && window < 0) errs.push(invalid(path.child('stabilizationWindowSeconds'), window, 'must be greater than or equal to zero'));
  if (present(window) && window > 3600) errs.push(invalid(path.child('stabilizationWindowSeconds'), window, 'must be less than or equal to 3600'));
  if (present(rules.selectPolicy) && !['Disabled', 'Max', 'Min'].includes(rules.selectPolicy)) {
    errs.push(notSupported(path.child('selectPolicy'), rules.selectPolicy, ['Disabled', 'Max', 'Min']));
  }
  const policies: Json[] = rules.policies ?? [];
  if (policies.length === 0) errs.push(required(path.child('policies'), 'must specify at least one Policy'));
  policies.forEach((p, i) => {
    const pp = path.child('policies').index(i);
    if (p?.type !== 'Pods' && p?.type !== 'Percent') errs.push(notSupported(pp.child('type'), p?.type ?? '', ['Percent', 'Pods']));
    if (!((p?.value ?? 0) > 0)) errs.push(invalid(pp.child('value'), p?.value ?? 0, 'must be greater than zero'));
    if (!((p?.periodSeconds ?? 0) > 0)) errs.push(invalid(pp.child('periodSeconds'), p?.periodSeconds ?? 0, 'must be greater than zero'));
    if ((p?.periodSeconds ?? 0) > 1800) errs.push(invalid(pp.child('periodSeconds'), p.periodSeconds, 'must be less than or equal to 1800'));
  });
  return errs;
}

function validate(obj: KObject): FieldError[] {
  const spec = obj.spec ?? {};
  const path = FieldPath.root('spec');
  const errs: FieldError[] = [];
  if (present(spec.minReplicas) && spec.minReplicas < 1) errs.push(invalid(path.child('minReplicas'), spec.minReplicas, 'must be greater than or equal to 1'));
  const max = spec.maxReplicas ?? 0;
  if (max < 1) errs.push(invalid(path.child('maxReplicas'), max, 'must be greater than 0'));
  if (present(spec.minReplicas) && max < spec.minReplicas) errs.push(invalid(path.child('maxReplicas'), max, 'must be greater than or equal to `minReplicas`'));
  errs.push(...validateCrossVersionObjectReference(spec.scaleTargetRef, path.child('scaleTargetRef')));
  ((spec.metrics ?? []) as Json[]).forEach((m, i) => errs.push(...validateMetric(m, path.child('metrics').index(i))));
  if (spec.behavior) {
    errs.push(...validateScalingRules(spec.behavior.scaleUp, path.child('behavior', 'scaleUp')));
    errs.push(...validateScalingRules(spec.behavior.scaleDown, path.child('behavior', 'scaleDown')));
  }
  return errs;
}

/** Shared by both served versions: hooks see the stored (v2) shape, as Kubernetes' internal type. */
export const hpaStrategy: Strategy = {
  defaults,
  prepareForCreate(obj) {
    obj.status = { desiredReplicas: 0 };
  },
  prepareForUpdate: separateStatus,
  validate,
  validateUpdate: (obj, _old, ctx) => (ctx.subresource === 'status' ? [] : validate(obj)),
};

export const horizontalpodautoscalersV2: ResourceDefinition = {
  group: 'autoscaling',
  version: 'v2',
  kind: 'HorizontalPodAutoscaler',
  listKind: 'HorizontalPodAutoscalerList',
  plural: 'horizontalpodautoscalers',
  singular: 'horizontalpodautoscaler',
  namespaced: true,
  shortNames: ['hpa'],
  categories: ['all'],
  verbs: STANDARD_VERBS,
  subresources: ['status'],
  schema: 'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler',
  strategy: hpaStrategy,
  storagePath: 'horizontalpodautoscalers',
  preferred: true,
};
