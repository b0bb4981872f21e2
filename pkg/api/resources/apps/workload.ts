/**
 * What Deployments, ReplicaSets, DaemonSets and StatefulSets check alike: a selector that is
 * present, valid and non-empty, a pod template whose labels it selects, pods that restart
 * Always, and status counters that never exceed status.replicas.
 */
import type { FieldError } from '../../types.ts';
import {
  FieldPath,
  forbidden,
  invalid,
  labelSelectorMatches,
  notSupported,
  required,
  validateLabelSelector,
  validateNonnegative,
  type LabelSelector,
} from '../../validation/index.ts';
import { validatePodTemplateSpec } from '../core/podtemplate.ts';
import type { Json } from '../common.ts';

/**
 * spec.selector checks. Returns whether the selector could be turned into a label selector
 * (Kubernetes' LabelSelectorAsSelector), since the template is only checked against one that can.
 */
export function validateSelector(spec: Json, path: FieldPath, kindWord: string, errs: FieldError[]): boolean {
  const selector: LabelSelector | undefined = spec.selector ?? undefined;
  const selectorPath = path.child('selector');
  if (!selector) {
    errs.push(required(selectorPath));
    return true;
  }
  const selectorErrors = validateLabelSelector(selector, selectorPath);
  errs.push(...selectorErrors);
  if (Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length === 0) {
    errs.push(invalid(selectorPath, selector, `empty selector is invalid for ${kindWord}`));
  }
  return selectorErrors.length === 0;
}

const isEmptySelector = (s: LabelSelector | undefined): boolean =>
  !!s && Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0;

/** The template's labels must be selected, unless the selector is `{}` (which selects everything). */
export function validateTemplateLabels(selector: LabelSelector | undefined, template: Json, path: FieldPath): FieldError[] {
  const labels = template?.metadata?.labels;
  if (isEmptySelector(selector) || labelSelectorMatches(selector, labels)) return [];
  return [invalid(path.child('metadata', 'labels'), labels ?? {}, '`selector` does not match template `labels`')];
}

/** Pods of long-running workloads restart Always and run without a deadline. */
export function validateLongRunningPods(template: Json, path: FieldPath, kind: string): FieldError[] {
  const errs: FieldError[] = [];
  const podSpec = template?.spec ?? {};
  if (podSpec.restartPolicy !== 'Always') errs.push(notSupported(path.child('spec', 'restartPolicy'), podSpec.restartPolicy ?? '', ['Always']));
  if (podSpec.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null) {
    errs.push(forbidden(path.child('spec', 'activeDeadlineSeconds'), `activeDeadlineSeconds in ${kind} is not Supported`));
  }
  return errs;
}

/** ValidatePodTemplateSpecForReplicaSet: Deployments and ReplicaSets. */
export function validateReplicaSetTemplate(spec: Json, path: FieldPath, errs: FieldError[], selectorUsable: boolean): void {
  const templatePath = path.child('template');
  if (!selectorUsable) {
    errs.push(invalid(path.child('selector'), spec.selector, 'invalid label selector'));
    return;
  }
  const template = spec.template;
  if (!template) {
    errs.push(required(templatePath));
    return;
  }
  errs.push(...validateTemplateLabels(spec.selector, template, templatePath));
  errs.push(...validatePodTemplateSpec(template, templatePath));
  errs.push(...validateLongRunningPods(template, templatePath, 'ReplicaSet'));
}

/** Status counters: each non-negative and none above status.replicas (or readyReplicas). */
export function validateReplicaCounters(status: Json, counters: string[], readyWord = 'readyReplicas'): FieldError[] {
  const path = FieldPath.root('status');
  const s = status ?? {};
  const errs: FieldError[] = [];
  for (const c of ['observedGeneration', 'replicas', ...counters, 'collisionCount']) errs.push(...validateNonnegative(s[c], path.child(c)));
  const replicas = s.replicas ?? 0;
  for (const c of counters) {
    if (c !== 'unavailableReplicas' && (s[c] ?? 0) > replicas) errs.push(invalid(path.child(c), s[c], 'cannot be greater than status.replicas'));
  }
  if (counters.includes('availableReplicas') && counters.includes('readyReplicas') && (s.availableReplicas ?? 0) > (s.readyReplicas ?? 0)) {
    errs.push(invalid(path.child('availableReplicas'), s.availableReplicas, `cannot be greater than ${readyWord}`));
  }
  return errs;
}

/** collisionCount only grows: controllers use it to make revision names unique. */
export function validateCollisionCount(status: Json, oldStatus: Json): FieldError[] {
  const now = status?.collisionCount;
  const before = oldStatus?.collisionCount;
  if (before === undefined || before === null) return [];
  if (now === undefined || now === null || now < before) {
    return [invalid('status.collisionCount', now ?? 0, 'cannot be decremented')];
  }
  return [];
}
