/**
 * batch/v1 Job: SetDefaults_Job, the selector and labels Kubernetes generates from the job's
 * uid (unless spec.manualSelector), ValidateJob and the registry strategy.
 */
import type { FieldError, KObject, ResourceDefinition, Strategy } from '../../types.ts';
import {
  FieldPath,
  invalid,
  isDNS1123Label,
  jsonEqual,
  labelSelectorMatches,
  required,
  validateImmutableField,
  validateLabelSelector,
  validateNonnegative,
  type LabelSelector,
} from '../../validation/index.ts';
import { defaultPodTemplateSpec } from '../core/podtemplate.ts';
import { defaultField, ensureObject, resetStatus, separateStatus, STANDARD_VERBS, type Json } from '../common.ts';
import { validateJobSpecBody } from './jobspec.ts';

export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const LEGACY_JOB_NAME_LABEL = 'job-name';
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';

function defaults(obj: KObject): void {
  const spec = ensureObject(obj, 'spec');
  if (!('completions' in spec && spec.completions !== null) && !('parallelism' in spec && spec.parallelism !== null)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  defaultField(spec, 'parallelism', 1);
  defaultField(spec, 'backoffLimit', spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null ? 2147483647 : 6);
  const template = ensureObject(spec, 'template');
  labelsFromTemplate(obj);
  defaultField(spec, 'completionMode', 'NonIndexed');
  defaultField(spec, 'suspend', false);
  const policy = spec.podFailurePolicy as Json;
  for (const rule of policy?.rules ?? []) {
    for (const pattern of rule?.onPodConditions ?? []) if (pattern && !pattern.status) pattern.status = 'True';
  }
  defaultField(spec, 'podReplacementPolicy', policy ? 'Failed' : 'TerminatingOrFailed');
  defaultField(spec, 'manualSelector', false);
  defaultPodTemplateSpec(template);
}

/**
 * SetDefaults_Job: a job without labels takes its template's. Kubernetes also applies this when
 * it reads a stored job back, so the generated labels show on the job from the first GET on;
 * running it again after generating them gives clients that state at once.
 */
function labelsFromTemplate(obj: KObject): void {
  const templateLabels = obj.spec?.template?.metadata?.labels;
  if (templateLabels && typeof templateLabels === 'object' && Object.keys(obj.metadata.labels ?? {}).length === 0) {
    obj.metadata.labels = { ...templateLabels };
  }
}

/** generateSelector: pods carry the job's name and uid, and the selector picks the uid. */
function generateSelector(obj: KObject): void {
  const spec = obj.spec;
  const meta = ensureObject(spec.template, 'metadata') as Json;
  meta.labels ??= {};
  const uid = obj.metadata.uid ?? '';
  for (const key of [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL]) if (!(key in meta.labels)) meta.labels[key] = obj.metadata.name ?? '';
  for (const key of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL]) if (!(key in meta.labels)) meta.labels[key] = uid;
  spec.selector ??= {};
  spec.selector.matchLabels ??= {};
  if (!(CONTROLLER_UID_LABEL in spec.selector.matchLabels)) spec.selector.matchLabels[CONTROLLER_UID_LABEL] = uid;
}

/** With a generated selector the template must carry the job's own uid, and the selector pick it. */
function validateGeneratedSelector(obj: KObject, requirePrefixedLabels: boolean): FieldError[] {
  const spec = obj.spec ?? {};
  if (spec.manualSelector === true) return [];
  const labels = spec.template?.metadata?.labels;
  if (!labels) return [];
  const uid = obj.metadata.uid ?? '';
  const errs: FieldError[] = [];
  const labelsPath = FieldPath.root('spec').child('template', 'metadata', 'labels');
  const keys = requirePrefixedLabels ? [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL] : [LEGACY_CONTROLLER_UID_LABEL];
  for (const key of keys) {
    if (!(key in labels)) errs.push(required(labelsPath.key(key)));
    else if (labels[key] !== uid) errs.push(invalid(labelsPath.key(key), labels[key], `must be '${uid}'`));
  }
  const selected = spec.selector?.matchLabels?.[CONTROLLER_UID_LABEL];
  if (spec.selector && selected !== uid) errs.push(invalid('spec.selector', spec.selector, '`selector` not auto-generated'));
  return errs;
}

function validateJobSpec(spec: Json, path: FieldPath): FieldError[] {
  const errs = validateJobSpecBody(spec, path);
  const selector: LabelSelector | undefined = spec?.selector ?? undefined;
  const selectorErrors = selector ? validateLabelSelector(selector, path.child('selector')) : [];
  if (!selector) errs.push(required(path.child('selector')));
  errs.push(...selectorErrors);
  const labels = spec?.template?.metadata?.labels;
  const matches = selector && Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length === 0 ? true : labelSelectorMatches(selector, labels);
  if (selectorErrors.length === 0 && !matches) {
    errs.push(invalid(path.child('template', 'metadata', 'labels'), labels ?? {}, '`selector` does not match template `labels`'));
  }
  return errs;
}

function validateJob(obj: KObject, requirePrefixedLabels: boolean): FieldError[] {
  const errs = [...validateGeneratedSelector(obj, requirePrefixedLabels), ...validateJobSpec(obj.spec, FieldPath.root('spec'))];
  const spec = obj.spec ?? {};
  if (spec.completionMode === 'Indexed' && typeof spec.completions === 'number' && spec.completions > 0) {
    // Indexed pods are named `<job>-<index>`: the highest index must still make a DNS label.
    const hostname = `${obj.metadata.name ?? ''}-${spec.completions - 1}`;
    if (isDNS1123Label(hostname).length > 0) {
      errs.push(invalid('metadata.name', obj.metadata.name, `will not able to create pod with invalid DNS label: ${hostname}`));
    }
  }
  return errs;
}

/** Node placement may change only while a suspended job has not started yet. */
function comparableTemplate(template: Json, mutableScheduling: boolean): Json {
  const t = structuredClone(template ?? {});
  if (!mutableScheduling) return t;
  if (t.metadata) {
    delete t.metadata.labels;
    delete t.metadata.annotations;
  }
  if (t.spec) {
    for (const f of ['nodeSelector', 'tolerations', 'schedulingGates']) delete t.spec[f];
    if (t.spec.affinity) {
      delete t.spec.affinity.nodeAffinity;
      if (Object.keys(t.spec.affinity).length === 0) delete t.spec.affinity;
    }
  }
  return t;
}

function validateJobUpdate(obj: KObject, old: KObject): FieldError[] {
  const oldLabels = old.spec?.template?.metadata?.labels ?? {};
  const errs = validateJob(obj, JOB_NAME_LABEL in oldLabels && CONTROLLER_UID_LABEL in oldLabels);
  const spec = obj.spec ?? {};
  const oldSpec = old.spec ?? {};
  const path = FieldPath.root('spec');
  if (spec.completionMode === 'Indexed') {
    if (!jsonEqual(spec.completions, oldSpec.completions) && typeof spec.completions === 'number' && spec.completions !== spec.parallelism) {
      errs.push(invalid(path.child('completions'), spec.completions, 'can only be modified in tandem with spec.parallelism'));
    }
  } else {
    errs.push(...validateImmutableField(spec.completions, oldSpec.completions, path.child('completions')));
  }
  errs.push(...validateImmutableField(spec.selector, oldSpec.selector, path.child('selector')));
  const mutableScheduling = oldSpec.suspend === true && !old.status?.startTime;
  const template = comparableTemplate(spec.template, mutableScheduling);
  if (!jsonEqual(template, comparableTemplate(oldSpec.template, mutableScheduling))) {
    errs.push(invalid(path.child('template'), spec.template, 'field is immutable'));
  }
  for (const f of ['completionMode', 'podFailurePolicy', 'backoffLimitPerIndex', 'managedBy', 'successPolicy']) {
    errs.push(...validateImmutableField(spec[f], oldSpec[f], path.child(f)));
  }
  return errs;
}

function validateStatus(obj: KObject): FieldError[] {
  const status = obj.status ?? {};
  const path = FieldPath.root('status');
  return ['active', 'succeeded', 'failed', 'ready', 'terminating'].flatMap((f) => validateNonnegative(status[f], path.child(f)));
}

const strategy: Strategy = {
  defaults,
  prepareForCreate(obj) {
    if (obj.spec?.manualSelector !== true) generateSelector(obj);
    labelsFromTemplate(obj);
    resetStatus(obj);
  },
  prepareForUpdate: separateStatus,
  validate: (obj) => validateJob(obj, true),
  validateUpdate(obj, old, ctx) {
    if (ctx.subresource === 'status') return validateStatus(obj);
    return validateJobUpdate(obj, old);
  },
};

export const jobs: ResourceDefinition = {
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  listKind: 'JobList',
  plural: 'jobs',
  singular: 'job',
  namespaced: true,
  categories: ['all'],
  verbs: STANDARD_VERBS,
  subresources: ['status'],
  schema: 'io.k8s.api.batch.v1.Job',
  strategy,
  fieldSelectors: { 'status.successful': (obj) => String(obj.status?.succeeded ?? 0) },
  storagePath: 'jobs',
};

