/**
 * What the proxy programs, read from Services and EndpointSlices as kube-proxy reads them: one
 * ServicePort per (Service, port) of this proxy's IP family, with the endpoints of the
 * EndpointSlices labelled kubernetes.io/service-name whose port has the same name and protocol.
 * Headless and ExternalName Services have no virtual IP and are skipped.
 */
import net from 'node:net';
import type { KObject } from '../../api/types.ts';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface Endpoint {
  ip: string;
  port: number;
  /** The conditions as kube-proxy reads them: ready nil = ready, serving nil = ready, terminating nil = false. */
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  /** On this node (the endpoint's nodeName is ours): what "Local" traffic policies may use. */
  local: boolean;
}

export interface ServicePort {
  /** kube-proxy's service port name: "namespace/name:port", or "namespace/name" for an unnamed port. */
  id: string;
  protocol: Protocol;
  clusterIP: string;
  port: number;
  /** 0 when the Service has none. */
  nodePort: number;
  externalIPs: string[];
  loadBalancerIPs: string[];
  /** sessionAffinity ClientIP's timeout in seconds; undefined without affinity. */
  affinitySeconds?: number;
  /** externalTrafficPolicy Local (only NodePort and LoadBalancer Services have one). */
  externalLocal: boolean;
  /** internalTrafficPolicy Local. */
  internalLocal: boolean;
  /** Sorted by address, so the same endpoints always make the same rules. */
  endpoints: Endpoint[];
}

export interface ModelOptions {
  nodeName: string;
  family: 4 | 6;
  /** Program status.loadBalancer.ingress[].ip (ServiceLB puts node addresses there). */
  serveLoadBalancerIPs: boolean;
}

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** kube-proxy's default when sessionAffinityConfig says nothing (3 hours). */
export const DEFAULT_AFFINITY_SECONDS = 10800;

type Obj = Record<string, any>;

function protocolOf(value: unknown): Protocol {
  return value === 'UDP' || value === 'SCTP' ? value : 'TCP';
}

/** The virtual IP of our family, or undefined (headless, ExternalName, other family only). */
function clusterIpOf(spec: Obj, family: 4 | 6): string | undefined {
  if (spec.type === 'ExternalName') return undefined;
  const ips: unknown[] = Array.isArray(spec.clusterIPs) && spec.clusterIPs.length > 0 ? spec.clusterIPs : [spec.clusterIP];
  return ips.find((ip): ip is string => typeof ip === 'string' && net.isIP(ip) === family);
}

function endpointKey(namespace: string, service: string, portName: string, protocol: Protocol): string {
  return `${namespace}/${service}\u0000${portName}\u0000${protocol}`;
}

/** ready, then serving-and-terminating, then the rest: which copy wins when slices overlap. */
function rank(e: Endpoint): number {
  return e.ready ? 2 : e.serving && e.terminating ? 1 : 0;
}

/** Endpoints by (service, port name, protocol), merged across the Service's slices. */
function endpointsBySlicePort(slices: KObject[], options: ModelOptions): Map<string, Map<string, Endpoint>> {
  const addressType = options.family === 4 ? 'IPv4' : 'IPv6';
  const out = new Map<string, Map<string, Endpoint>>();
  for (const slice of slices as Obj[]) {
    const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (typeof service !== 'string' || slice.addressType !== addressType) continue;
    for (const sp of (slice.ports ?? []) as Obj[]) {
      if (!Number.isInteger(sp.port) || sp.port <= 0) continue;
      const key = endpointKey(slice.metadata.namespace, service, sp.name ?? '', protocolOf(sp.protocol));
      let byAddress = out.get(key);
      if (!byAddress) out.set(key, (byAddress = new Map()));
      for (const ep of (slice.endpoints ?? []) as Obj[]) {
        // kube-proxy uses an endpoint's first address only.
        const ip = ep.addresses?.[0];
        if (typeof ip !== 'string' || net.isIP(ip) !== options.family) continue;
        const c = ep.conditions ?? {};
        const ready = c.ready !== false;
        const endpoint: Endpoint = {
          ip,
          port: sp.port,
          ready,
          serving: c.serving === undefined || c.serving === null ? ready : c.serving === true,
          terminating: c.terminating === true,
          local: ep.nodeName === options.nodeName,
        };
        const address = `${ip}:${sp.port}`;
        const seen = byAddress.get(address);
        if (!seen || rank(endpoint) > rank(seen)) byAddress.set(address, endpoint);
      }
    }
  }
  return out;
}

function compareEndpoints(a: Endpoint, b: Endpoint): number {
  return a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.port - b.port;
}

/** The service ports to program, sorted by id and protocol. */
export function servicePorts(services: KObject[], slices: KObject[], options: ModelOptions): ServicePort[] {
  const endpoints = endpointsBySlicePort(slices, options);
  const out: ServicePort[] = [];
  for (const svc of services as Obj[]) {
    const spec: Obj = svc.spec ?? {};
    const clusterIP = clusterIpOf(spec, options.family);
    if (!clusterIP) continue;
    const ofFamily = (ips: unknown): string[] => (Array.isArray(ips) ? ips : []).filter((ip): ip is string => typeof ip === 'string' && net.isIP(ip) === options.family);
    const externalIPs = ofFamily(spec.externalIPs);
    // An ingress with ipMode Proxy is served by the load balancer itself, not by node rules.
    const loadBalancerIPs = options.serveLoadBalancerIPs && spec.type === 'LoadBalancer'
      ? ofFamily(((svc.status?.loadBalancer?.ingress ?? []) as Obj[]).filter((i) => i.ipMode !== 'Proxy').map((i) => i.ip))
      : [];
    const hasExternalPolicy = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
    const affinity = spec.sessionAffinity === 'ClientIP';
    const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
    const { namespace, name } = svc.metadata;
    for (const port of (spec.ports ?? []) as Obj[]) {
      if (!Number.isInteger(port.port)) continue;
      const portName: string = port.name ?? '';
      const protocol = protocolOf(port.protocol);
      const found = endpoints.get(endpointKey(namespace, name, portName, protocol));
      out.push({
        id: `${namespace}/${name}${portName ? `:${portName}` : ''}`,
        protocol,
        clusterIP,
        port: port.port,
        nodePort: hasExternalPolicy && Number.isInteger(port.nodePort) ? port.nodePort : 0,
        externalIPs,
        loadBalancerIPs,
        affinitySeconds: affinity ? (Number.isInteger(timeout) && timeout > 0 ? timeout : DEFAULT_AFFINITY_SECONDS) : undefined,
        externalLocal: hasExternalPolicy && spec.externalTrafficPolicy === 'Local',
        internalLocal: spec.internalTrafficPolicy === 'Local',
        endpoints: found ? [...found.values()].sort(compareEndpoints) : [],
      });
    }
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : 0));
}
