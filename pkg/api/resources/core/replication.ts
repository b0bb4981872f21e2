/**
 * PodTemplates and ReplicationControllers, the two core kinds that embed a pod template.
 */
import type { FieldError, KObject, ResourceDefinition, Strategy, StrategyContext } from '../../types.ts';
import { FieldPath, forbidden, invalid, notSupported, required, validateLabels, validateNonnegative } from '../../validation/index.ts';
import { separateStatus } from '../common.ts';
import { coreDefinition } from './definition.ts';
import { defaultPodTemplateSpec, validatePodTemplateSpec } from './podtemplate.ts';

export const podTemplateStrategy: Strategy = {
  defaults(obj: KObject) {
    if (obj.template && typeof obj.template === 'object') defaultPodTemplateSpec(obj.template);
  },
  validate: (obj: KObject) => validatePodTemplateSpec(obj.template, 'template'),
  validateUpdate: (obj: KObject) => validatePodTemplateSpec(obj.template, 'template'),
};

/** SetDefaults_ReplicationController: selector and labels from the template, one replica. */
export function defaultReplicationController(rc: KObject): void {
  const spec = (rc.spec ??= {});
  const labels = spec.template?.metadata?.labels;
  if (labels && typeof labels === 'object') {
    if (!spec.selector || Object.keys(spec.selector).length === 0) spec.selector = { ...labels };
    if (!rc.metadata.labels || Object.keys(rc.metadata.labels).length === 0) rc.metadata.labels = { ...labels };
  }
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  if (spec.template && typeof spec.template === 'object') defaultPodTemplateSpec(spec.template);
}

function validateReplicationController(rc: KObject): FieldError[] {
  const spec = rc.spec ?? {};
  const path = FieldPath.root('spec');
  const errs = validateNonnegative(spec.replicas, path.child('replicas'));
  errs.push(...validateNonnegative(spec.minReadySeconds, path.child('minReadySeconds')));
  const selector = spec.selector ?? {};
  if (Object.keys(selector).length === 0) errs.push(required(path.child('selector')));
  else errs.push(...validateLabels(selector, path.child('selector')));
  const template = spec.template;
  if (!template) {
    errs.push(required(path.child('template')));
    return errs;
  }
  const labels = template.metadata?.labels ?? {};
  if (Object.keys(selector).length > 0 && !Object.entries(selector).every(([k, v]) => labels[k] === v)) {
    errs.push(invalid(path.child('template', 'metadata', 'labels'), labels, '`selector` does not match template `labels`'));
  }
  errs.push(...validatePodTemplateSpec(template, path.child('template')));
  const podSpec = template.spec ?? {};
  if (podSpec.restartPolicy !== 'Always') errs.push(notSupported(path.child('template', 'spec', 'restartPolicy'), podSpec.restartPolicy ?? '', ['Always']));
  if (podSpec.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null) {
    errs.push(forbidden(path.child('template', 'spec', 'activeDeadlineSeconds'), 'activeDeadlineSeconds in ReplicationController is not Supported'));
  }
  return errs;
}

function validateStatus(rc: KObject): FieldError[] {
  const status = rc.status ?? {};
  const errs: FieldError[] = [];
  const path = FieldPath.root('status');
  for (const f of ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration']) {
    errs.push(...validateNonnegative(status[f], path.child(f)));
  }
  for (const f of ['fullyLabeledReplicas', 'readyReplicas']) {
    if ((status[f] ?? 0) > (status.replicas ?? 0)) errs.push(invalid(path.child(f), status[f], 'cannot be greater than status.replicas'));
  }
  if ((status.availableReplicas ?? 0) > (status.readyReplicas ?? 0)) {
    errs.push(invalid(path.child('availableReplicas'), status.availableReplicas, 'cannot be greater than readyReplicas'));
  }
  return errs;
}

export const replicationControllerStrategy: Strategy = {
  defaults: defaultReplicationController,
  prepareForCreate(rc: KObject) {
    rc.status = { replicas: 0 };
  },
  prepareForUpdate(rc: KObject, old: KObject, ctx: StrategyContext) {
    if (ctx.subresource === 'scale') {
      const replicas = rc.spec?.replicas;
      rc.spec = { ...structuredClone(old.spec), replicas };
      rc.status = structuredClone(old.status);
      return;
    }
    separateStatus(rc, old, ctx);
  },
  validate: validateReplicationController,
  validateUpdate(rc: KObject, _old: KObject, ctx: StrategyContext) {
    if (ctx.subresource === 'status') return validateStatus(rc);
    // An RC's selector may change (unlike apps/v1 kinds'), so the update rules are the create rules.
    return validateReplicationController(rc);
  },
};

export function podTemplateResource(): ResourceDefinition {
  return coreDefinition({ kind: 'PodTemplate', plural: 'podtemplates', namespaced: true, strategy: podTemplateStrategy });
}

export function replicationControllerResource(): ResourceDefinition {
  return coreDefinition({
    kind: 'ReplicationController',
    plural: 'replicationcontrollers',
    namespaced: true,
    shortNames: ['rc'],
    categories: ['all'],
    subresources: ['scale', 'status'],
    scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.spec.selector' },
    strategy: replicationControllerStrategy,
    fieldSelectors: { 'status.replicas': (rc) => String(rc.status?.replicas ?? 0) },
    storagePath: 'controllers',
  });
}
