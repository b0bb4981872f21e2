/** apps/v1 ReplicaSet: SetDefaults_ReplicaSet, ValidateReplicaSet and the registry strategy. */
import type { FieldError, KObject, ResourceDefinition, Strategy } from '../../types.ts';
import { FieldPath, validateImmutableField, validateNonnegative } from '../../validation/index.ts';
import { defaultPodTemplateSpec } from '../core/podtemplate.ts';
import { defaultField, ensureObject, resetStatus, separateStatus, STANDARD_VERBS } from '../common.ts';
import { validateReplicaCounters, validateReplicaSetTemplate, validateSelector } from './workload.ts';

function defaults(obj: KObject): void {
  const spec = ensureObject(obj, 'spec');
  defaultField(spec, 'replicas', 1);
  defaultPodTemplateSpec(ensureObject(spec, 'template'));
}

function validateSpec(obj: KObject): FieldError[] {
  const spec = obj.spec ?? {};
  const path = FieldPath.root('spec');
  const errs = [...validateNonnegative(spec.replicas, path.child('replicas')), ...validateNonnegative(spec.minReadySeconds, path.child('minReadySeconds'))];
  // Kubernetes words the empty-selector error for ReplicaSets as for Deployments.
  const usable = validateSelector(spec, path, 'deployment', errs);
  validateReplicaSetTemplate(spec, path, errs, usable);
  return errs;
}

const strategy: Strategy = {
  defaults,
  prepareForCreate: resetStatus,
  prepareForUpdate: separateStatus,
  validate: validateSpec,
  validateUpdate(obj, old, ctx) {
    if (ctx.subresource === 'status') return validateReplicaCounters(obj.status, ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas']);
    return [...validateSpec(obj), ...validateImmutableField(obj.spec?.selector, old.spec?.selector, 'spec.selector')];
  },
};

export const replicasets: ResourceDefinition = {
  group: 'apps',
  version: 'v1',
  kind: 'ReplicaSet',
  listKind: 'ReplicaSetList',
  plural: 'replicasets',
  singular: 'replicaset',
  namespaced: true,
  shortNames: ['rs'],
  categories: ['all'],
  verbs: STANDARD_VERBS,
  subresources: ['status', 'scale'],
  scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.spec.selector' },
  schema: 'io.k8s.api.apps.v1.ReplicaSet',
  strategy,
  storagePath: 'replicasets',
};
