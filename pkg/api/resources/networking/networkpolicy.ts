/** networking.k8s.io/v1 NetworkPolicy: SetDefaults_NetworkPolicy and ValidateNetworkPolicy. */
import type { FieldError, KObject, ResourceDefinition, Strategy } from '../../types.ts';
import {
  FieldPath,
  forbidden,
  invalid,
  notSupported,
  parseCIDR,
  required,
  validateCIDR,
  validateLabelSelector,
  validatePortName,
  validatePortNumber,
} from '../../validation/index.ts';
import { STANDARD_VERBS, type Json } from '../common.ts';

const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const POLICY_TYPES = ['Ingress', 'Egress'];

function rules(spec: Json): { rule: Json; path: FieldPath; peers: string }[] {
  const out: { rule: Json; path: FieldPath; peers: string }[] = [];
  for (const [direction, peers] of [['ingress', 'from'], ['egress', 'to']] as const) {
    ((spec?.[direction] ?? []) as Json[]).forEach((rule, i) => out.push({ rule: rule ?? {}, path: FieldPath.root('spec').child(direction).index(i), peers }));
  }
  return out;
}

function defaults(obj: KObject): void {
  const spec = (obj.spec ??= {});
  for (const { rule } of rules(spec)) for (const port of (rule.ports ?? []) as Json[]) if (port && !port.protocol) port.protocol = 'TCP';
  if (!Array.isArray(spec.policyTypes) || spec.policyTypes.length === 0) {
    spec.policyTypes = (spec.egress ?? []).length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  }
}

function validatePort(port: Json, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (port.protocol && !PROTOCOLS.includes(port.protocol)) errs.push(notSupported(path.child('protocol'), port.protocol, PROTOCOLS));
  const hasEnd = port.endPort !== undefined && port.endPort !== null;
  if (port.port === undefined || port.port === null) {
    if (hasEnd) errs.push(invalid(path.child('endPort'), port.endPort, 'may not be specified when `port` is not specified'));
  } else if (typeof port.port === 'number') {
    errs.push(...validatePortNumber(port.port, path.child('port')));
    if (hasEnd) {
      if (port.endPort < port.port) errs.push(invalid(path.child('endPort'), port.port, 'must be greater than or equal to `port`'));
      errs.push(...validatePortNumber(port.endPort, path.child('endPort')));
    }
  } else {
    if (hasEnd) errs.push(invalid(path.child('endPort'), port.endPort, 'may not be specified when `port` is non-numeric'));
    errs.push(...validatePortName(String(port.port), path.child('port')));
  }
  return errs;
}

function validateIPBlock(block: Json, path: FieldPath): FieldError[] {
  if (!block.cidr) return [required(path.child('cidr'))];
  const errs = validateCIDR(block.cidr, path.child('cidr'));
  const cidr = parseCIDR(block.cidr);
  if (!cidr) return errs;
  ((block.except ?? []) as string[]).forEach((text, i) => {
    const p = path.child('except').index(i);
    const cidrErrors = validateCIDR(text, p);
    errs.push(...cidrErrors);
    const except = parseCIDR(text);
    if (!except) return;
    const inside = except.family === cidr.family && except.first >= cidr.first && except.last <= cidr.last;
    if (!inside || cidr.prefixLength >= except.prefixLength) errs.push(invalid(p, text, 'must be a strict subset of `cidr`'));
  });
  return errs;
}

function validatePeer(peer: Json, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  let count = 0;
  for (const selector of ['podSelector', 'namespaceSelector']) {
    if (!peer[selector]) continue;
    count++;
    errs.push(...validateLabelSelector(peer[selector], path.child(selector)));
  }
  if (peer.ipBlock) {
    count++;
    errs.push(...validateIPBlock(peer.ipBlock, path.child('ipBlock')));
  }
  if (count === 0) errs.push(required(path, 'must specify a peer'));
  else if (count > 1 && peer.ipBlock) errs.push(forbidden(path, 'may not specify both ipBlock and another peer'));
  return errs;
}

function validate(obj: KObject): FieldError[] {
  const spec = obj.spec ?? {};
  const errs = validateLabelSelector(spec.podSelector ?? {}, 'spec.podSelector');
  for (const { rule, path, peers } of rules(spec)) {
    ((rule.ports ?? []) as Json[]).forEach((port, i) => errs.push(...validatePort(port ?? {}, path.child('ports').index(i))));
    ((rule[peers] ?? []) as Json[]).forEach((peer, i) => errs.push(...validatePeer(peer ?? {}, path.child(peers).index(i))));
  }
  const types: string[] = spec.policyTypes ?? [];
  if (types.length > POLICY_TYPES.length) return [...errs, invalid('spec.policyTypes', types, 'may not specify more than two policyTypes')];
  types.forEach((t, i) => {
    if (!POLICY_TYPES.includes(t)) errs.push(notSupported(FieldPath.root('spec').child('policyTypes').index(i), t, POLICY_TYPES));
  });
  return errs;
}

const strategy: Strategy = { defaults, validate, validateUpdate: validate };

export const networkpolicies: ResourceDefinition = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'NetworkPolicy',
  listKind: 'NetworkPolicyList',
  plural: 'networkpolicies',
  singular: 'networkpolicy',
  namespaced: true,
  shortNames: ['netpol'],
  verbs: STANDARD_VERBS,
  schema: 'io.k8s.api.networking.v1.NetworkPolicy',
  strategy,
  storagePath: 'networkpolicies',
};
