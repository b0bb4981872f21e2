/**
 * coordination.k8s.io/v1 Lease: node heartbeats and leader election. PUT creates a missing
 * lease, as client-go's leader election expects.
 */
import type { FieldError, KObject, ResourceDefinition, Strategy } from '../../types.ts';
import { forbidden, invalid } from '../../validation/index.ts';
import { STANDARD_VERBS } from '../common.ts';

function validate(obj: KObject): FieldError[] {
  const spec = obj.spec ?? {};
  const errs: FieldError[] = [];
  if (typeof spec.leaseDurationSeconds === 'number' && spec.leaseDurationSeconds <= 0) {
    errs.push(invalid('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0'));
  }
  if (typeof spec.leaseTransitions === 'number' && spec.leaseTransitions < 0) {
    errs.push(invalid('spec.leaseTransitions', spec.leaseTransitions, 'must be greater than or equal to 0'));
  }
  if (spec.preferredHolder && !spec.strategy) errs.push(forbidden('spec.preferredHolder', 'may only be specified if `strategy` is defined'));
  return errs;
}

/** Coordinated leader election is alpha (off) in Kubernetes 1.33: its fields are dropped. */
function dropCoordinatedFields(obj: KObject, old?: KObject): void {
  if (!obj.spec) return;
  if (!old?.spec?.strategy) delete obj.spec.strategy;
  if (!old?.spec?.preferredHolder) delete obj.spec.preferredHolder;
}

const strategy: Strategy = {
  allowCreateOnUpdate: true,
  prepareForCreate: (obj) => dropCoordinatedFields(obj),
  prepareForUpdate: (obj, old) => dropCoordinatedFields(obj, old),
  validate,
  validateUpdate: validate,
};

export const leases: ResourceDefinition = {
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  listKind: 'LeaseList',
  plural: 'leases',
  singular: 'lease',
  namespaced: true,
  verbs: STANDARD_VERBS,
  schema: 'io.k8s.api.coordination.v1.Lease',
  strategy,
  storagePath: 'leases',
};
