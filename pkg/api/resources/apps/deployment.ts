/** apps/v1 Deployment: SetDefaults_Deployment, ValidateDeployment and the registry strategy. */
import type { FieldError, KObject, ResourceDefinition, Strategy } from '../../types.ts';
import { FieldPath, forbidden, invalid, jsonEqual, notSupported, required, validateImmutableField, validateNonnegative } from '../../validation/index.ts';
import { defaultPodTemplateSpec } from '../core/podtemplate.ts';
import { defaultField, ensureObject, resetStatus, separateStatus, STANDARD_VERBS } from '../common.ts';
import { intOrPercentValue, isNotMoreThan100Percent, validatePositiveIntOrPercent } from './intorpercent.ts';
import { validateCollisionCount, validateReplicaCounters, validateReplicaSetTemplate, validateSelector } from './workload.ts';

function defaults(obj: KObject): void {
  const spec = ensureObject(obj, 'spec');
  defaultField(spec, 'replicas', 1);
  const strategy = ensureObject(spec, 'strategy');
  defaultField(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const rollingUpdate = ensureObject(strategy, 'rollingUpdate');
    defaultField(rollingUpdate, 'maxUnavailable', '25%');
    defaultField(rollingUpdate, 'maxSurge', '25%');
  }
  defaultField(spec, 'revisionHistoryLimit', 10);
  defaultField(spec, 'progressDeadlineSeconds', 600);
  defaultPodTemplateSpec(ensureObject(spec, 'template'));
}

function validateStrategy(strategy: KObject['spec'], path: FieldPath): FieldError[] {
  const s = strategy ?? {};
  switch (s.type) {
    case 'Recreate':
      return s.rollingUpdate ? [forbidden(path.child('rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'")] : [];
    case 'RollingUpdate': {
      const ru = s.rollingUpdate;
      if (!ru) return [required(path.child('rollingUpdate'), 'this should be defaulted and never be nil')];
      const p = path.child('rollingUpdate');
      const errs = [...validatePositiveIntOrPercent(ru.maxUnavailable, p.child('maxUnavailable')), ...validatePositiveIntOrPercent(ru.maxSurge, p.child('maxSurge'))];
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        errs.push(invalid(p.child('maxUnavailable'), ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
      }
      errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, p.child('maxUnavailable')));
      return errs;
    }
    default:
      return [notSupported(path, s, ['Recreate', 'RollingUpdate'])];
  }
}

export function validateDeploymentSpec(obj: KObject): FieldError[] {
  const spec = obj.spec ?? {};
  const path = FieldPath.root('spec');
  const errs = validateNonnegative(spec.replicas, path.child('replicas'));
  const usable = validateSelector(spec, path, 'deployment', errs);
  validateReplicaSetTemplate(spec, path, errs, usable);
  errs.push(...validateStrategy(spec.strategy, path.child('strategy')));
  errs.push(...validateNonnegative(spec.minReadySeconds, path.child('minReadySeconds')));
  errs.push(...validateNonnegative(spec.revisionHistoryLimit, path.child('revisionHistoryLimit')));
  if (typeof spec.progressDeadlineSeconds === 'number') {
    errs.push(...validateNonnegative(spec.progressDeadlineSeconds, path.child('progressDeadlineSeconds')));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      errs.push(invalid(path.child('progressDeadlineSeconds'), spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  }
  return errs;
}

const STATUS_COUNTERS = ['updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'];

export const deploymentStrategy: Strategy = {
  defaults,
  prepareForCreate: resetStatus,
  prepareForUpdate(obj, old, ctx) {
    separateStatus(obj, old, ctx);
    if (ctx.subresource === 'status') {
      if (old.metadata.labels === undefined) delete obj.metadata.labels;
      else obj.metadata.labels = structuredClone(old.metadata.labels);
      return;
    }
    // Annotations are copied onto the ReplicaSets, so changing them is a new generation too.
    if (jsonEqual(obj.spec, old.spec) && !jsonEqual(obj.metadata.annotations, old.metadata.annotations)) {
      obj.metadata.generation = (old.metadata.generation ?? 0) + 1;
    }
  },
  validate: validateDeploymentSpec,
  validateUpdate(obj, old, ctx) {
    if (ctx.subresource === 'status') {
      return [...validateReplicaCounters(obj.status, STATUS_COUNTERS), ...validateCollisionCount(obj.status, old.status)];
    }
    return [...validateDeploymentSpec(obj), ...validateImmutableField(obj.spec?.selector, old.spec?.selector, 'spec.selector')];
  },
};

export const deployments: ResourceDefinition = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  listKind: 'DeploymentList',
  plural: 'deployments',
  singular: 'deployment',
  namespaced: true,
  shortNames: ['deploy'],
  categories: ['all'],
  verbs: STANDARD_VERBS,
  subresources: ['status', 'scale'],
  scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.spec.selector' },
  schema: 'io.k8s.api.apps.v1.Deployment',
  strategy: deploymentStrategy,
  storagePath: 'deployments',
};
