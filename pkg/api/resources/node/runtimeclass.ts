/** node.k8s.io/v1 RuntimeClass: the CRI handler pods run with, its overhead and scheduling. */
import type { FieldError, KObject, ResourceDefinition, Strategy } from '../../types.ts';
import {
  FieldPath,
  invalid,
  invalidEach,
  QUANTITY_FORMAT_ERROR,
  nameIsDNSLabel,
  tryParseQuantity,
  validateImmutableField,
  validateLabels,
} from '../../validation/index.ts';
import { STANDARD_VERBS } from '../common.ts';

function validateOverhead(overhead: KObject['overhead']): FieldError[] {
  const errs: FieldError[] = [];
  const path = FieldPath.root('overhead').child('podFixed');
  for (const [name, value] of Object.entries((overhead?.podFixed ?? {}) as Record<string, unknown>)) {
    const q = tryParseQuantity(value);
    if (!q) errs.push(invalid(path.key(name), value, QUANTITY_FORMAT_ERROR));
    else if (q.nanos < 0n) errs.push(invalid(path.key(name), value, 'must be greater than or equal to 0'));
  }
  return errs;
}

function validateScheduling(scheduling: KObject['scheduling']): FieldError[] {
  if (!scheduling) return [];
  const path = FieldPath.root('scheduling');
  const errs = validateLabels(scheduling.nodeSelector, path.child('nodeSelector'));
  const effects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
  ((scheduling.tolerations ?? []) as { operator?: string; effect?: string; value?: string; key?: string }[]).forEach((t, i) => {
    const tp = path.child('tolerations').index(i);
    if (t.operator && t.operator !== 'Equal' && t.operator !== 'Exists') errs.push(invalid(tp.child('operator'), t.operator, 'value must be Equal or Exists'));
    if (t.operator === 'Exists' && t.value) errs.push(invalid(tp.child('operator'), t.operator, 'value must be empty when `operator` is \'Exists\''));
    if (t.effect && !effects.includes(t.effect)) errs.push({ type: 'FieldValueNotSupported', field: tp.child('effect').toString(), badValue: t.effect, supported: effects });
  });
  return errs;
}

function validate(obj: KObject): FieldError[] {
  const handler = obj.handler ?? '';
  return [...invalidEach('handler', handler, nameIsDNSLabel(handler, false)), ...validateOverhead(obj.overhead), ...validateScheduling(obj.scheduling)];
}

const strategy: Strategy = {
  validate,
  validateUpdate: (obj, old) => [...validate(obj), ...validateImmutableField(obj.handler, old.handler, 'handler')],
};

export const runtimeclasses: ResourceDefinition = {
  group: 'node.k8s.io',
  version: 'v1',
  kind: 'RuntimeClass',
  listKind: 'RuntimeClassList',
  plural: 'runtimeclasses',
  singular: 'runtimeclass',
  namespaced: false,
  verbs: STANDARD_VERBS,
  schema: 'io.k8s.api.node.v1.RuntimeClass',
  strategy,
  storagePath: 'runtimeclasses',
};
