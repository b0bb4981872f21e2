/**
 * apiextensions.k8s.io/v1 CustomResourceDefinition: defaults, the spec validation of
 * apiextensions-apiserver (name = plural.group, names, versions with exactly one storage version,
 * schemas, scope, subresources, conversion) and status.storedVersions bookkeeping. Serving the
 * custom resources is the API server's; setting acceptedNames and conditions is its controllers'.
 */
import type { FieldError, KObject, ResourceDefinition, Strategy } from '../../types.ts';
import {
  FieldPath,
  forbidden,
  invalid,
  isDNS1035Label,
  isDNS1123Subdomain,
  notSupported,
  required,
  validateImmutableField,
} from '../../validation/index.ts';
import { defaultField, ensureObject, separateStatus, STANDARD_VERBS, type Json } from '../common.ts';

const COLUMN_TYPES = ['boolean', 'date', 'integer', 'number', 'string'];

function defaults(obj: KObject): void {
  const spec = ensureObject(obj, 'spec') as Json;
  const names = ensureObject(spec, 'names') as Json;
  if (!names.singular && typeof names.kind === 'string') names.singular = names.kind.toLowerCase();
  if (!names.listKind && names.kind) names.listKind = `${names.kind}List`;
  defaultField(spec, 'conversion', { strategy: 'None' });
  const service = spec.conversion?.webhook?.clientConfig?.service;
  if (service && typeof service === 'object') service.port ??= 443;
}

const storageVersion = (obj: KObject): string | undefined => ((obj.spec?.versions ?? []) as Json[]).find((v) => v?.storage === true)?.name;

/** The storage version joins status.storedVersions, so that migrations know what is on disk. */
function recordStorageVersion(obj: KObject): void {
  const version = storageVersion(obj);
  if (!version) return;
  const status = ensureObject(obj, 'status') as Json;
  status.storedVersions ??= [];
  if (!status.storedVersions.includes(version)) status.storedVersions.push(version);
}

const dns1035 = (path: FieldPath | string, value: string, prefix = ''): FieldError[] => {
  const errs = isDNS1035Label(value.toLowerCase());
  return value !== '' && errs.length > 0 ? [invalid(path, value, prefix + errs.join(','))] : [];
};

function validateNames(names: Json, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['plural', 'singular', 'kind', 'listKind']) if (!names[f]) errs.push(required(path.child(f)));
  errs.push(...dns1035(path.child('plural'), names.plural ?? ''));
  errs.push(...dns1035(path.child('singular'), names.singular ?? ''));
  errs.push(...dns1035(path.child('kind'), names.kind ?? '', 'may have mixed case, but should otherwise match: '));
  errs.push(...dns1035(path.child('listKind'), names.listKind ?? '', 'may have mixed case, but should otherwise match: '));
  ((names.shortNames ?? []) as string[]).forEach((s, i) => errs.push(...dns1035(path.child('shortNames').index(i), s)));
  if (names.kind && names.kind === names.listKind) errs.push(invalid(path.child('listKind'), names.listKind, 'kind and listKind may not be the same'));
  ((names.categories ?? []) as string[]).forEach((c, i) => errs.push(...dns1035(path.child('categories').index(i), c)));
  return errs;
}

function validateSchema(schema: Json, path: FieldPath): FieldError[] {
  const root = schema?.openAPIV3Schema;
  const rootPath = path.child('schema', 'openAPIV3Schema');
  if (!root) return [required(rootPath, 'schemas are required')];
  if (!root.type) return [required(rootPath.child('type'), 'must not be empty at the root')];
  if (root.type !== 'object') return [invalid(rootPath.child('type'), root.type, 'must be object at the root')];
  return [];
}

function validateJsonPath(value: unknown, path: FieldPath, under: string[], message: string): FieldError[] {
  if (typeof value !== 'string' || value === '') return [required(path)];
  return under.some((p) => value.startsWith(`${p}.`)) ? [] : [invalid(path, value, message)];
}

function validateVersion(version: Json, path: FieldPath): FieldError[] {
  const errs = validateSchema(version.schema, path);
  const scale = version.subresources?.scale;
  if (scale) {
    const sp = path.child('subresources', 'scale');
    errs.push(...validateJsonPath(scale.specReplicasPath, sp.child('specReplicasPath'), ['.spec'], 'should be a json path under .spec'));
    errs.push(...validateJsonPath(scale.statusReplicasPath, sp.child('statusReplicasPath'), ['.status'], 'should be a json path under .status'));
    if (scale.labelSelectorPath !== undefined && scale.labelSelectorPath !== null) {
      errs.push(...validateJsonPath(scale.labelSelectorPath, sp.child('labelSelectorPath'), ['.spec', '.status'], 'should be a json path under either .spec or .status'));
    }
  }
  ((version.additionalPrinterColumns ?? []) as Json[]).forEach((c, i) => {
    const cp = path.child('additionalPrinterColumns').index(i);
    if (!c?.name) errs.push(required(cp.child('name')));
    if (!COLUMN_TYPES.includes(c?.type)) errs.push(notSupported(cp.child('type'), c?.type ?? '', COLUMN_TYPES));
    if (!c?.jsonPath) errs.push(required(cp.child('jsonPath')));
  });
  return errs;
}

function validateVersions(versions: Json[], path: FieldPath): FieldError[] {
  if (versions.length === 0) return [required(path)];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  let unique = true;
  versions.forEach((v, i) => {
    const vp = path.index(i);
    const name = v?.name ?? '';
    if (seen.has(name)) unique = false;
    seen.add(name);
    const msgs = isDNS1035Label(name);
    if (msgs.length > 0) errs.push(invalid(vp.child('name'), name, msgs.join(',')));
    errs.push(...validateVersion(v ?? {}, vp));
  });
  if (!unique) errs.push(invalid(path, versions, 'must contain unique version names'));
  if (versions.filter((v) => v?.storage === true).length !== 1) errs.push(invalid(path, versions, 'must have exactly one version marked as storage version'));
  return errs;
}

function validateConversion(conversion: Json, path: FieldPath): FieldError[] {
  if (!conversion) return [];
  const strategy = conversion.strategy ?? '';
  if (strategy === '') return [required(path.child('strategy'))];
  if (strategy !== 'None' && strategy !== 'Webhook') return [notSupported(path.child('strategy'), strategy, ['None', 'Webhook'])];
  if (strategy === 'None') return conversion.webhook ? [forbidden(path.child('webhook'), 'should not be set when strategy is not set to Webhook')] : [];
  const errs: FieldError[] = [];
  if (!conversion.webhook?.clientConfig) errs.push(required(path.child('webhook', 'clientConfig'), 'required when strategy is set to Webhook'));
  const versions: string[] = conversion.webhook?.conversionReviewVersions ?? [];
  if (!versions.some((v) => v === 'v1' || v === 'v1beta1')) {
    errs.push(invalid(path.child('webhook', 'conversionReviewVersions'), versions, 'must include at least one of v1, v1beta1'));
  }
  return errs;
}

function validateStoredVersions(obj: KObject): FieldError[] {
  const path = FieldPath.root('status').child('storedVersions');
  const stored: string[] = obj.status?.storedVersions ?? [];
  if (stored.length === 0) return [invalid(path, stored, 'must have at least one stored version')];
  const errs: FieldError[] = [];
  const versions: Json[] = obj.spec?.versions ?? [];
  for (const v of versions) if (v?.storage && !stored.includes(v.name)) errs.push(invalid(path, v, `must have the storage version ${v.name}`));
  stored.forEach((name, i) => {
    if (!versions.some((v) => v?.name === name)) errs.push(invalid(path.index(i), name, 'must appear in spec.versions'));
  });
  return errs;
}

function validate(obj: KObject): FieldError[] {
  const spec = obj.spec ?? {};
  const path = FieldPath.root('spec');
  const names = spec.names ?? {};
  const errs: FieldError[] = [];
  if (obj.metadata.name !== `${names.plural}.${spec.group}`) errs.push(invalid('metadata.name', obj.metadata.name ?? '', 'must be spec.names.plural+"."+spec.group'));
  const group: string = spec.group ?? '';
  if (group === '') errs.push(required(path.child('group')));
  else if (isDNS1123Subdomain(group).length > 0) errs.push(invalid(path.child('group'), group, isDNS1123Subdomain(group).join(',')));
  else if (group.split('.').length < 2) errs.push(invalid(path.child('group'), group, 'should be a domain with at least one dot'));
  if (!spec.scope) errs.push(required(path.child('scope')));
  else if (spec.scope !== 'Cluster' && spec.scope !== 'Namespaced') errs.push(notSupported(path.child('scope'), spec.scope, ['Cluster', 'Namespaced']));
  errs.push(...validateVersions(spec.versions ?? [], path.child('versions')));
  errs.push(...validateNames(names, path.child('names')));
  errs.push(...validateConversion(spec.conversion, path.child('conversion')));
  errs.push(...validateStoredVersions(obj));
  return errs;
}

const isEstablished = (obj: KObject): boolean => ((obj.status?.conditions ?? []) as Json[]).some((c) => c?.type === 'Established' && c?.status === 'True');

function validateUpdate(obj: KObject, old: KObject): FieldError[] {
  const errs = validate(obj);
  const spec = obj.spec ?? {};
  const oldSpec = old.spec ?? {};
  if (isEstablished(old)) {
    // Stored objects are keyed and shaped by these.
    errs.push(...validateImmutableField(spec.scope, oldSpec.scope, 'spec.scope'));
    errs.push(...validateImmutableField(spec.names?.kind, oldSpec.names?.kind, 'spec.names.kind'));
  }
  errs.push(...validateImmutableField(spec.group, oldSpec.group, 'spec.group'));
  errs.push(...validateImmutableField(spec.names?.plural, oldSpec.names?.plural, 'spec.names.plural'));
  return errs;
}

const strategy: Strategy = {
  defaults,
  prepareForCreate(obj) {
    obj.status = { acceptedNames: { plural: '', kind: '' }, storedVersions: [] };
    recordStorageVersion(obj);
  },
  prepareForUpdate(obj, old, ctx) {
    separateStatus(obj, old, ctx);
    if (ctx.subresource === '') recordStorageVersion(obj);
  },
  validate,
  validateUpdate: (obj, old, ctx) => (ctx.subresource === 'status' ? validateStoredVersions(obj) : validateUpdate(obj, old)),
};

export const customresourcedefinitions: ResourceDefinition = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  kind: 'CustomResourceDefinition',
  listKind: 'CustomResourceDefinitionList',
  plural: 'customresourcedefinitions',
  singular: 'customresourcedefinition',
  namespaced: false,
  shortNames: ['crd', 'crds'],
  categories: ['api-extensions'],
  verbs: STANDARD_VERBS,
  subresources: ['status'],
  schema: 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition',
  strategy,
  storagePath: 'apiextensions.k8s.io/customresourcedefinitions',
};
