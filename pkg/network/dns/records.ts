/**
 * The cluster's DNS records, derived from Services, EndpointSlices and Pods as the Kubernetes
 * DNS specification lays them out (CoreDNS's kubernetes plugin is the reference):
 *   svc.ns.svc.zone            A/AAAA: the ClusterIPs; headless: the ready endpoints' addresses (no
 *                              ready endpoint: the name does not exist, NXDOMAIN as the spec says)
 *   ep.svc.ns.svc.zone         an endpoint by its hostname, or by its dashed address (10-42-0-5)
 *   _port._proto.svc.ns.svc.zone  SRV per named port, target the Service (headless: each endpoint)
 *   svc.ns.svc.zone SRV        every port, named or not, as CoreDNS answers the bare name;
 *                              ep.svc.ns.svc.zone SRV: that endpoint's ports
 *   host.sub.ns.svc.zone       a pod with spec.hostname and spec.subdomain naming a headless Service
 *   ExternalName               CNAME (an IP address as externalName gives nothing, as in CoreDNS)
 * Any change only marks the index stale; it is rebuilt on the next lookup, so a burst of
 * informer events costs one rebuild.
 */
import net from 'node:net';
import type { KObject } from '../../api/types.ts';
import { canonicalIp, dashedIp, normalize } from './names.ts';

/** What the index reads; pkg/client's Informer has this shape, tests pass fakes. */
export interface Source<T> {
  list(): T[];
  onAdd(handler: (obj: T) => void): unknown;
  onUpdate(handler: (oldObj: T, newObj: T) => void): unknown;
  onDelete(handler: (obj: T) => void): unknown;
}

export interface ClusterSources {
  services: Source<KObject>;
  endpointSlices: Source<KObject>;
  pods: Source<KObject>;
  /**
   * Optional. With it, as CoreDNS: `ns.svc.zone` exists (NODATA) for every Namespace and
   * `a-b-c-d.ns.pod.zone` answers only in an existing one. Without it, a namespace exists for
   * the Service names once it holds a Service, and for pod names always.
   */
  namespaces?: Source<KObject>;
}

export interface SrvRecord { port: number; target: string }

export interface NameRecords {
  a: string[];
  aaaa: string[];
  srv: SrvRecord[];
  cname?: string;
}

interface Built {
  names: Map<string, NameRecords>;
  /** Every name that owns records, and every name above one up to the zone (empty non-terminals). */
  exists: Set<string>;
  ptr: Map<string, string[]>;
  /** Namespaces from the namespaces source, or undefined without one. */
  namespaces: Set<string> | undefined;
}

type Obj = Record<string, any>;
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export class RecordIndex {
  private built: Built | undefined;
  /** How many times the records were rebuilt (tests check that a burst of events costs one). */
  rebuilds = 0;
  /** Unix seconds of the last change seen: the zone's SOA serial, as CoreDNS's. */
  modified: number;
  readonly zone: string;

  constructor(private readonly sources: ClusterSources, zone: string, options: { now?: () => number } = {}) {
    this.zone = normalize(zone);
    const now = options.now ?? Date.now;
    this.modified = Math.floor(now() / 1000);
    const stale = () => {
      this.built = undefined;
      this.modified = Math.floor(now() / 1000);
    };
    for (const s of [sources.services, sources.endpointSlices, sources.pods, ...(sources.namespaces ? [sources.namespaces] : [])]) {
      s.onAdd(stale);
      s.onUpdate(stale);
      s.onDelete(stale);
    }
  }

  /** The records a name owns, or undefined. `name` is normalized (lower case, no trailing dot). */
  lookup(name: string): NameRecords | undefined {
    return this.current().names.get(name);
  }

  /** True when the name exists in the zone (with or without records of any type). */
  exists(name: string): boolean {
    return this.current().exists.has(name);
  }

  /** Names for an address: a Service's ClusterIP, an endpoint, a pod with hostname and subdomain. */
  ptr(ip: string): string[] {
    return this.current().ptr.get(canonicalIp(ip)) ?? [];
  }

  /** Whether `a-b-c-d.<ns>.pod.zone` may answer: the namespace exists (always true without a namespaces source). */
  podNamespace(ns: string): boolean {
    return this.current().namespaces?.has(ns) ?? true;
  }

  private current(): Built {
    if (!this.built) {
      this.built = build(this.sources, this.zone);
      this.rebuilds++;
    }
    return this.built;
  }
}

class Builder {
  readonly names = new Map<string, { a: Set<string>; aaaa: Set<string>; srv: Map<string, SrvRecord>; cname?: string }>();
  readonly exists = new Set<string>();
  readonly ptrs = new Map<string, Set<string>>();

  constructor(private readonly zone: string) {
    for (const n of [zone, `svc.${zone}`, `pod.${zone}`]) this.exists.add(n);
  }

  /** Makes the name exist (a headless Service with no ready endpoint answers NODATA, not NXDOMAIN). */
  entry(name: string) {
    let e = this.names.get(name);
    if (!e) {
      e = { a: new Set(), aaaa: new Set(), srv: new Map() };
      this.names.set(name, e);
      for (let n = name; n.length > this.zone.length && !this.exists.has(n); n = n.slice(n.indexOf('.') + 1)) this.exists.add(n);
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

  /** A name that exists without records of its own (a namespace: NODATA, not NXDOMAIN). */
  node(name: string): void {
    this.exists.add(name);
  }

  ptr(ip: string, name: string): void {
    const key = canonicalIp(ip);
    if (!this.ptrs.has(key)) this.ptrs.set(key, new Set());
    this.ptrs.get(key)!.add(name);
  }

  done(namespaces: Set<string> | undefined): Built {
    const names = new Map<string, NameRecords>();
    for (const [n, e] of this.names) {
      names.set(n, { a: [...e.a], aaaa: [...e.aaaa], srv: [...e.srv.values()], ...(e.cname ? { cname: e.cname } : {}) });
    }
    const ptr = new Map<string, string[]>();
    for (const [ip, set] of this.ptrs) ptr.set(ip, [...set]);
    return { names, exists: this.exists, ptr, namespaces };
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

function build(sources: ClusterSources, zone: string): Built {
  const b = new Builder(zone);
  const namespaces = sources.namespaces ? new Set(sources.namespaces.list().map((n) => n.metadata.name as string)) : undefined;
  for (const ns of namespaces ?? []) b.node(`${ns}.svc.${zone}`.toLowerCase());
  const slices = new Map<string, Obj[]>();
  for (const slice of sources.endpointSlices.list() as Obj[]) {
    const svc = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!svc || slice.addressType === 'FQDN') continue;
    const key = `${slice.metadata.namespace}/${svc}`;
    if (!slices.has(key)) slices.set(key, []);
    slices.get(key)!.push(slice);
  }
  const headless = new Map<string, Obj>();
  for (const svc of sources.services.list() as Obj[]) {
    const ns: string = svc.metadata.namespace;
    const name: string = svc.metadata.name;
    const spec: Obj = svc.spec ?? {};
    const base = `${name}.${ns}.svc.${zone}`.toLowerCase();
    if (!namespaces) b.node(`${ns}.svc.${zone}`.toLowerCase());
    if (spec.type === 'ExternalName') {
      if (spec.externalName && !net.isIP(spec.externalName)) b.cname(base, spec.externalName);
      continue;
    }
    const noVip = spec.clusterIP === 'None';
    if (noVip) {
      headless.set(`${ns}/${name}`, svc);
    } else {
      const ips = clusterIps(spec);
      // The API server allocates the ClusterIP on create: a Service without one is not served yet.
      if (ips.length === 0) continue;
      for (const ip of ips) {
        b.address(base, ip);
        b.ptr(ip, base);
      }
      for (const p of spec.ports ?? []) {
        b.srv(base, p.port, base);
        if (p.name) b.srv(portName(p, base), p.port, base);
      }
    }
    for (const slice of slices.get(`${ns}/${name}`) ?? []) {
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
          if (!noVip) continue;
          b.address(base, ip);
          for (const p of ports) {
            b.srv(base, p.port, epName);
            if (p.name) b.srv(portName(p, base), p.port, epName);
          }
        }
      }
    }
  }
  // A pod names itself host.sub.ns.svc.zone when a headless Service called `sub` exists; the
  // EndpointSlice controller gives the same name as the endpoint's hostname, but only once the
  // slice is written, and the pod may be outside the Service's selector.
  for (const pod of sources.pods.list() as Obj[]) {
    const { hostname, subdomain } = pod.spec ?? {};
    if (!hostname || !subdomain) continue;
    const svc = headless.get(`${pod.metadata.namespace}/${subdomain}`);
    if (!svc || (!podReady(pod) && !svc.spec?.publishNotReadyAddresses)) continue;
    const ips: string[] = (pod.status?.podIPs ?? []).map((p: Obj) => p.ip).filter(Boolean);
    if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
    const name = `${hostname}.${subdomain}.${pod.metadata.namespace}.svc.${zone}`.toLowerCase();
    for (const ip of ips) {
      b.address(name, ip);
      b.ptr(ip, name);
    }
  }
  return b.done(namespaces);
}
