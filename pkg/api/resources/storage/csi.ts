/**
 * storage.k8s.io/v1 CSI kinds: CSIDriver (how the kubelet talks to a driver), CSINode (the
 * drivers a node runs) and VolumeAttachment (attach/detach requests for the attacher).
 */
import type { FieldError, KObject, ResourceDefinition, Strategy } from '../../types.ts';
import {
  duplicate,
  FieldPath,
  forbidden,
  invalid,
  invalidEach,
  isDNS1123Subdomain,
  isQualifiedName,
  jsonEqual,
  nameIsDNSSubdomain,
  notSupported,
  required,
  tooLong,
  validateImmutableField,
  validateNonnegative,
} from '../../validation/index.ts';
import { defaultField, ensureObject, separateStatus, STANDARD_VERBS, type Json } from '../common.ts';

/** CSI driver names: a DNS subdomain (case-insensitive) of at most 63 characters. */
export function validateCSIDriverName(name: string | undefined, path: FieldPath | string): FieldError[] {
  const n = name ?? '';
  const errs: FieldError[] = [];
  if (n === '') errs.push(required(path));
  if (n.length > 63) errs.push(tooLong(path, 63));
  errs.push(...invalidEach(path, n, isDNS1123Subdomain(n.toLowerCase())));
  return errs;
}

function defaultCSIDriver(obj: KObject): void {
  const spec = ensureObject(obj, 'spec');
  defaultField(spec, 'attachRequired', true);
  defaultField(spec, 'podInfoOnMount', false);
  defaultField(spec, 'storageCapacity', false);
  defaultField(spec, 'fsGroupPolicy', 'ReadWriteOnceWithFSType');
  if (!Array.isArray(spec.volumeLifecycleModes) || spec.volumeLifecycleModes.length === 0) spec.volumeLifecycleModes = ['Persistent'];
  defaultField(spec, 'requiresRepublish', false);
  defaultField(spec, 'seLinuxMount', false);
}

function validateTokenRequests(requests: Json[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (requests ?? []).forEach((r, i) => {
    const p = path.index(i);
    const audience = r?.audience ?? '';
    if (seen.has(audience)) errs.push(duplicate(p.child('audience'), audience));
    seen.add(audience);
    const seconds = r?.expirationSeconds;
    if (typeof seconds === 'number') {
      if (seconds < 600) errs.push(invalid(p.child('expirationSeconds'), seconds, 'may not specify a duration less than 10 minutes'));
      if (seconds > 2 ** 32) errs.push(invalid(p.child('expirationSeconds'), seconds, 'may not specify a duration larger than 2^32 seconds'));
    }
  });
  return errs;
}

function validateCSIDriver(obj: KObject): FieldError[] {
  const spec = obj.spec ?? {};
  const path = FieldPath.root('spec');
  const errs: FieldError[] = [];
  // Kubernetes reports this one as spec.attachedRequired.
  if (typeof spec.attachRequired !== 'boolean') errs.push(required(path.child('attachedRequired')));
  for (const f of ['podInfoOnMount', 'storageCapacity']) if (typeof spec[f] !== 'boolean') errs.push(required(path.child(f)));
  const policies = ['File', 'None', 'ReadWriteOnceWithFSType'];
  if (spec.fsGroupPolicy !== undefined && !policies.includes(spec.fsGroupPolicy)) errs.push(notSupported(path.child('fsGroupPolicy'), spec.fsGroupPolicy, policies));
  errs.push(...validateTokenRequests(spec.tokenRequests, path.child('tokenRequests')));
  const modes: string[] = spec.volumeLifecycleModes ?? [];
  if (modes.length === 0) errs.push(required(path.child('volumeLifecycleModes'), 'at least one volume lifecycle mode is required'));
  modes.forEach((m, i) => {
    if (m !== 'Persistent' && m !== 'Ephemeral') errs.push(notSupported(path.child('volumeLifecycleModes').index(i), m, ['Ephemeral', 'Persistent']));
  });
  return errs;
}

const csiDriverStrategy: Strategy = {
  defaults: defaultCSIDriver,
  validate: validateCSIDriver,
  validateUpdate: (obj, old) => [
    ...validateCSIDriver(obj),
    ...validateImmutableField(obj.spec?.attachRequired, old.spec?.attachRequired, 'spec.attachedRequired'),
    ...validateImmutableField(obj.spec?.volumeLifecycleModes, old.spec?.volumeLifecycleModes, 'spec.volumeLifecycleModes'),
  ],
};

function validateCSINode(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ((obj.spec?.drivers ?? []) as Json[]).forEach((driver, i) => {
    const p = FieldPath.root('spec').child('drivers').index(i);
    const name = driver?.name ?? '';
    errs.push(...validateCSIDriverName(name, p.child('name')));
    const nodeID = driver?.nodeID ?? '';
    if (nodeID === '') errs.push(required(p.child('nodeID')));
    if (nodeID.length > 192) errs.push(invalid(p.child('nodeID'), nodeID, 'must be 192 characters or less'));
    errs.push(...validateNonnegative(driver?.allocatable?.count, p.child('allocatable').child('count')));
    if (names.has(name)) errs.push(duplicate(p.child('name'), name));
    names.add(name);
    const keys = new Set<string>();
    for (const key of (driver?.topologyKeys ?? []) as string[]) {
      if (key === '') errs.push(required(p));
      if (keys.has(key)) errs.push(duplicate(p, key));
      keys.add(key);
      errs.push(...invalidEach(p, key, isQualifiedName(key)));
    }
  });
  return errs;
}

/** A registered driver's entry is fixed: the kubelet re-registers by removing and adding it. */
function validateCSINodeUpdate(obj: KObject, old: KObject): FieldError[] {
  const errs = validateCSINode(obj);
  for (const before of (old.spec?.drivers ?? []) as Json[]) {
    for (const now of (obj.spec?.drivers ?? []) as Json[]) {
      if (before?.name === now?.name && !jsonEqual(before, now)) errs.push(invalid('CSINodeDriver', now, 'field is immutable'));
    }
  }
  return errs;
}

const csiNodeStrategy: Strategy = { validate: validateCSINode, validateUpdate: validateCSINodeUpdate };

function validateVolumeAttachment(obj: KObject): FieldError[] {
  const spec = obj.spec ?? {};
  const path = FieldPath.root('spec');
  const errs: FieldError[] = [];
  if (!spec.attacher) errs.push(required(path.child('attacher')));
  const source = spec.source ?? {};
  const sourcePath = path.child('source');
  const pvName = source.persistentVolumeName;
  const hasPV = pvName !== undefined && pvName !== null;
  const hasInline = source.inlineVolumeSpec !== undefined && source.inlineVolumeSpec !== null;
  if (!hasPV && !hasInline) errs.push(required(sourcePath, 'must specify exactly one of inlineVolumeSpec and persistentVolumeName'));
  else if (hasPV && hasInline) errs.push(forbidden(sourcePath, 'must specify exactly one of inlineVolumeSpec and persistentVolumeName'));
  else if (hasPV && pvName === '') errs.push(required(sourcePath.child('persistentVolumeName'), 'must specify non empty persistentVolumeName'));
  errs.push(...invalidEach(path.child('nodeName'), spec.nodeName ?? '', nameIsDNSSubdomain(spec.nodeName ?? '', false)));
  if (spec.attacher) errs.push(...validateCSIDriverName(spec.attacher, 'spec.attacher'));
  if (hasPV && pvName !== '') errs.push(...invalidEach('spec.source.persistentVolumeName', pvName, nameIsDNSSubdomain(pvName, false)));
  return errs;
}

const volumeAttachmentStrategy: Strategy = {
  prepareForCreate(obj) {
    obj.status = { attached: false };
  },
  prepareForUpdate: separateStatus,
  validate: validateVolumeAttachment,
  validateUpdate(obj, old, ctx) {
    if (ctx.subresource === 'status') return [];
    const errs = validateVolumeAttachment(obj);
    if (!jsonEqual(obj.spec, old.spec)) errs.push(invalid('spec', obj.spec, 'field is immutable'));
    return errs;
  },
};

function storageResource(kind: string, plural: string, strategy: Strategy, subresources?: string[]): ResourceDefinition {
  return {
    group: 'storage.k8s.io',
    version: 'v1',
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    namespaced: false,
    verbs: STANDARD_VERBS,
    ...(subresources ? { subresources } : {}),
    schema: `io.k8s.api.storage.v1.${kind}`,
    strategy,
    storagePath: plural,
  };
}

export const csidrivers = storageResource('CSIDriver', 'csidrivers', csiDriverStrategy);
export const csinodes = storageResource('CSINode', 'csinodes', csiNodeStrategy);
export const volumeattachments = storageResource('VolumeAttachment', 'volumeattachments', volumeAttachmentStrategy, ['status']);
