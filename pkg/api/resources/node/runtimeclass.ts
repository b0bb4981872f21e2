/** node.k8s.io/v1 RuntimeClass: the CRI handler pods run with, its overhead and scheduling. */
import type { FieldError, KObject, ResourceDefinition, Strategy } from '../../types.ts';
import { FieldPath, invalidEach, nameIsDNSLabel, validateImmutableField, validateLabels } from '../../validation/index.ts';
import { validateResourceList } from '../core/resourcelist.ts';
import { validateTolerations } from '../core/scheduling-validation.ts';
import { STANDARD_VERBS } from '../common.ts';

function validateOverhead(overhead: KObject['overhead']): FieldError[] {
  return validateResourceList(overhead?.podFixed, FieldPath.root('overhead').child('podFixed')).errors;
}

function validateScheduling(scheduling: KObject['scheduling']): FieldError[] {
  if (!scheduling) return [];
  const path = FieldPath.root('scheduling');
  return [...validateLabels(scheduling.nodeSelector, path.child('nodeSelector')), ...validateTolerations(scheduling.tolerations, path.child('tolerations'))];
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
