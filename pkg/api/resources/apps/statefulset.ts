/** apps/v1 StatefulSet: SetDefaults_StatefulSet, ValidateStatefulSet and the registry strategy. */
import type { FieldError, KObject, ResourceDefinition, Strategy } from '../../types.ts';
import {
  FieldPath,
  forbidden,
  invalid,
  jsonEqual,
  notSupported,
  required,
  validateAnnotations,
  validateLabels,
  validateNonnegative,
} from '../../validation/index.ts';
import { defaultPodTemplateSpec } from '../core/podtemplate.ts';
import { defaultField, ensureObject, resetStatus, separateStatus, STANDARD_VERBS, type Json } from '../common.ts';
import { intOrPercentValue, isNotMoreThan100Percent, validatePositiveIntOrPercent } from './intorpercent.ts';
import { validateCollisionCount, validateLongRunningPods, validateReplicaCounters, validateSelector, validateTemplateLabels } from './workload.ts';

function defaults(obj: KObject): void {
  const spec = ensureObject(obj, 'spec');
  defaultField(spec, 'podManagementPolicy', 'OrderedReady');
  const updateStrategy = ensureObject(spec, 'updateStrategy');
  if (!updateStrategy.type) {
    updateStrategy.type = 'RollingUpdate';
    defaultField(updateStrategy, 'rollingUpdate', {});
  }
  const rollingUpdate = updateStrategy.rollingUpdate as Record<string, unknown> | undefined;
  if (updateStrategy.type === 'RollingUpdate' && rollingUpdate) defaultField(rollingUpdate, 'partition', 0);
  const retention = ensureObject(spec, 'persistentVolumeClaimRetentionPolicy');
  defaultField(retention, 'whenDeleted', 'Retain');
  defaultField(retention, 'whenScaled', 'Retain');
  defaultField(spec, 'replicas', 1);
  defaultField(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplateSpec(ensureObject(spec, 'template'));
  // Claim templates are served as full PersistentVolumeClaims, defaulted as such.
  for (const claim of (spec.volumeClaimTemplates ?? []) as Json[]) {
    if (!claim || typeof claim !== 'object') continue;
    claim.apiVersion = 'v1';
    claim.kind = 'PersistentVolumeClaim';
    defaultField(ensureObject(claim, 'spec'), 'volumeMode', 'Filesystem');
    defaultField(ensureObject(claim, 'status'), 'phase', 'Pending');
  }
}

function validateUpdateStrategy(strategy: Json, path: FieldPath): FieldError[] {
  const s = strategy ?? {};
  switch (s.type) {
    case undefined:
    case '':
      return [required(path)];
    case 'OnDelete':
      return s.rollingUpdate ? [invalid(path.child('rollingUpdate'), s.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'")] : [];
    case 'RollingUpdate': {
      const ru = s.rollingUpdate;
      if (!ru) return [];
      const p = path.child('rollingUpdate');
      const errs = validateNonnegative(ru.partition, p.child('partition'));
      if (ru.maxUnavailable !== undefined && ru.maxUnavailable !== null) {
        const mp = p.child('maxUnavailable');
        errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, mp));
        if (intOrPercentValue(ru.maxUnavailable) === 0) errs.push(invalid(mp, ru.maxUnavailable, 'cannot be 0'));
        errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, mp));
      }
      return errs;
    }
    default:
      return [invalid(path, s, "must be 'RollingUpdate' or 'OnDelete'")];
  }
}

function validateRetentionPolicy(policy: Json, path: FieldPath): FieldError[] {
  if (!policy) return [];
  const supported = ['Retain', 'Delete'];
  return (['whenDeleted', 'whenScaled'] as const)
    .filter((f) => !supported.includes(policy[f]))
    .map((f) => notSupported(path.child(f), policy[f] ?? '', supported));
}

function validateSpec(obj: KObject): FieldError[] {
  const spec = obj.spec ?? {};
  const path = FieldPath.root('spec');
  const errs: FieldError[] = [];
  const policy = spec.podManagementPolicy;
  if (!policy) errs.push(required(path.child('podManagementPolicy')));
  else if (policy !== 'OrderedReady' && policy !== 'Parallel') {
    errs.push(invalid(path.child('podManagementPolicy'), policy, "must be 'OrderedReady' or 'Parallel'"));
  }
  errs.push(...validateUpdateStrategy(spec.updateStrategy, path.child('updateStrategy')));
  errs.push(...validateRetentionPolicy(spec.persistentVolumeClaimRetentionPolicy, path.child('persistentVolumeClaimRetentionPolicy')));
  errs.push(...validateNonnegative(spec.replicas, path.child('replicas')));
  errs.push(...validateNonnegative(spec.minReadySeconds, path.child('minReadySeconds')));
  if (spec.ordinals) errs.push(...validateNonnegative(spec.ordinals.start, path.child('ordinals.start')));
  const usable = validateSelector(spec, path, 'statefulset', errs);
  const templatePath = path.child('template');
  if (!usable) errs.push(invalid(path.child('selector'), spec.selector, ''));
  else if (!spec.template) errs.push(required(templatePath));
  else {
    // Kubernetes checks only the template's metadata here, not its pod spec.
    errs.push(...validateTemplateLabels(spec.selector, spec.template, templatePath));
    errs.push(...validateLabels(spec.template.metadata?.labels, templatePath.child('labels')));
    errs.push(...validateAnnotations(spec.template.metadata?.annotations, templatePath.child('annotations')));
  }
  errs.push(...validateLongRunningPods(spec.template, templatePath, 'StatefulSet'));
  return errs;
}

const UPDATABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

function validateSpecUpdate(obj: KObject, old: KObject): FieldError[] {
  const strip = (spec: Json): Json => Object.fromEntries(Object.entries(spec ?? {}).filter(([k]) => !UPDATABLE.includes(k)));
  if (jsonEqual(strip(obj.spec), strip(old.spec))) return [];
  return [
    forbidden(
      'spec',
      "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ),
  ];
}

const STATUS_COUNTERS = ['readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas'];

const strategy: Strategy = {
  nameRule: 'dns1123-label',
  defaults,
  prepareForCreate: resetStatus,
  prepareForUpdate: separateStatus,
  validate: validateSpec,
  validateUpdate(obj, old, ctx) {
    if (ctx.subresource === 'status') {
      return [...validateReplicaCounters(obj.status, STATUS_COUNTERS, 'status.readyReplicas'), ...validateCollisionCount(obj.status, old.status)];
    }
    return [...validateSpec(obj), ...validateSpecUpdate(obj, old)];
  },
};

export const statefulsets: ResourceDefinition = {
  group: 'apps',
  version: 'v1',
  kind: 'StatefulSet',
  listKind: 'StatefulSetList',
  plural: 'statefulsets',
  singular: 'statefulset',
  namespaced: true,
  shortNames: ['sts'],
  categories: ['all'],
  verbs: STANDARD_VERBS,
  subresources: ['status', 'scale'],
  scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.spec.selector' },
  schema: 'io.k8s.api.apps.v1.StatefulSet',
  strategy,
  storagePath: 'statefulsets',
};
