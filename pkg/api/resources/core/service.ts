/**
 * Services: SetDefaults_Service, ClusterIP / NodePort allocation on create and on type changes,
 * ValidateService and ValidateServiceUpdate (the cluster IP may not change once set).
 */
import type { FieldError, KObject, ResourceDefinition, Strategy, StrategyContext } from '../../types.ts';
import {
  FieldPath,
  duplicate,
  forbidden,
  invalid,
  invalidEach,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isValidPortName,
  isValidPortNum,
  jsonEqual,
  notSupported,
  required,
  validateIP,
  validateLabels,
} from '../../validation/index.ts';
import { separateStatus } from '../common.ts';
import { coreDefinition } from './definition.ts';
import { type ServiceAllocatorOptions, ServiceAllocator, kubernetesServiceIP } from './service-alloc.ts';
import { type Obj, list } from './shape.ts';

const TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

export function defaultService(obj: KObject): void {
  const spec = (obj.spec ??= {}) as Obj;
  if (!spec.sessionAffinity) spec.sessionAffinity = 'None';
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP' && spec.sessionAffinityConfig?.clientIP?.timeoutSeconds === undefined) {
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  if (!spec.type) spec.type = 'ClusterIP';
  for (const port of list(spec.ports)) {
    if (!port.protocol) port.protocol = 'TCP';
    if (port.targetPort === undefined || port.targetPort === 0 || port.targetPort === '') port.targetPort = port.port;
  }
  const external = spec.type === 'NodePort' || spec.type === 'LoadBalancer' || (spec.type === 'ClusterIP' && list(spec.externalIPs).length > 0);
  if (external && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = 'Cluster';
  if (!spec.internalTrafficPolicy && ['ClusterIP', 'NodePort', 'LoadBalancer'].includes(spec.type)) spec.internalTrafficPolicy = 'Cluster';
  if (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === undefined) spec.allocateLoadBalancerNodePorts = true;
  // clusterIP and clusterIPs[0] are one value written twice (v1 conversion keeps them in step).
  if (spec.clusterIP && !list(spec.clusterIPs).length) spec.clusterIPs = [spec.clusterIP];
  if (!spec.clusterIP && list(spec.clusterIPs).length) spec.clusterIP = spec.clusterIPs[0];
}

/** Single-stack families and policy from the cluster's one service range (or the chosen IP). */
function defaultIPFamilies(spec: Obj, family: 4 | 6): void {
  if (spec.type === 'ExternalName') return;
  const headlessWithoutSelector = spec.clusterIP === 'None' && Object.keys(spec.selector ?? {}).length === 0;
  if (!spec.ipFamilyPolicy) spec.ipFamilyPolicy = headlessWithoutSelector ? 'RequireDualStack' : 'SingleStack';
  if (!list(spec.ipFamilies).length) {
    const ip = spec.clusterIP && spec.clusterIP !== 'None' ? String(spec.clusterIP) : '';
    spec.ipFamilies = [ip.includes(':') || (!ip && family === 6) ? 'IPv6' : 'IPv4'];
  }
}

function validatePorts(spec: Obj, errs: FieldError[]): void {
  const ports = list(spec.ports);
  const headless = spec.clusterIP === 'None';
  if (ports.length === 0 && spec.type !== 'ExternalName' && !headless) errs.push(required('spec.ports'));
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = FieldPath.root('spec').child('ports').index(i);
    if (ports.length > 1 && !port.name) errs.push(required(p.child('name')));
    else if (port.name) {
      errs.push(...invalidEach(p.child('name'), port.name, isDNS1123Label(port.name)));
      if (names.has(port.name)) errs.push(duplicate(p.child('name'), port.name));
      names.add(port.name);
    }
    errs.push(...invalidEach(p.child('port'), port.port ?? 0, isValidPortNum(port.port)));
    if (!PROTOCOLS.includes(port.protocol)) errs.push(notSupported(p.child('protocol'), port.protocol ?? '', PROTOCOLS));
    const target = port.targetPort;
    if (typeof target === 'number') errs.push(...invalidEach(p.child('targetPort'), target, isValidPortNum(target)));
    else if (typeof target === 'string') errs.push(...invalidEach(p.child('targetPort'), target, isValidPortName(target)));
    if (port.nodePort && spec.type === 'ClusterIP') errs.push(forbidden(p.child('nodePort'), "may not be used when `type` is 'ClusterIP'"));
    if (port.nodePort && spec.type === 'ExternalName') errs.push(forbidden(p.child('nodePort'), "may not be used when `type` is 'ExternalName'"));
  });
}

export function validateServiceSpec(obj: KObject): FieldError[] {
  const spec = (obj.spec ?? {}) as Obj;
  const errs: FieldError[] = [];
  // Service names are DNS-1035 labels; the store checks the DNS-1123 label rule, which differs
  // only for names starting with a digit.
  const name = obj.metadata?.name ?? '';
  if (/^[0-9]/.test(name) && isDNS1123Label(name).length === 0) errs.push(...invalidEach('metadata.name', name, isDNS1035Label(name)));
  if (!TYPES.includes(spec.type)) errs.push(notSupported('spec.type', spec.type ?? '', TYPES));
  if (spec.type === 'ExternalName') {
    if (spec.clusterIP) errs.push(forbidden('spec.clusterIP', 'may not be set for ExternalName services'));
    if (!spec.externalName) errs.push(required('spec.externalName'));
    else errs.push(...invalidEach('spec.externalName', spec.externalName, isDNS1123Subdomain(String(spec.externalName).replace(/\.$/, ''))));
  } else {
    list(spec.clusterIPs).forEach((ip, i) => {
      const path = `spec.clusterIPs[${i}]`;
      if (ip === 'None') {
        if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') errs.push(invalid(path, ip, `may not be set to 'None' for ${spec.type} services`));
      } else errs.push(...validateIP(String(ip), path));
    });
    if (spec.clusterIP && list(spec.clusterIPs).length && spec.clusterIPs[0] !== spec.clusterIP) {
      errs.push(invalid('spec.clusterIPs', spec.clusterIPs, 'first value must match `clusterIP`'));
    }
  }
  validatePorts(spec, errs);
  errs.push(...validateLabels(spec.selector, 'spec.selector'));
  if (!['ClientIP', 'None'].includes(spec.sessionAffinity)) errs.push(notSupported('spec.sessionAffinity', spec.sessionAffinity ?? '', ['ClientIP', 'None']));
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (timeout !== undefined && !(timeout > 0 && timeout <= 86400)) {
    errs.push(invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', timeout, 'must be greater than 0 and less than 86400'));
  }
  if (spec.internalTrafficPolicy && !['Cluster', 'Local'].includes(spec.internalTrafficPolicy)) {
    errs.push(notSupported('spec.internalTrafficPolicy', spec.internalTrafficPolicy, ['Cluster', 'Local']));
  }
  const external = spec.type === 'NodePort' || spec.type === 'LoadBalancer' || list(spec.externalIPs).length > 0;
  if (spec.externalTrafficPolicy && !external) {
    errs.push(invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, "may only be set for externally-accessible services"));
  } else if (spec.externalTrafficPolicy && !['Cluster', 'Local'].includes(spec.externalTrafficPolicy)) {
    errs.push(notSupported('spec.externalTrafficPolicy', spec.externalTrafficPolicy, ['Cluster', 'Local']));
  }
  list(spec.externalIPs).forEach((ip, i) => errs.push(...validateIP(String(ip), `spec.externalIPs[${i}]`)));
  const families = ['IPv4', 'IPv6'];
  list(spec.ipFamilies).forEach((f, i) => {
    if (!families.includes(f)) errs.push(notSupported(`spec.ipFamilies[${i}]`, f, families));
  });
  const policies = ['SingleStack', 'PreferDualStack', 'RequireDualStack'];
  if (spec.ipFamilyPolicy && !policies.includes(spec.ipFamilyPolicy)) errs.push(notSupported('spec.ipFamilyPolicy', spec.ipFamilyPolicy, policies));
  return errs;
}

/** A write that leaves allocated values out keeps them (Kubernetes' patchAllocatedValues). */
function keepAllocated(spec: Obj, old: Obj): void {
  const needsIP = spec.type !== 'ExternalName' && old.type !== 'ExternalName';
  if (needsIP && !spec.clusterIP && !list(spec.clusterIPs).length && old.clusterIP) {
    spec.clusterIP = old.clusterIP;
    spec.clusterIPs = old.clusterIPs ?? [old.clusterIP];
  }
  const keepsNodePorts = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
  for (const port of list(spec.ports)) {
    if (port.nodePort || !keepsNodePorts) continue;
    const match = list(old.ports).find((o) => o.port === port.port && o.protocol === port.protocol) ?? list(old.ports).find((o) => o.name === port.name);
    if (match?.nodePort) port.nodePort = match.nodePort;
  }
  // Leaving NodePort/LoadBalancer drops the node ports people did not set themselves.
  if (!keepsNodePorts && (old.type === 'NodePort' || old.type === 'LoadBalancer')) {
    for (const port of list(spec.ports)) {
      const match = list(old.ports).find((o) => o.port === port.port);
      if (match && port.nodePort === match.nodePort) delete port.nodePort;
    }
  }
}

/**
 * Kubernetes' dropTypeDependentFields: a type change clears the fields the new type may not
 * carry, unless the write changed them itself (then validation speaks). Without it,
 * `kubectl patch -p '{"spec":{"type":"ClusterIP"}}'` on a LoadBalancer would be refused for
 * the externalTrafficPolicy the API server defaulted.
 */
function dropTypeDependentFields(spec: Obj, old: Obj): void {
  if (spec.type === old.type) return;
  const external = spec.type === 'NodePort' || spec.type === 'LoadBalancer' || list(spec.externalIPs).length > 0;
  if (!external && spec.externalTrafficPolicy !== undefined && spec.externalTrafficPolicy === old.externalTrafficPolicy) delete spec.externalTrafficPolicy;
  if (spec.type !== 'LoadBalancer') {
    for (const field of ['healthCheckNodePort', 'allocateLoadBalancerNodePorts', 'loadBalancerClass']) {
      if (spec[field] !== undefined && jsonEqual(spec[field], old[field])) delete spec[field];
    }
  }
}

/** Allocation errors found in prepare hooks are reported by validate (the hooks cannot fail). */
const pendingErrors = new WeakMap<KObject, FieldError[]>();

export function serviceStrategy(allocator: ServiceAllocator): Strategy {
  const family = allocator.cidr.family;
  return {
    defaults: defaultService,
    prepareForCreate(obj: KObject, ctx: StrategyContext) {
      obj.status = { loadBalancer: {} };
      defaultIPFamilies(obj.spec, family);
      const errs = validateServiceSpec(obj);
      if (errs.length === 0) pendingErrors.set(obj, allocator.allocate(obj, ctx.lookup, ctx.dryRun));
    },
    prepareForUpdate(obj: KObject, old: KObject, ctx: StrategyContext) {
      separateStatus(obj, old, ctx);
      if (ctx.subresource !== '') return;
      keepAllocated(obj.spec ?? {}, old.spec ?? {});
      dropTypeDependentFields(obj.spec ?? {}, old.spec ?? {});
      const spec = obj.spec as Obj;
      const gainsIP = old.spec?.type === 'ExternalName' && spec.type !== 'ExternalName' && !spec.clusterIP;
      defaultIPFamilies(spec, family);
      if (validateServiceSpec(obj).length === 0) pendingErrors.set(obj, allocator.allocate(obj, ctx.lookup, ctx.dryRun, gainsIP ? undefined : old));
    },
    validate(obj: KObject) {
      const errs = [...validateServiceSpec(obj), ...(pendingErrors.get(obj) ?? [])];
      if (errs.length > 0) allocator.release(obj);
      return errs;
    },
    validateUpdate(obj: KObject, old: KObject) {
      const errs = [...validateServiceSpec(obj), ...(pendingErrors.get(obj) ?? [])];
      const oldIP = old.spec?.clusterIP;
      const oldKeepsIP = old.spec?.type !== 'ExternalName' && oldIP && obj.spec?.type !== 'ExternalName';
      if (oldKeepsIP && !jsonEqual(obj.spec?.clusterIPs?.[0], old.spec?.clusterIPs?.[0] ?? oldIP)) {
        errs.push(invalid('spec.clusterIPs[0]', obj.spec?.clusterIPs ?? [], 'may not change once set'));
      }
      return errs;
    },
  };
}

/** The `kubernetes` service in `default` that points at the API server. */
export function kubernetesService(serviceCidr: string, securePort = 6443): KObject {
  const ip = kubernetesServiceIP(serviceCidr);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      type: 'ClusterIP',
      clusterIP: ip,
      clusterIPs: [ip],
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: securePort }],
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: [ip.includes(':') ? 'IPv6' : 'IPv4'],
    },
  };
}

export function serviceResource(options: ServiceAllocatorOptions): ResourceDefinition {
  return coreDefinition({
    kind: 'Service',
    plural: 'services',
    namespaced: true,
    shortNames: ['svc'],
    categories: ['all'],
    subresources: ['proxy', 'status'],
    strategy: { ...serviceStrategy(new ServiceAllocator(options)), nameRule: 'dns1123-label' },
    storagePath: 'services/specs',
  });
}
