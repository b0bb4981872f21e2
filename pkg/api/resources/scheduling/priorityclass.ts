/**
 * scheduling.k8s.io/v1 PriorityClass. Names starting with `system-` are reserved for the two
 * classes Kubernetes itself creates, with their fixed values.
 */
import type { FieldError, KObject, ResourceDefinition, Strategy } from '../../types.ts';
import { forbidden, notSupported, required, validateImmutableField } from '../../validation/index.ts';
import { STANDARD_VERBS } from '../common.ts';

export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;

/** The system classes the API server creates at start-up (name → value). */
export const SYSTEM_PRIORITY_CLASSES: Record<string, number> = {
  'system-node-critical': 2_000_001_000,
  'system-cluster-critical': 2_000_000_000,
};

function systemClassError(obj: KObject): string | undefined {
  const name = obj.metadata.name ?? '';
  const value = SYSTEM_PRIORITY_CLASSES[name];
  if (value === undefined) return `${name} is not a known system priority class`;
  if (obj.value !== value) return `value of ${name} PriorityClass must be ${value}`;
  if (obj.globalDefault) return `globalDefault of ${name} PriorityClass must be false`;
  return undefined;
}

function validatePreemptionPolicy(policy: unknown): FieldError[] {
  if (policy === undefined || policy === null) return [];
  if (policy === '') return [required('preemptionPolicy')];
  if (policy === 'PreemptLowerPriority' || policy === 'Never') return [];
  return [notSupported('preemptionPolicy', policy, ['PreemptLowerPriority', 'Never'])];
}

function validate(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  if ((obj.metadata.name ?? '').startsWith('system-')) {
    const why = systemClassError(obj);
    if (why) errs.push(forbidden('metadata.name', `priority class names with 'system-' prefix are reserved for system use only. error: ${why}`));
  } else if ((obj.value ?? 0) > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  errs.push(...validatePreemptionPolicy(obj.preemptionPolicy));
  return errs;
}

function validateUpdate(obj: KObject, old: KObject): FieldError[] {
  const errs: FieldError[] = [];
  if ((obj.value ?? 0) !== (old.value ?? 0)) errs.push(forbidden('value', 'may not be changed in an update.'));
  errs.push(...validateImmutableField(obj.preemptionPolicy, old.preemptionPolicy, 'preemptionPolicy'));
  return errs;
}

const strategy: Strategy = {
  defaults(obj) {
    if (!obj.preemptionPolicy) obj.preemptionPolicy = 'PreemptLowerPriority';
  },
  validate,
  validateUpdate,
};

export const priorityclasses: ResourceDefinition = {
  group: 'scheduling.k8s.io',
  version: 'v1',
  kind: 'PriorityClass',
  listKind: 'PriorityClassList',
  plural: 'priorityclasses',
  singular: 'priorityclass',
  namespaced: false,
  shortNames: ['pc'],
  verbs: STANDARD_VERBS,
  schema: 'io.k8s.api.scheduling.v1.PriorityClass',
  strategy,
  storagePath: 'priorityclasses',
};
