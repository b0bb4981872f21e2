/** apps/v1 ControllerRevision: immutable snapshots of a controller's template. */
import type { FieldError, KObject, ResourceDefinition, Strategy } from '../../types.ts';
import { required, validateImmutableField, validateNonnegative } from '../../validation/index.ts';
import { STANDARD_VERBS } from '../common.ts';

function validate(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  if (obj.data === undefined || obj.data === null) errs.push(required('data', 'data is mandatory'));
  errs.push(...validateNonnegative(obj.revision, 'revision'));
  return errs;
}

const strategy: Strategy = {
  validate,
  validateUpdate: (obj, old) => [...validate(obj), ...validateImmutableField(obj.data, old.data, 'data')],
};

export const controllerrevisions: ResourceDefinition = {
  group: 'apps',
  version: 'v1',
  kind: 'ControllerRevision',
  listKind: 'ControllerRevisionList',
  plural: 'controllerrevisions',
  singular: 'controllerrevision',
  namespaced: true,
  verbs: STANDARD_VERBS,
  schema: 'io.k8s.api.apps.v1.ControllerRevision',
  strategy,
  storagePath: 'controllerrevisions',
};
