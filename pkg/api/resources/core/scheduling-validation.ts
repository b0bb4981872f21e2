/**
 * The scheduling parts of a pod spec: tolerations, node and pod affinity, topology spread, as
 * Kubernetes' ValidateTolerations / validateAffinity check them. Taint effects are shared with nodes.
 */
import type { FieldError } from '../../types.ts';
import {
  type FieldPath,
  invalid,
  invalidEach,
  isQualifiedName,
  isValidLabelValue,
  notSupported,
  required,
  forbidden,
  validateLabelSelector,
  validateLabelName,
} from '../../validation/index.ts';
import { type Obj, list } from './shape.ts';


export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export function validateTolerations(tolerations: unknown, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  list(tolerations).forEach((t, i) => {
    const p = path.index(i);
    if (t.key) errs.push(...validateLabelName(t.key, p.child('key')));
    if (!t.key && t.operator !== 'Exists') {
      errs.push(invalid(p.child('operator'), t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== 'NoExecute') {
      errs.push(invalid(p.child('effect'), t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    switch (t.operator ?? '') {
      case '':
      case 'Equal':
        errs.push(...invalidEach(p.child('operator'), t, isValidLabelValue(String(t.value ?? ''))));
        break;
      case 'Exists':
        if (t.value) errs.push(invalid(p.child('operator'), t, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(notSupported(p.child('operator'), t.operator, ['Equal', 'Exists']));
    }
    if (t.effect && !TAINT_EFFECTS.includes(t.effect)) errs.push(notSupported(p.child('effect'), t.effect, TAINT_EFFECTS));
  });
  return errs;
}

function validateNodeSelectorRequirement(req: Obj, path: FieldPath, allowGtLt: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const values = list(req.values);
  switch (req.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errs.push(required(path.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) errs.push(forbidden(path.child('values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case 'Gt':
    case 'Lt':
      if (!allowGtLt) errs.push(invalid(path.child('operator'), req.operator, 'not a valid selector operator'));
      else if (values.length !== 1) errs.push(required(path.child('values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      break;
    default:
      errs.push(invalid(path.child('operator'), req.operator ?? '', 'not a valid selector operator'));
  }
  errs.push(...invalidEach(path.child('key'), req.key ?? '', isQualifiedName(req.key ?? '')));
  return errs;
}

function validateNodeSelectorTerm(term: Obj, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  list(term?.matchExpressions).forEach((r, i) => errs.push(...validateNodeSelectorRequirement(r, path.child('matchExpressions').index(i), true)));
  list(term?.matchFields).forEach((r, i) => {
    const p = path.child('matchFields').index(i);
    if (r.key !== 'metadata.name') errs.push(invalid(p.child('key'), r.key ?? '', 'not a valid field selector key'));
    else if (!['In', 'NotIn'].includes(r.operator)) errs.push(invalid(p.child('operator'), r.operator ?? '', 'not a valid selector operator'));
    else if (list(r.values).length !== 1) errs.push(required(p.child('values'), 'must be only one value when `operator` is \'In\' or \'NotIn\' for node field selector'));
  });
  return errs;
}

function validateWeight(weight: unknown, path: FieldPath): FieldError[] {
  return typeof weight === 'number' && weight >= 1 && weight <= 100 ? [] : [invalid(path, weight ?? 0, 'must be in the range 1-100')];
}

function validatePodAffinityTerm(term: Obj, path: FieldPath): FieldError[] {
  const errs = validateLabelSelector(term.labelSelector, path.child('labelSelector'));
  errs.push(...validateLabelSelector(term.namespaceSelector, path.child('namespaceSelector')));
  if (!term.topologyKey) errs.push(required(path.child('topologyKey'), 'can not be empty'));
  else errs.push(...invalidEach(path.child('topologyKey'), term.topologyKey, isQualifiedName(term.topologyKey)));
  return errs;
}

function validatePodAffinity(affinity: Obj | undefined, path: FieldPath): FieldError[] {
  if (!affinity) return [];
  const errs: FieldError[] = [];
  list(affinity.requiredDuringSchedulingIgnoredDuringExecution).forEach((t, i) =>
    errs.push(...validatePodAffinityTerm(t, path.child('requiredDuringSchedulingIgnoredDuringExecution').index(i))),
  );
  list(affinity.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
    const p = path.child('preferredDuringSchedulingIgnoredDuringExecution').index(i);
    errs.push(...validateWeight(t.weight, p.child('weight')));
    errs.push(...validatePodAffinityTerm(t.podAffinityTerm ?? {}, p.child('podAffinityTerm')));
  });
  return errs;
}

export function validateAffinity(affinity: Obj | undefined, path: FieldPath): FieldError[] {
  if (!affinity) return [];
  const errs: FieldError[] = [];
  const node = affinity.nodeAffinity;
  if (node) {
    const np = path.child('nodeAffinity');
    const requiredTerms = node.requiredDuringSchedulingIgnoredDuringExecution;
    if (requiredTerms) {
      const rp = np.child('requiredDuringSchedulingIgnoredDuringExecution');
      const terms = list(requiredTerms.nodeSelectorTerms);
      if (terms.length === 0) errs.push(required(rp.child('nodeSelectorTerms'), 'must have at least one node selector term'));
      terms.forEach((t, i) => errs.push(...validateNodeSelectorTerm(t, rp.child('nodeSelectorTerms').index(i))));
    }
    list(node.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
      const p = np.child('preferredDuringSchedulingIgnoredDuringExecution').index(i);
      errs.push(...validateWeight(t.weight, p.child('weight')));
      errs.push(...validateNodeSelectorTerm(t.preference ?? {}, p.child('preference')));
    });
  }
  errs.push(...validatePodAffinity(affinity.podAffinity, path.child('podAffinity')));
  errs.push(...validatePodAffinity(affinity.podAntiAffinity, path.child('podAntiAffinity')));
  return errs;
}

export function validateTopologySpreadConstraints(constraints: unknown, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  list(constraints).forEach((c, i) => {
    const p = path.index(i);
    if (!(typeof c.maxSkew === 'number' && c.maxSkew > 0)) errs.push(invalid(p.child('maxSkew'), c.maxSkew ?? 0, 'must be greater than zero'));
    if (!c.topologyKey) errs.push(required(p.child('topologyKey'), 'can not be empty'));
    const whens = ['DoNotSchedule', 'ScheduleAnyway'];
    if (!c.whenUnsatisfiable) errs.push(required(p.child('whenUnsatisfiable')));
    else if (!whens.includes(c.whenUnsatisfiable)) errs.push(notSupported(p.child('whenUnsatisfiable'), c.whenUnsatisfiable, whens));
    errs.push(...validateLabelSelector(c.labelSelector, p.child('labelSelector')));
  });
  return errs;
}
