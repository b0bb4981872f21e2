/**
 * The JobSpec checks shared by Jobs and CronJobs' job templates (batch validation's
 * validateJobSpec): counts, completion mode, pod failure and replacement policies, and pods
 * that restart OnFailure or Never.
 */
import type { FieldError } from '../../types.ts';
import { FieldPath, invalid, notSupported, required, tooMany, validateNonnegative } from '../../validation/index.ts';
import { validatePodTemplateSpec } from '../core/podtemplate.ts';
import type { Json } from '../common.ts';

const MAX_PARALLELISM_FOR_INDEXED_JOB = 100_000;
const MAX_POD_FAILURE_POLICY_RULES = 20;
const RULE_ACTIONS = ['Count', 'FailIndex', 'FailJob', 'Ignore'];

const isSet = (v: unknown): boolean => v !== undefined && v !== null;

function validatePodFailurePolicy(spec: Json, path: FieldPath): FieldError[] {
  const rules: Json[] = spec.podFailurePolicy?.rules ?? [];
  const rulesPath = path.child('rules');
  if (rules.length > MAX_POD_FAILURE_POLICY_RULES) return [tooMany(rulesPath, rules.length, MAX_POD_FAILURE_POLICY_RULES)];
  const errs: FieldError[] = [];
  rules.forEach((rule, i) => {
    const rp = rulesPath.index(i);
    if (!RULE_ACTIONS.includes(rule?.action)) errs.push(notSupported(rp.child('action'), rule?.action ?? '', RULE_ACTIONS));
    if (rule?.action === 'FailIndex' && !isSet(spec.backoffLimitPerIndex)) {
      errs.push(invalid(rp.child('action'), rule.action, 'requires the backoffLimitPerIndex to be set'));
    }
    const hasCodes = isSet(rule?.onExitCodes);
    const hasConditions = isSet(rule?.onPodConditions);
    if (hasCodes && hasConditions) errs.push(invalid(rp, '', 'specifying both OnExitCodes and OnPodConditions is not supported'));
    else if (!hasCodes && !hasConditions) errs.push(invalid(rp, '', 'specifying one of OnExitCodes and OnPodConditions is required'));
    if (hasCodes) {
      const cp = rp.child('onExitCodes');
      const operator = rule.onExitCodes.operator;
      if (operator !== 'In' && operator !== 'NotIn') errs.push(notSupported(cp.child('operator'), operator ?? '', ['In', 'NotIn']));
      const values: number[] = rule.onExitCodes.values ?? [];
      if (values.length === 0) errs.push(invalid(cp.child('values'), values, 'at least one value is required'));
      if (values.length > 255) errs.push(tooMany(cp.child('values'), values.length, 255));
    }
  });
  return errs;
}

function validatePodReplacementPolicy(spec: Json, path: FieldPath): FieldError[] {
  const policy = spec.podReplacementPolicy;
  if (!isSet(policy)) return [];
  if (isSet(spec.podFailurePolicy)) return policy === 'Failed' ? [] : [notSupported(path, policy, ['Failed'])];
  return policy === 'Failed' || policy === 'TerminatingOrFailed' ? [] : [notSupported(path, policy, ['Failed', 'TerminatingOrFailed'])];
}

function validateCompletionMode(spec: Json, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const mode = spec.completionMode;
  if (isSet(mode) && mode !== 'NonIndexed' && mode !== 'Indexed') errs.push(notSupported(path.child('completionMode'), mode, ['NonIndexed', 'Indexed']));
  if (mode === 'Indexed') {
    if (!isSet(spec.completions)) errs.push(required(path.child('completions'), 'when completion mode is Indexed'));
    if ((spec.parallelism ?? 0) > MAX_PARALLELISM_FOR_INDEXED_JOB) {
      errs.push(invalid(path.child('parallelism'), spec.parallelism, `must be less than or equal to ${MAX_PARALLELISM_FOR_INDEXED_JOB} when completion mode is Indexed`));
    }
    if (isSet(spec.completions) && isSet(spec.maxFailedIndexes) && spec.maxFailedIndexes > spec.completions) {
      errs.push(invalid(path.child('maxFailedIndexes'), spec.maxFailedIndexes, 'must be less than or equal to completions'));
    }
  } else {
    for (const f of ['backoffLimitPerIndex', 'maxFailedIndexes']) {
      if (isSet(spec[f])) errs.push(invalid(path.child(f), spec[f], 'requires indexed completion mode'));
    }
  }
  return errs;
}

function validateRestartPolicy(spec: Json, path: FieldPath): FieldError[] {
  const policy = spec.template?.spec?.restartPolicy ?? '';
  const p = path.child('template', 'spec', 'restartPolicy');
  if (policy === 'Always' || policy === '') return [required(p, 'valid values: "OnFailure", "Never"')];
  if (policy !== 'OnFailure' && policy !== 'Never') return [notSupported(p, policy, ['OnFailure', 'Never'])];
  if (isSet(spec.podFailurePolicy) && policy !== 'Never') return [invalid(p, policy, 'only "Never" is supported when podFailurePolicy is specified')];
  return [];
}

/** validateJobSpec: everything but the selector, which Jobs and job templates treat differently. */
export function validateJobSpecBody(spec: Json, path: FieldPath): FieldError[] {
  const s = spec ?? {};
  const errs: FieldError[] = [];
  for (const f of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished', 'backoffLimitPerIndex', 'maxFailedIndexes']) {
    errs.push(...validateNonnegative(s[f], path.child(f)));
  }
  if (isSet(s.maxFailedIndexes) && !isSet(s.backoffLimitPerIndex)) errs.push(required(path.child('backoffLimitPerIndex'), 'when maxFailedIndexes is specified'));
  errs.push(...validateCompletionMode(s, path));
  if (isSet(s.podFailurePolicy)) errs.push(...validatePodFailurePolicy(s, path.child('podFailurePolicy')));
  errs.push(...validatePodReplacementPolicy(s, path.child('podReplacementPolicy')));
  errs.push(...validatePodTemplateSpec(s.template ?? {}, path.child('template')));
  errs.push(...validateRestartPolicy(s, path));
  return errs;
}
