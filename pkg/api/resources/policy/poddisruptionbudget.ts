/** policy/v1 PodDisruptionBudget: ValidatePodDisruptionBudget and the registry strategy. */
import type { FieldError, KObject, ResourceDefinition, Strategy } from '../../types.ts';
import { FieldPath, invalid, notSupported, validateLabelSelector, validateNonnegative } from '../../validation/index.ts';
import { isNotMoreThan100Percent, validatePositiveIntOrPercent } from '../apps/intorpercent.ts';
import { separateStatus, STANDARD_VERBS } from '../common.ts';

const EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];
const present = (v: unknown): boolean => v !== undefined && v !== null;

function validate(obj: KObject): FieldError[] {
  const spec = obj.spec ?? {};
  const path = FieldPath.root('spec');
  const errs: FieldError[] = [];
  if (present(spec.minAvailable) && present(spec.maxUnavailable)) errs.push(invalid(path, spec, 'minAvailable and maxUnavailable cannot be both set'));
  for (const f of ['minAvailable', 'maxUnavailable']) {
    if (!present(spec[f])) continue;
    errs.push(...validatePositiveIntOrPercent(spec[f], path.child(f)), ...isNotMoreThan100Percent(spec[f], path.child(f)));
  }
  errs.push(...validateLabelSelector(spec.selector, path.child('selector'), { allowInvalidLabelValueInSelector: true }));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (present(policy) && !EVICTION_POLICIES.includes(policy)) errs.push(notSupported(path.child('unhealthyPodEvictionPolicy'), policy, EVICTION_POLICIES));
  return errs;
}

function validateStatus(obj: KObject): FieldError[] {
  const status = obj.status ?? {};
  const path = FieldPath.root('status');
  return ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods'].flatMap((f) => validateNonnegative(status[f], path.child(f)));
}

const strategy: Strategy = {
  prepareForCreate(obj) {
    obj.status = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
  },
  prepareForUpdate: separateStatus,
  validate,
  validateUpdate: (obj, _old, ctx) => (ctx.subresource === 'status' ? validateStatus(obj) : validate(obj)),
};

export const poddisruptionbudgets: ResourceDefinition = {
  group: 'policy',
  version: 'v1',
  kind: 'PodDisruptionBudget',
  listKind: 'PodDisruptionBudgetList',
  plural: 'poddisruptionbudgets',
  singular: 'poddisruptionbudget',
  namespaced: true,
  shortNames: ['pdb'],
  verbs: STANDARD_VERBS,
  subresources: ['status'],
  schema: 'io.k8s.api.policy.v1.PodDisruptionBudget',
  strategy,
  storagePath: 'poddisruptionbudgets',
};
