/** apps/v1 DaemonSet: SetDefaults_DaemonSet, ValidateDaemonSet and the registry strategy. */
import type { FieldError, KObject, ResourceDefinition, Strategy } from '../../types.ts';
import {
  FieldPath,
  invalid,
  jsonEqual,
  notSupported,
  required,
  validateImmutableField,
  validateLabelSelector,
  validateNonnegative,
  type LabelSelector,
} from '../../validation/index.ts';
import { defaultPodTemplateSpec, validatePodTemplateSpec } from '../core/podtemplate.ts';
import { defaultField, ensureObject, resetStatus, separateStatus, STANDARD_VERBS } from '../common.ts';
import { intOrPercentValue, isNotMoreThan100Percent, validatePositiveIntOrPercent } from './intorpercent.ts';
import { validateCollisionCount, validateLongRunningPods, validateTemplateLabels } from './workload.ts';

/**
 * apps/v1 has no spec.templateGeneration: Kubernetes keeps the internal counter in this
 * annotation, set to 1 on create and bumped with every template change.
 */
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

function defaults(obj: KObject): void {
  const spec = ensureObject(obj, 'spec');
  const updateStrategy = ensureObject(spec, 'updateStrategy');
  defaultField(updateStrategy, 'type', 'RollingUpdate');
  if (updateStrategy.type === 'RollingUpdate') {
    const rollingUpdate = ensureObject(updateStrategy, 'rollingUpdate');
    defaultField(rollingUpdate, 'maxUnavailable', 1);
    defaultField(rollingUpdate, 'maxSurge', 0);
  }
  defaultField(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplateSpec(ensureObject(spec, 'template'));
}

function setTemplateGeneration(obj: KObject, generation: number): void {
  obj.metadata.annotations = { ...obj.metadata.annotations, [TEMPLATE_GENERATION_ANNOTATION]: String(generation) };
}

function validateUpdateStrategy(strategy: KObject['spec'], path: FieldPath): FieldError[] {
  const s = strategy ?? {};
  if (s.type === 'OnDelete') return [];
  if (s.type !== 'RollingUpdate') return [notSupported(path, s, ['RollingUpdate', 'OnDelete'])];
  const ru = s.rollingUpdate;
  if (!ru) return [required(path.child('rollingUpdate'))];
  const p = path.child('rollingUpdate');
  const errs = [
    ...validatePositiveIntOrPercent(ru.maxUnavailable, p.child('maxUnavailable')),
    ...validatePositiveIntOrPercent(ru.maxSurge, p.child('maxSurge')),
    ...isNotMoreThan100Percent(ru.maxUnavailable, p.child('maxUnavailable')),
    ...isNotMoreThan100Percent(ru.maxSurge, p.child('maxSurge')),
  ];
  const hasUnavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
  const hasSurge = intOrPercentValue(ru.maxSurge) !== 0;
  if (hasUnavailable && hasSurge) errs.push(invalid(p.child('maxSurge'), ru.maxSurge, 'may not be set when maxUnavailable is non-zero'));
  if (!hasUnavailable && !hasSurge) errs.push(required(p.child('maxUnavailable'), 'cannot be 0 when maxSurge is 0'));
  return errs;
}

function validateSpec(obj: KObject): FieldError[] {
  const spec = obj.spec ?? {};
  const path = FieldPath.root('spec');
  const selector: LabelSelector | undefined = spec.selector ?? undefined;
  const selectorErrors = validateLabelSelector(selector, path.child('selector'), { allowInvalidLabelValueInSelector: true });
  const errs = [...selectorErrors];
  const templatePath = path.child('template');
  if (selectorErrors.length === 0) errs.push(...validateTemplateLabels(selector, spec.template, templatePath));
  if (selector && Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length === 0) {
    errs.push(invalid(path.child('selector'), selector, 'empty selector is invalid for daemonset'));
  }
  errs.push(...validatePodTemplateSpec(spec.template ?? {}, templatePath));
  errs.push(...validateLongRunningPods(spec.template, templatePath, 'DaemonSet'));
  errs.push(...validateNonnegative(spec.minReadySeconds, path.child('minReadySeconds')));
  errs.push(...validateUpdateStrategy(spec.updateStrategy, path.child('updateStrategy')));
  errs.push(...validateNonnegative(spec.revisionHistoryLimit, path.child('revisionHistoryLimit')));
  return errs;
}

const STATUS_COUNTERS = [
  'currentNumberScheduled',
  'numberMisscheduled',
  'desiredNumberScheduled',
  'numberReady',
  'observedGeneration',
  'updatedNumberScheduled',
  'numberAvailable',
  'numberUnavailable',
  'collisionCount',
];

function validateStatus(obj: KObject, old: KObject): FieldError[] {
  const status = obj.status ?? {};
  const errs = STATUS_COUNTERS.flatMap((c) => validateNonnegative(status[c], FieldPath.root('status').child(c)));
  return [...errs, ...validateCollisionCount(obj.status, old.status)];
}

const strategy: Strategy = {
  defaults,
  prepareForCreate(obj) {
    resetStatus(obj);
    setTemplateGeneration(obj, 1);
  },
  prepareForUpdate(obj, old, ctx) {
    separateStatus(obj, old, ctx);
    if (ctx.subresource !== '') return;
    // The counter is the server's: users cannot set it, template changes bump it.
    const previous = Number(old.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION] ?? 0) || 0;
    setTemplateGeneration(obj, jsonEqual(obj.spec?.template, old.spec?.template) ? previous : previous + 1);
  },
  validate: validateSpec,
  validateUpdate(obj, old, ctx) {
    if (ctx.subresource === 'status') return validateStatus(obj, old);
    return [...validateSpec(obj), ...validateImmutableField(obj.spec?.selector, old.spec?.selector, 'spec.selector')];
  },
};

export const daemonsets: ResourceDefinition = {
  group: 'apps',
  version: 'v1',
  kind: 'DaemonSet',
  listKind: 'DaemonSetList',
  plural: 'daemonsets',
  singular: 'daemonset',
  namespaced: true,
  shortNames: ['ds'],
  categories: ['all'],
  verbs: STANDARD_VERBS,
  subresources: ['status'],
  schema: 'io.k8s.api.apps.v1.DaemonSet',
  strategy,
  storagePath: 'daemonsets',
};
