/** Services and Endpoints: EXTERNAL-IP, PORT(S) and the "+ N more..." endpoint lists. */
import type { KObject } from '../types.ts';
import { ageColumn, ageOf, col, nameColumn, nameOf, printer, wide } from './columns.ts';
import { doc } from './descriptions.ts';
import { formatLabels } from './labels.ts';

interface ServicePort {
  port?: number;
  nodePort?: number;
  protocol?: string;
}

interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
}

/**
 * Load-balancer addresses, sorted and de-duplicated (a Go string set). Kubernetes clips this
 * to 16 characters only for narrow output, and the server always prints wide.
 */
export function loadBalancerAddresses(ingress: LoadBalancerIngress[] | undefined): string {
  const set = new Set<string>();
  for (const i of ingress ?? []) {
    if (i.ip) set.add(i.ip);
    else if (i.hostname) set.add(i.hostname);
  }
  return [...set].sort().join(',');
}

function externalIP(svc: KObject): string {
  const externalIPs: string[] = svc.spec?.externalIPs ?? [];
  switch (svc.spec?.type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerAddresses(svc.status?.loadBalancer?.ingress);
      if (externalIPs.length > 0) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return svc.spec?.externalName ?? '';
    default:
      return '<unknown>';
  }
}

function portsText(ports: ServicePort[] | undefined): string {
  const text = (ports ?? [])
    .map((p) => {
      // Services are defaulted to TCP; the fallback covers objects stored before defaulting.
      const protocol = p.protocol || 'TCP';
      const port = p.port ?? 0;
      return p.nodePort ? `${port}:${p.nodePort}/${protocol}` : `${port}/${protocol}`;
    })
    .join(',');
  return text || '<none>';
}

function clusterIP(svc: KObject): string {
  const ips: string[] = svc.spec?.clusterIPs ?? [];
  return ips[0] || svc.spec?.clusterIP || '<none>';
}

export const servicePrinter = printer(
  [
    nameColumn,
    col('Type', doc.svcType),
    col('Cluster-IP', doc.svcClusterIP),
    col('External-IP', doc.svcExternalIPs),
    col('Port(s)', doc.svcPorts),
    ageColumn,
    wide('Selector', doc.svcSelector),
  ],
  (svc, now) => [
    nameOf(svc),
    svc.spec?.type ?? '',
    clusterIP(svc),
    externalIP(svc),
    portsText(svc.spec?.ports),
    ageOf(svc, now),
    formatLabels(svc.spec?.selector),
  ],
);

interface EndpointSubset {
  addresses?: { ip?: string }[];
  ports?: { port?: number }[];
}

/** net.JoinHostPort: IPv6 hosts go in brackets. */
function joinHostPort(host: string, port: number | undefined): string {
  return host.includes(':') ? `[${host}]:${port ?? 0}` : `${host}:${port ?? 0}`;
}

/** printers.go formatEndpoints: up to three ip:port pairs, then "+ N more...". */
export function formatEndpoints(subsets: EndpointSubset[] | undefined): string {
  if (!subsets || subsets.length === 0) return '<none>';
  const max = 3;
  const list: string[] = [];
  let more = false;
  let count = 0;
  const take = (text: string): boolean => {
    if (list.length === max) {
      more = true;
      return false;
    }
    list.push(text);
    return true;
  };
  for (const subset of subsets) {
    const addresses = subset.addresses ?? [];
    const ports = subset.ports ?? [];
    if (ports.length === 0) {
      // Headless services may publish addresses without ports.
      count += addresses.length;
      for (const a of addresses) if (!take(a.ip ?? '')) break;
      continue;
    }
    for (const port of ports) {
      count += addresses.length;
      for (const a of addresses) if (!take(joinHostPort(a.ip ?? '', port.port))) break;
    }
  }
  const text = list.join(',');
  return more ? `${text} + ${count - max} more...` : text;
}

export const endpointsPrinter = printer(
  [nameColumn, col('Endpoints', doc.endpointsSubsets), ageColumn],
  (ep, now) => [nameOf(ep), formatEndpoints(ep.subsets), ageOf(ep, now)],
);
