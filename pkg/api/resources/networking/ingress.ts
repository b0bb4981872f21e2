/**
 * networking.k8s.io/v1 Ingress: ValidateIngress (rules, paths and their types, backends, TLS)
 * and the registry strategy. Stored under /registry/ingress/, as Kubernetes has since
 * extensions/v1beta1.
 */
import type { FieldError, KObject, ResourceDefinition, Strategy } from '../../types.ts';
import {
  FieldPath,
  invalid,
  invalidEach,
  isDNS1123Subdomain,
  nameIsDNS1035Label,
  nameIsDNSSubdomain,
  notSupported,
  parseIP,
  regexError,
  required,
  validateIP,
  validatePortName,
  validatePortNumber,
} from '../../validation/index.ts';
import { separateStatus, STANDARD_VERBS, type Json } from '../common.ts';

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];
const INVALID_PATH_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_PATH_SUFFIXES = ['/..', '/.'];
const WILDCARD_FMT = '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';

function isWildcardDNS1123Subdomain(host: string): string[] {
  const errs: string[] = [];
  if (Buffer.byteLength(host) > 253) errs.push('must be no more than 253 characters');
  if (!new RegExp(`^${WILDCARD_FMT}$`).test(host)) {
    errs.push(
      regexError(
        "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character",
        WILDCARD_FMT,
        '*.example.com',
      ),
    );
  }
  return errs;
}

/** Hosts: DNS names (a leading `*.` allowed), never IP addresses. */
function validateHost(host: string, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (parseIP(host)) errs.push(invalid(path, host, 'must be a DNS name, not an IP address'));
  errs.push(...invalidEach(path, host, host.includes('*') ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host)));
  return errs;
}

export function validateIngressBackend(backend: Json, path: FieldPath): FieldError[] {
  const b = backend ?? {};
  if (b.resource && b.service) return [invalid(path, '', 'cannot set both resource and service backends')];
  if (b.resource) {
    const errs: FieldError[] = [];
    for (const f of ['kind', 'name']) if (!b.resource[f]) errs.push(required(path.child('resource', f)));
    return errs;
  }
  if (!b.service) return [invalid(path, '', 'resource or service backend is required')];
  const errs: FieldError[] = [];
  const name = b.service.name ?? '';
  if (name === '') errs.push(required(path.child('service', 'name')));
  else errs.push(...invalidEach(path.child('service', 'name'), name, nameIsDNS1035Label(name, false)));
  const port = b.service.port ?? {};
  const hasName = !!port.name;
  const hasNumber = !!port.number;
  if (hasName && hasNumber) errs.push(invalid(path, '', 'cannot set both port name & port number'));
  else if (hasName) errs.push(...validatePortName(port.name, path.child('service', 'port', 'name')));
  else if (hasNumber) errs.push(...validatePortNumber(port.number, path.child('service', 'port', 'number')));
  else errs.push(required(path, 'port name or number is required'));
  return errs;
}

function validatePath(p: Json, path: FieldPath): FieldError[] {
  if (!p.pathType) return [required(path.child('pathType'), 'pathType must be specified')];
  const errs: FieldError[] = [];
  const value: string = p.path ?? '';
  const pathField = path.child('path');
  if (p.pathType === 'Exact' || p.pathType === 'Prefix') {
    if (!value.startsWith('/')) errs.push(invalid(pathField, value, 'must be an absolute path'));
    for (const seq of INVALID_PATH_SEQUENCES) if (value.includes(seq)) errs.push(invalid(pathField, value, `must not contain '${seq}'`));
    for (const suffix of INVALID_PATH_SUFFIXES) if (value.endsWith(suffix)) errs.push(invalid(pathField, value, `cannot end with '${suffix}'`));
  } else if (p.pathType === 'ImplementationSpecific') {
    if (value !== '' && !value.startsWith('/')) errs.push(invalid(pathField, value, 'must be an absolute path'));
  } else {
    errs.push(notSupported(path.child('pathType'), p.pathType, PATH_TYPES));
  }
  errs.push(...validateIngressBackend(p.backend, path.child('backend')));
  return errs;
}

function validateRules(rules: Json[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  rules.forEach((rule, i) => {
    const rp = path.index(i);
    if (rule?.host) errs.push(...validateHost(rule.host, rp.child('host')));
    if (rule?.http) {
      const paths: Json[] = rule.http.paths ?? [];
      if (paths.length === 0) errs.push(required(rp.child('http', 'paths')));
      paths.forEach((p, j) => errs.push(...validatePath(p ?? {}, rp.child('http', 'paths').index(j))));
    }
  });
  return errs;
}

function validateTLS(tls: Json[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  tls.forEach((entry, i) => {
    ((entry?.hosts ?? []) as string[]).forEach((host, j) => {
      const hp = path.index(i).child('hosts').index(j);
      errs.push(...invalidEach(hp, host, host.includes('*') ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host)));
    });
  });
  return errs;
}

function validate(obj: KObject): FieldError[] {
  const spec = obj.spec ?? {};
  const path = FieldPath.root('spec');
  const errs: FieldError[] = [];
  const rules: Json[] = spec.rules ?? [];
  if (rules.length === 0 && !spec.defaultBackend) errs.push(invalid(path, rules, 'either `defaultBackend` or `rules` must be specified'));
  if (spec.defaultBackend) errs.push(...validateIngressBackend(spec.defaultBackend, path.child('defaultBackend')));
  errs.push(...validateRules(rules, path.child('rules')));
  errs.push(...validateTLS(spec.tls ?? [], path.child('tls')));
  if (spec.ingressClassName !== undefined && spec.ingressClassName !== null) {
    errs.push(...invalidEach(path.child('ingressClassName'), spec.ingressClassName, nameIsDNSSubdomain(spec.ingressClassName, false)));
  }
  return errs;
}

function validateStatus(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  ((obj.status?.loadBalancer?.ingress ?? []) as Json[]).forEach((entry, i) => {
    const p = FieldPath.root('status').child('loadBalancer', 'ingress').index(i);
    if (entry?.ip) errs.push(...validateIP(entry.ip, p.child('ip')));
    if (entry?.hostname) {
      errs.push(...invalidEach(p.child('hostname'), entry.hostname, isDNS1123Subdomain(entry.hostname)));
      if (parseIP(entry.hostname)) errs.push(invalid(p.child('hostname'), entry.hostname, 'must be a DNS name, not an IP address'));
    }
  });
  return errs;
}

const strategy: Strategy = {
  prepareForCreate(obj) {
    obj.status = { loadBalancer: {} };
  },
  prepareForUpdate: separateStatus,
  validate,
  validateUpdate: (obj, _old, ctx) => (ctx.subresource === 'status' ? validateStatus(obj) : validate(obj)),
};

export const ingresses: ResourceDefinition = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'Ingress',
  listKind: 'IngressList',
  plural: 'ingresses',
  singular: 'ingress',
  namespaced: true,
  shortNames: ['ing'],
  verbs: STANDARD_VERBS,
  subresources: ['status'],
  schema: 'io.k8s.api.networking.v1.Ingress',
  strategy,
  storagePath: 'ingress',
};
