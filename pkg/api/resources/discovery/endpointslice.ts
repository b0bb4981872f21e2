/** discovery.k8s.io/v1 EndpointSlice: SetDefaults_EndpointPort and ValidateEndpointSlice. */
import type { FieldError, KObject, ResourceDefinition, Strategy } from '../../types.ts';
import {
  duplicate,
  FieldPath,
  invalid,
  invalidEach,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  nameIsDNSSubdomain,
  notSupported,
  parseCIDR,
  parseIP,
  required,
  tooMany,
  validateImmutableField,
  validateLabels,
  cidrHas,
} from '../../validation/index.ts';
import { STANDARD_VERBS, type Json } from '../common.ts';

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
const MAX_PORTS = 20000;
const MAX_TOPOLOGY_LABELS = 16;

/** Endpoint IPs must reach a pod: not loopback, link-local or link-local multicast (ValidateEndpointIP). */
const FORBIDDEN_RANGES: [string[], string][] = [
  [['0.0.0.0/32', '::/128'], 'may not be unspecified (0.0.0.0, ::)'],
  [['127.0.0.0/8', '::1/128'], 'may not be in the loopback range (127.0.0.0/8, ::1/128)'],
  [['169.254.0.0/16', 'fe80::/10'], 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'],
  [['224.0.0.0/24', 'ff02::/10'], 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'],
];

function validateAddress(address: string, addressType: string, path: FieldPath): FieldError[] {
  if (addressType === 'FQDN') return invalidEach(path, address, isDNS1123Subdomain(address));
  if (addressType !== 'IPv4' && addressType !== 'IPv6') return [];
  const ip = parseIP(address);
  if (!ip || ip.family !== (addressType === 'IPv4' ? 4 : 6)) return [invalid(path, address, `must be a valid ${addressType} address`)];
  for (const [ranges, message] of FORBIDDEN_RANGES) {
    if (ranges.some((r) => cidrHas(parseCIDR(r)!, ip))) return [invalid(path, address, message)];
  }
  return [];
}

function validateEndpoints(endpoints: Json[], addressType: string): FieldError[] {
  const path = FieldPath.root('endpoints');
  if (endpoints.length > MAX_ENDPOINTS) return [tooMany(path, endpoints.length, MAX_ENDPOINTS)];
  const errs: FieldError[] = [];
  endpoints.forEach((endpoint, i) => {
    const ep = path.index(i);
    const addresses: string[] = endpoint?.addresses ?? [];
    const addressPath = ep.child('addresses');
    if (addresses.length === 0) errs.push(required(addressPath, 'must contain at least 1 address'));
    else if (addresses.length > MAX_ADDRESSES) errs.push(tooMany(addressPath, addresses.length, MAX_ADDRESSES));
    addresses.forEach((a, j) => errs.push(...validateAddress(a, addressType, addressPath.index(j))));
    if (endpoint?.nodeName !== undefined && endpoint?.nodeName !== null) {
      errs.push(...invalidEach(ep.child('nodeName'), endpoint.nodeName, nameIsDNSSubdomain(endpoint.nodeName, false)));
    }
    const topology = endpoint?.deprecatedTopology;
    if (topology && Object.keys(topology).length > MAX_TOPOLOGY_LABELS) errs.push(tooMany(ep.child('deprecatedTopology'), Object.keys(topology).length, MAX_TOPOLOGY_LABELS));
    errs.push(...validateLabels(topology, ep.child('deprecatedTopology')));
    if (endpoint?.hostname !== undefined && endpoint?.hostname !== null) {
      errs.push(...invalidEach(ep.child('hostname'), endpoint.hostname, isDNS1123Label(endpoint.hostname)));
    }
  });
  return errs;
}

function validatePorts(ports: Json[]): FieldError[] {
  const path = FieldPath.root('ports');
  if (ports.length > MAX_PORTS) return [tooMany(path, ports.length, MAX_PORTS)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const pp = path.index(i);
    const name: string = port?.name ?? '';
    if (name !== '') errs.push(...invalidEach(pp.child('name'), name, isDNS1123Label(name)));
    if (names.has(name)) errs.push(duplicate(pp.child('name'), name));
    names.add(name);
    if (!port?.protocol) errs.push(required(pp.child('protocol')));
    else if (!PROTOCOLS.includes(port.protocol)) errs.push(notSupported(pp.child('protocol'), port.protocol, PROTOCOLS));
    if (port?.appProtocol !== undefined && port?.appProtocol !== null) errs.push(...invalidEach(pp.child('appProtocol'), port.appProtocol, isQualifiedName(port.appProtocol)));
  });
  return errs;
}

function validate(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const addressType = obj.addressType ?? '';
  if (addressType === '') errs.push(required('addressType'));
  else if (!ADDRESS_TYPES.includes(addressType)) errs.push(notSupported('addressType', addressType, ADDRESS_TYPES));
  errs.push(...validateEndpoints(obj.endpoints ?? [], addressType), ...validatePorts(obj.ports ?? []));
  return errs;
}

const strategy: Strategy = {
  defaults(obj) {
    for (const port of (obj.ports ?? []) as Json[]) {
      if (!port || typeof port !== 'object') continue;
      port.name ??= '';
      port.protocol ??= 'TCP';
    }
  },
  validate,
  validateUpdate: (obj, old) => [...validate(obj), ...validateImmutableField(obj.addressType, old.addressType, 'addressType')],
};

export const endpointslices: ResourceDefinition = {
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  listKind: 'EndpointSliceList',
  plural: 'endpointslices',
  singular: 'endpointslice',
  namespaced: true,
  verbs: STANDARD_VERBS,
  schema: 'io.k8s.api.discovery.v1.EndpointSlice',
  strategy,
  storagePath: 'endpointslices',
};
