/**
 * PersistentVolumes and PersistentVolumeClaims: defaults (Retain, Filesystem, phase Pending),
 * capacity and access modes required, one volume source, and the claim spec fixed after
 * creation but for a larger storage request and the binding fields.
 */
import type { FieldError, KObject, ResourceDefinition, Strategy, StrategyContext } from '../../types.ts';
import { FieldPath, forbidden, invalid, jsonEqual, notSupported, required, validateLabelSelector } from '../../validation/index.ts';
import { separateStatus } from '../common.ts';
import { coreDefinition } from './definition.ts';
import { canonicalizeResourceList, validateResourceList } from './resourcelist.ts';
import { VOLUME_SOURCES } from './volume-validation.ts';
import { list } from './shape.ts';

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const VOLUME_MODES = ['Block', 'Filesystem'];
const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];
const storageOnly = (n: string): boolean => n === 'storage';

function validateAccessModes(modes: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (list(modes).length === 0) errs.push(required(path));
  for (const mode of list(modes)) if (!ACCESS_MODES.includes(mode)) errs.push(notSupported(path, mode, ACCESS_MODES));
  if (list(modes).includes('ReadWriteOncePod') && list(modes).length > 1) {
    errs.push(forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  }
  return errs;
}

function validateVolumeMode(mode: unknown, path: string): FieldError[] {
  return mode !== undefined && !VOLUME_MODES.includes(String(mode)) ? [notSupported(path, mode, VOLUME_MODES)] : [];
}

export function defaultPersistentVolume(pv: KObject): void {
  const spec = (pv.spec ??= {});
  if (!spec.persistentVolumeReclaimPolicy) spec.persistentVolumeReclaimPolicy = 'Retain';
  if (!spec.volumeMode) spec.volumeMode = 'Filesystem';
  canonicalizeResourceList(spec.capacity, false);
  pv.status ??= {};
  if (!pv.status.phase) pv.status.phase = 'Pending';
}

function validatePersistentVolume(pv: KObject): FieldError[] {
  const spec = pv.spec ?? {};
  const errs = validateAccessModes(spec.accessModes, 'spec.accessModes');
  if (!spec.capacity || Object.keys(spec.capacity).length === 0) errs.push(required('spec.capacity'));
  else if (!('storage' in spec.capacity) || Object.keys(spec.capacity).length !== 1) {
    errs.push(notSupported('spec.capacity', Object.keys(spec.capacity), ['storage']));
  }
  errs.push(...validateResourceList(spec.capacity, FieldPath.root('spec').child('capacity'), storageOnly).errors);
  if (!RECLAIM_POLICIES.includes(spec.persistentVolumeReclaimPolicy)) {
    errs.push(notSupported('spec.persistentVolumeReclaimPolicy', spec.persistentVolumeReclaimPolicy ?? '', RECLAIM_POLICIES));
  }
  errs.push(...validateVolumeMode(spec.volumeMode, 'spec.volumeMode'));
  const sources = VOLUME_SOURCES.filter((s) => spec[s] !== undefined && spec[s] !== null).concat(spec.local ? ['local'] : []);
  if (sources.length === 0) errs.push(required('spec', 'must specify a volume type'));
  for (const extra of sources.slice(1)) errs.push(forbidden(`spec.${extra}`, 'may not specify more than 1 volume type'));
  if (spec.hostPath && !spec.hostPath.path) errs.push(required('spec.hostPath.path'));
  if (spec.local && !spec.nodeAffinity) errs.push(required('spec.nodeAffinity', 'Local volume requires node affinity'));
  return errs;
}

export const persistentVolumeStrategy: Strategy = {
  defaults: defaultPersistentVolume,
  prepareForCreate(pv: KObject, ctx: StrategyContext) {
    pv.status = { phase: 'Pending', lastPhaseTransitionTime: ctx.now.toISOString().replace(/\.\d{3}Z$/, 'Z') };
  },
  prepareForUpdate: (pv: KObject, old: KObject, ctx: StrategyContext) => separateStatus(pv, old, ctx),
  validate: validatePersistentVolume,
  validateUpdate(pv: KObject, old: KObject) {
    const errs = validatePersistentVolume(pv);
    if (old.spec?.volumeMode !== pv.spec?.volumeMode) errs.push(invalid('spec.volumeMode', pv.spec?.volumeMode, 'field is immutable'));
    return errs;
  },
};

export function defaultPersistentVolumeClaim(pvc: KObject): void {
  const spec = (pvc.spec ??= {});
  if (!spec.volumeMode) spec.volumeMode = 'Filesystem';
  canonicalizeResourceList(spec.resources?.requests, false);
  canonicalizeResourceList(spec.resources?.limits, false);
  pvc.status ??= {};
  if (!pvc.status.phase) pvc.status.phase = 'Pending';
  canonicalizeResourceList(pvc.status.capacity, false);
}

function validateClaim(pvc: KObject): FieldError[] {
  const spec = pvc.spec ?? {};
  const errs = validateAccessModes(spec.accessModes, 'spec.accessModes');
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const requests = spec.resources?.requests ?? {};
  if (requests.storage === undefined) errs.push(required(FieldPath.root('spec').child('resources').key('storage')));
  const checked = validateResourceList(requests, FieldPath.root('spec').child('resources', 'requests'), storageOnly, 'for claims');
  errs.push(...checked.errors);
  const storage = checked.values.get('storage');
  if (storage && storage.nanos <= 0n) errs.push(invalid(FieldPath.root('spec').child('resources').key('storage'), requests.storage, 'must be greater than zero'));
  errs.push(...validateVolumeMode(spec.volumeMode, 'spec.volumeMode'));
  return errs;
}

/** What may change on a claim: a bigger request once bound, and the binding itself. */
function validateClaimUpdate(pvc: KObject, old: KObject): FieldError[] {
  const errs = validateClaim(pvc);
  const munged = structuredClone(pvc.spec ?? {});
  const oldSpec = old.spec ?? {};
  if (old.status?.phase === 'Bound') {
    munged.resources = structuredClone(oldSpec.resources);
    munged.volumeAttributesClassName = oldSpec.volumeAttributesClassName;
  }
  if (!oldSpec.volumeName) munged.volumeName = oldSpec.volumeName;
  if (!oldSpec.storageClassName) munged.storageClassName = oldSpec.storageClassName;
  for (const k of Object.keys(munged)) if (munged[k] === undefined) delete munged[k];
  if (!jsonEqual(munged, oldSpec)) {
    errs.push(forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
  }
  return errs;
}

export const persistentVolumeClaimStrategy: Strategy = {
  defaults: defaultPersistentVolumeClaim,
  prepareForCreate(pvc: KObject) {
    pvc.status = { phase: 'Pending' };
  },
  prepareForUpdate: (pvc: KObject, old: KObject, ctx: StrategyContext) => separateStatus(pvc, old, ctx),
  validate: validateClaim,
  validateUpdate: (pvc: KObject, old: KObject, ctx: StrategyContext) => (ctx.subresource === 'status' ? [] : validateClaimUpdate(pvc, old)),
};

export function persistentVolumeResource(): ResourceDefinition {
  return coreDefinition({
    kind: 'PersistentVolume',
    plural: 'persistentvolumes',
    namespaced: false,
    shortNames: ['pv'],
    subresources: ['status'],
    strategy: persistentVolumeStrategy,
  });
}

export function persistentVolumeClaimResource(): ResourceDefinition {
  return coreDefinition({
    kind: 'PersistentVolumeClaim',
    plural: 'persistentvolumeclaims',
    namespaced: true,
    shortNames: ['pvc'],
    subresources: ['status'],
    strategy: persistentVolumeClaimStrategy,
  });
}
