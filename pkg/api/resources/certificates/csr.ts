/**
 * certificates.k8s.io/v1 CertificateSigningRequest. The requester's identity is stamped from the
 * request, never taken from the body; approval and status are separate subresources, so
 * a plain update changes neither.
 */
import type { FieldError, KObject, ResourceDefinition, Strategy, StrategyContext } from '../../types.ts';
import { duplicate, FieldPath, forbidden, invalid, isDNS1123Label, notSupported, required, tooLong } from '../../validation/index.ts';
import { STANDARD_VERBS, type Json } from '../common.ts';
import { csrRequestError, issuedCertificateError } from './pem.ts';

const KEY_USAGES = [
  'any', 'cert sign', 'client auth', 'code signing', 'content commitment', 'crl sign', 'data encipherment', 'decipher only',
  'digital signature', 'email protection', 'encipher only', 'ipsec end system', 'ipsec tunnel', 'ipsec user', 'key agreement',
  'key encipherment', 'microsoft sgc', 'netscape sgc', 'ocsp signing', 's/mime', 'server auth', 'signing', 'timestamping',
];
const LEGACY_UNKNOWN_SIGNER = 'kubernetes.io/legacy-unknown';
const FINAL_CONDITIONS = ['Approved', 'Denied', 'Failed'];

/** ValidateSignerName: `example.com/signer-name`, both halves made of DNS labels. */
export function validateSignerName(path: string, signerName: string): FieldError[] {
  if (signerName === '') return [required(path)];
  const segments = signerName.split('/');
  if (segments.length !== 2) return [invalid(path, signerName, "must be a fully qualified domain and path of the form 'example.com/signer-name'")];
  const [domain, name] = segments as [string, string];
  const errs: FieldError[] = [];
  if (domain.length > 253) errs.push(tooLong(path, 253));
  const labelErrors = (segment: string): FieldError[] => {
    for (const label of segment.split('.')) {
      const msgs = isDNS1123Label(label);
      if (msgs.length > 0) return msgs.map((m) => invalid(path, segment, `validating label ${JSON.stringify(label)}: ${m}`));
    }
    return [];
  };
  errs.push(...labelErrors(domain));
  if (domain.split('.').length < 2) errs.push(invalid(path, domain, 'should be a domain with at least two segments separated by dots'));
  errs.push(...labelErrors(name));
  if (signerName.length > 253 - 63 - 1) errs.push(tooLong(path, 253 - 63 - 1));
  return errs;
}

function validateConditions(conditions: Json[]): FieldError[] {
  const path = FieldPath.root('status').child('conditions');
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  conditions.forEach((c, i) => {
    const cp = path.index(i);
    if (!c?.type) errs.push(required(cp.child('type')));
    if (!['True', 'False', 'Unknown'].includes(c?.status)) errs.push(notSupported(cp.child('status'), c?.status ?? '', ['True', 'False', 'Unknown']));
    else if (FINAL_CONDITIONS.includes(c.type) && c.status !== 'True') errs.push(notSupported(cp.child('status'), c.status, ['True']));
    if (seen.has(c?.type)) errs.push(duplicate(cp.child('type'), c.type));
    seen.add(c?.type);
  });
  const types = conditions.map((c) => c?.type);
  if (types.includes('Approved') && types.includes('Denied')) errs.push(invalid(path, conditions, 'Approved and Denied conditions are mutually exclusive'));
  return errs;
}

function validate(obj: KObject): FieldError[] {
  const spec = obj.spec ?? {};
  const path = FieldPath.root('spec');
  const errs: FieldError[] = [];
  const requestError = csrRequestError(spec.request);
  if (requestError) errs.push(invalid(path.child('request'), spec.request ?? '', requestError));
  const usages: string[] = spec.usages ?? [];
  if (usages.length === 0) errs.push(required(path.child('usages')));
  usages.forEach((u, i) => {
    if (!KEY_USAGES.includes(u)) errs.push(notSupported(path.child('usages').index(i), u, KEY_USAGES));
  });
  usages.forEach((u, i) => {
    if (usages.indexOf(u) !== i) errs.push(duplicate(path.child('usages').index(i), u));
  });
  const signer: string = spec.signerName ?? '';
  if (signer === LEGACY_UNKNOWN_SIGNER) errs.push(invalid('spec.signerName', signer, 'the legacy signerName is not allowed via this API version'));
  else errs.push(...validateSignerName('spec.signerName', signer));
  if (typeof spec.expirationSeconds === 'number' && spec.expirationSeconds < 600) {
    errs.push(invalid(path.child('expirationSeconds'), spec.expirationSeconds, 'may not specify a duration less than 600 seconds (10 minutes)'));
  }
  errs.push(...validateConditions(obj.status?.conditions ?? []));
  const certificateError = issuedCertificateError(obj.status?.certificate);
  if (certificateError) errs.push(invalid('status.certificate', '<certificate data>', certificateError));
  return errs;
}

function validateUpdate(obj: KObject, old: KObject): FieldError[] {
  const errs = validate(obj);
  const count = (o: KObject, type: string): number => ((o.status?.conditions ?? []) as Json[]).filter((c) => c?.type === type).length;
  for (const type of FINAL_CONDITIONS) {
    if (count(obj, type) < count(old, type)) errs.push(forbidden('status.conditions', `updates may not remove a condition of type "${type}"`));
  }
  const before = old.status?.certificate;
  if (before && before !== obj.status?.certificate) errs.push(invalid('status.certificate', '<certificate data>', 'updates may not modify existing certificate content'));
  return errs;
}

/** New conditions get their timestamps; unchanged ones keep theirs. */
function stampConditions(conditions: Json[], old: Json[], now: string): Json[] {
  return conditions.map((c) => {
    const previous = old.find((o) => o?.type === c?.type);
    const out = { ...c };
    out.lastUpdateTime ??= now;
    out.lastTransitionTime ??= previous && previous.status === c?.status ? (previous.lastTransitionTime ?? now) : now;
    return out;
  });
}

/** /approval changes only the Approved and Denied conditions; /status everything else in status. */
function prepareForUpdate(obj: KObject, old: KObject, ctx: StrategyContext): void {
  obj.spec = structuredClone(old.spec);
  const oldStatus = structuredClone(old.status ?? {});
  if (ctx.subresource === '') {
    obj.status = oldStatus;
    return;
  }
  const now = ctx.now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const oldConditions: Json[] = oldStatus.conditions ?? [];
  const newConditions: Json[] = obj.status?.conditions ?? [];
  const approval = (c: Json): boolean => c?.type === 'Approved' || c?.type === 'Denied';
  const conditions =
    ctx.subresource === 'approval'
      ? [...oldConditions.filter((c) => !approval(c)), ...newConditions.filter(approval)]
      : [...newConditions.filter((c) => !approval(c)), ...oldConditions.filter(approval)];
  obj.status = ctx.subresource === 'approval' ? { ...oldStatus } : { ...(obj.status ?? {}) };
  if (conditions.length > 0) obj.status.conditions = stampConditions(conditions, oldConditions, now);
  else delete obj.status.conditions;
}

const strategy: Strategy = {
  prepareForCreate(obj, ctx) {
    const spec = (obj.spec ??= {});
    delete spec.username;
    delete spec.uid;
    delete spec.groups;
    delete spec.extra;
    spec.username = ctx.user.username;
    if (ctx.user.uid) spec.uid = ctx.user.uid;
    if (ctx.user.groups.length > 0) spec.groups = [...ctx.user.groups];
    if (ctx.user.extra && Object.keys(ctx.user.extra).length > 0) spec.extra = structuredClone(ctx.user.extra);
    obj.status = {};
  },
  prepareForUpdate,
  validate,
  validateUpdate,
};

export const certificatesigningrequests: ResourceDefinition = {
  group: 'certificates.k8s.io',
  version: 'v1',
  kind: 'CertificateSigningRequest',
  listKind: 'CertificateSigningRequestList',
  plural: 'certificatesigningrequests',
  singular: 'certificatesigningrequest',
  namespaced: false,
  shortNames: ['csr'],
  verbs: STANDARD_VERBS,
  subresources: ['approval', 'status'],
  schema: 'io.k8s.api.certificates.v1.CertificateSigningRequest',
  strategy,
  fieldSelectors: { 'spec.signerName': (obj) => obj.spec?.signerName ?? '' },
  storagePath: 'certificatesigningrequests',
};
