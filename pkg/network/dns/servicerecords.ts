/**
 * The records one Service owns, from the Service, its EndpointSlices and the pods naming it as
 * their subdomain, as the Kubernetes DNS specification lays them out (CoreDNS's kubernetes
 * plugin is the reference where it is silent):
 *   svc.ns.svc.zone            A/AAAA: the ClusterIPs; headless: the ready endpoints' addresses (no
 *                              ready endpoint: the name does not exist, NXDOMAIN as the spec says)
 *   ep.svc.ns.svc.zone         an endpoint by its hostname, or by its dashed address (10-42-0-5)
 *   _port._proto.svc.ns.svc.zone  SRV per named port, target the Service (headless: each endpoint)
 *   svc.ns.svc.zone SRV        every port, named or not, as CoreDNS answers the bare name;
 *                              ep.svc.ns.svc.zone SRV: that endpoint's ports
 *   host.sub.ns.svc.zone       a pod with spec.hostname and spec.subdomain naming a headless Service
 *   ExternalName               CNAME (an IP address as externalName gives nothing, as in CoreDNS)
 * Every name sits below svc.ns.svc.zone, so no two Services share one: the index can replace
 * one Service's part without looking at the others.
 */
import net from 'node:net';
import { canonicalIp, dashedIp } from './names.ts';

export interface SrvRecord { port: number; target: string }

export interface NameRecords {
  a: string[];
  aaaa: string[];
  srv: SrvRecord[];
  cname?: string;
}

export interface ServicePart {
  names: Map<string, NameRecords>;
  /** The names owned and every name between them and the Service's namespace node (empty non-terminals). */
  nodes: Set<string>;
  /** [address, name] pairs for PTR. */
  ptrs: [string, string][];
}

type Obj = Record<string, any>;

interface Draft { a: Set<string>; aaaa: Set<string>; srv: Map<string, SrvRecord>; cname?: string }

class PartBuilder {
  private readonly names = new Map<string, Draft>();
  private readonly ptrs: [string, string][] = [];

  private entry(name: string): Draft {
    let e = this.names.get(name);
    if (!e) {
      e = { a: new Set(), aaaa: new Set(), srv: new Map() };
      this.names.set(name, e);
    }
    return e;
  }

  address(name: string, ip: string): void {
    const e = this.entry(name);
    if (net.isIPv4(ip)) e.a.add(ip);
    else if (net.isIPv6(ip)) e.aaaa.add(canonicalIp(ip));
  }

  srv(name: string, port: number, target: string): void {
    this.entry(name).srv.set(`${port} ${target}`, { port, target });
  }

  cname(name: string, target: string): void {
    this.entry(name).cname = target.toLowerCase().replace(/\.$/, '');
  }

  ptr(ip: string, name: string): void {
    this.ptrs.push([canonicalIp(ip), name]);
  }

  done(namespaceNode: string): ServicePart {
    const names = new Map<string, NameRecords>();
    const nodes = new Set<string>();
    for (const [n, e] of this.names) {
      names.set(n, { a: [...e.a], aaaa: [...e.aaaa], srv: [...e.srv.values()], ...(e.cname ? { cname: e.cname } : {}) });
      for (let up = n; up !== namespaceNode && !nodes.has(up); up = up.slice(up.indexOf('.') + 1)) nodes.add(up);
    }
    return { names, nodes, ptrs: this.ptrs };
  }
}

function clusterIps(spec: Obj): string[] {
  const ips: string[] = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  return ips.filter((ip) => ip && ip !== 'None');
}

function podReady(pod: Obj): boolean {
  return (pod.status?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');
}

const proto = (p: Obj) => String(p.protocol ?? 'TCP').toLowerCase();
const portName = (p: Obj, base: string) => `_${String(p.name).toLowerCase()}._${proto(p)}.${base}`;

/**
 * One Service's records. `slices` are the EndpointSlices labelled with its name (FQDN ones left
 * out by the caller); `pods` those of its namespace with spec.hostname and spec.subdomain = its name.
 */
export function serviceRecords(svc: Obj, slices: Iterable<Obj>, pods: Iterable<Obj>, zone: string): ServicePart {
  const ns: string = svc.metadata.namespace;
  const spec: Obj = svc.spec ?? {};
  const namespaceNode = `${ns}.svc.${zone}`.toLowerCase();
  const base = `${svc.metadata.name}.${namespaceNode}`.toLowerCase();
  const b = new PartBuilder();
  if (spec.type === 'ExternalName') {
    if (spec.externalName && !net.isIP(spec.externalName)) b.cname(base, spec.externalName);
    return b.done(namespaceNode);
  }
  const headless = spec.clusterIP === 'None';
  if (!headless) {
    const ips = clusterIps(spec);
    // The API server allocates the ClusterIP on create: a Service without one is not served yet.
    if (ips.length === 0) return b.done(namespaceNode);
    for (const ip of ips) {
      b.address(base, ip);
      b.ptr(ip, base);
    }
    for (const p of spec.ports ?? []) {
      b.srv(base, p.port, base);
      if (p.name) b.srv(portName(p, base), p.port, base);
    }
  }
  for (const slice of slices) {
    // A slice port without a number stands for "all ports" (a Service without selector may say so): no SRV.
    const ports = ((slice.ports ?? []) as Obj[]).filter((p) => p.port);
    for (const ep of slice.endpoints ?? []) {
      // An unset ready condition counts as ready, as the EndpointSlice API says.
      if (ep.conditions?.ready === false && !spec.publishNotReadyAddresses) continue;
      for (const ip of ep.addresses ?? []) {
        const epName = `${(ep.hostname ?? dashedIp(canonicalIp(ip))).toLowerCase()}.${base}`;
        b.address(epName, ip);
        b.ptr(ip, epName);
        for (const p of ports) b.srv(epName, p.port, epName);
        if (!headless) continue;
        b.address(base, ip);
        for (const p of ports) {
          b.srv(base, p.port, epName);
          if (p.name) b.srv(portName(p, base), p.port, epName);
        }
      }
    }
  }
  // A pod names itself host.sub.ns.svc.zone when a headless Service called `sub` exists; the
  // EndpointSlice controller gives the same name as the endpoint's hostname, but only once the
  // slice is written, and the pod may be outside the Service's selector.
  if (headless) {
    for (const pod of pods) {
      if (!podReady(pod) && !spec.publishNotReadyAddresses) continue;
      const ips: string[] = (pod.status?.podIPs ?? []).map((p: Obj) => p.ip).filter(Boolean);
      if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
      const name = `${String(pod.spec.hostname).toLowerCase()}.${base}`;
      for (const ip of ips) {
        b.address(name, ip);
        b.ptr(ip, name);
      }
    }
  }
  return b.done(namespaceNode);
}
