/** storage.k8s.io/v1 StorageClass: which provisioner makes volumes for claims, with what parameters. */
import type { FieldError, KObject, ResourceDefinition, Strategy } from '../../types.ts';
import {
  FieldPath,
  forbidden,
  invalid,
  invalidEach,
  isQualifiedName,
  notSupported,
  required,
  tooLong,
  validateImmutableField,
  jsonEqual,
} from '../../validation/index.ts';
import { STANDARD_VERBS } from '../common.ts';

const MAX_PARAMETERS = 512;
const MAX_PARAMETERS_SIZE = 256 * 1024;
const RECLAIM_POLICIES = ['Delete', 'Retain'];
const BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'];

/** Provisioner names are qualified names, compared in lower case (`kubernetes.io/aws-ebs`). */
export function validateProvisioner(provisioner: string | undefined, path: string): FieldError[] {
  if (!provisioner) return [required(path)];
  return invalidEach(path, provisioner, isQualifiedName(provisioner.toLowerCase()));
}

function validateParameters(params: Record<string, string> | undefined, path: string): FieldError[] {
  const entries = Object.entries(params ?? {});
  if (entries.length > MAX_PARAMETERS) return [tooLong(path, MAX_PARAMETERS)];
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of entries) {
    if (k.length < 1) errs.push(invalid(path, k, 'field can not be empty.'));
    size += Buffer.byteLength(k) + Buffer.byteLength(String(v));
  }
  if (size > MAX_PARAMETERS_SIZE) errs.push(tooLong(path, MAX_PARAMETERS_SIZE));
  return errs;
}

function validateAllowedTopologies(terms: unknown[] | undefined): FieldError[] {
  const errs: FieldError[] = [];
  (terms ?? []).forEach((term, i) => {
    const path = FieldPath.root('allowedTopologies').index(i).child('matchLabelExpressions');
    const exprs = ((term as { matchLabelExpressions?: { key?: string; values?: string[] }[] })?.matchLabelExpressions ?? []);
    exprs.forEach((e, j) => {
      const ep = path.index(j);
      errs.push(...invalidEach(ep.child('key'), e.key ?? '', isQualifiedName(e.key ?? '')));
      if ((e.values ?? []).length === 0) errs.push(required(ep.child('values'), 'must specify as least one value for a matchLabelExpression'));
    });
  });
  return errs;
}

function validate(obj: KObject): FieldError[] {
  const errs = [...validateProvisioner(obj.provisioner, 'provisioner'), ...validateParameters(obj.parameters, 'parameters')];
  if (obj.reclaimPolicy && !RECLAIM_POLICIES.includes(obj.reclaimPolicy)) errs.push(notSupported('reclaimPolicy', obj.reclaimPolicy, RECLAIM_POLICIES));
  if (!obj.volumeBindingMode) errs.push(required('volumeBindingMode'));
  else if (!BINDING_MODES.includes(obj.volumeBindingMode)) errs.push(notSupported('volumeBindingMode', obj.volumeBindingMode, BINDING_MODES));
  errs.push(...validateAllowedTopologies(obj.allowedTopologies));
  return errs;
}

function validateUpdate(obj: KObject, old: KObject): FieldError[] {
  const errs = validate(obj);
  if (!jsonEqual(obj.parameters ?? {}, old.parameters ?? {})) errs.push(forbidden('parameters', 'updates to parameters are forbidden.'));
  if (obj.provisioner !== old.provisioner) errs.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
  if (obj.reclaimPolicy !== old.reclaimPolicy) errs.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  errs.push(...validateImmutableField(obj.volumeBindingMode, old.volumeBindingMode, 'volumeBindingMode'));
  return errs;
}

const strategy: Strategy = {
  defaults(obj) {
    if (!obj.reclaimPolicy) obj.reclaimPolicy = 'Delete';
    if (!obj.volumeBindingMode) obj.volumeBindingMode = 'Immediate';
  },
  validate,
  validateUpdate,
};

export const storageclasses: ResourceDefinition = {
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'StorageClass',
  listKind: 'StorageClassList',
  plural: 'storageclasses',
  singular: 'storageclass',
  namespaced: false,
  shortNames: ['sc'],
  verbs: STANDARD_VERBS,
  schema: 'io.k8s.api.storage.v1.StorageClass',
  strategy,
  storagePath: 'storageclasses',
};
