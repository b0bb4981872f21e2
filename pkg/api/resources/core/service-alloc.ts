/**
 * ClusterIP and NodePort allocation for Services. Addresses and ports in use are read from the
 * stored services (ctx.lookup); a process-local reservation set covers the window between a
 * create's allocation and its write reaching the store, so two concurrent creates cannot get
 * the same address. A reservation ends when the store shows the value in use, when its
 * create fails validation, or after a while (a create that failed later in the store).
 */
import type { FieldError, GroupVersionResource, KObject, ObjectLookup } from '../../types.ts';
import { type ParsedCIDR, formatIP, invalid, parseCIDR, parseIP } from '../../validation/index.ts';
import { type Obj, list } from './shape.ts';

export const SERVICES: GroupVersionResource = { group: '', version: 'v1', resource: 'services' };

export interface ServiceAllocatorOptions {
  /** e.g. '10.43.0.0/16' */
  serviceCidr: string;
  /** e.g. '30000-32767' or { min, max } */
  nodePortRange?: string | { min: number; max: number };
  /** Source of randomness in [0, 1); tests pass a fixed one. */
  random?: () => number;
  /** How long an allocation stays reserved if its service never shows up in the store. */
  reservationMs?: number;
  now?: () => number;
}

/** The address of `kubernetes.default`: the first address of the service range. */
export function kubernetesServiceIP(serviceCidr: string): string {
  const cidr = parseCIDR(serviceCidr);
  if (!cidr) throw new Error(`invalid service CIDR ${serviceCidr}`);
  return formatIP({ family: cidr.family, value: cidr.first + 1n });
}

function parsePortRange(range: ServiceAllocatorOptions['nodePortRange']): { min: number; max: number } {
  if (range === undefined) return { min: 30000, max: 32767 };
  if (typeof range === 'object') return range;
  const m = /^(\d+)-(\d+)$/.exec(range) ?? /^(\d+)\+(\d+)$/.exec(range);
  if (!m) throw new Error(`invalid node port range ${range}`);
  const min = Number(m[1]);
  return { min, max: range.includes('+') ? min + Number(m[2]) - 1 : Number(m[2]) };
}

/** Every clusterIP and nodePort of the stored services. */
function inUse(lookup: ObjectLookup | undefined): { ips: Set<string>; ports: Set<number> } {
  const ips = new Set<string>();
  const ports = new Set<number>();
  for (const svc of lookup?.list(SERVICES) ?? []) {
    for (const ip of svc.spec?.clusterIPs ?? [svc.spec?.clusterIP]) if (ip && ip !== 'None') ips.add(canonicalIP(ip));
    for (const p of svc.spec?.ports ?? []) if (p?.nodePort) ports.add(p.nodePort);
    if (svc.spec?.healthCheckNodePort) ports.add(svc.spec.healthCheckNodePort);
  }
  return { ips, ports };
}

const canonicalIP = (ip: string): string => {
  const parsed = parseIP(ip);
  return parsed ? formatIP(parsed) : ip;
};

interface Reservation {
  key: string;
  expires: number;
}

export class ServiceAllocator {
  readonly cidr: ParsedCIDR;
  readonly ports: { min: number; max: number };
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly reservationMs: number;
  private readonly reservedIPs = new Map<string, Reservation>();
  private readonly reservedPorts = new Map<number, Reservation>();

  constructor(readonly options: ServiceAllocatorOptions) {
    const cidr = parseCIDR(options.serviceCidr);
    if (!cidr) throw new Error(`invalid service CIDR ${options.serviceCidr}`);
    this.cidr = cidr;
    this.ports = parsePortRange(options.nodePortRange);
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.reservationMs = options.reservationMs ?? 60_000;
  }

  get rangeText(): string {
    return `${formatIP({ family: this.cidr.family, value: this.cidr.first })}/${this.cidr.prefixLength}`;
  }

  /** Addresses handed out: the network address and (IPv4) broadcast address are never used. */
  private bounds(): { low: bigint; high: bigint } {
    const low = this.cidr.first + 1n;
    const last = this.cidr.family === 4 ? this.cidr.last - 1n : this.cidr.last;
    // Kubernetes caps the bitmap of large (IPv6) ranges; so do we.
    const high = last - low > 65535n ? low + 65535n : last;
    return { low, high };
  }

  /** Drops expired reservations and those the store now shows in use anyway. */
  private prune(used: { ips: Set<string>; ports: Set<number> }): void {
    const now = this.now();
    for (const [ip, r] of this.reservedIPs) if (r.expires <= now || used.ips.has(ip)) this.reservedIPs.delete(ip);
    for (const [port, r] of this.reservedPorts) if (r.expires <= now || used.ports.has(port)) this.reservedPorts.delete(port);
  }

  /**
   * Allocates what a new service needs and writes it into `svc.spec`; returns field errors for
   * requested addresses or ports that are taken or out of range. `dryRun` checks but reserves nothing.
   */
  allocate(svc: KObject, lookup: ObjectLookup | undefined, dryRun: boolean, old?: KObject): FieldError[] {
    const spec = svc.spec as Obj;
    const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
    const used = inUse(lookup);
    this.prune(used);
    const takenIP = (ip: string): boolean => used.ips.has(ip) || this.reservedIPs.has(ip);
    const takenPort = (p: number): boolean => used.ports.has(p) || this.reservedPorts.has(p);
    const reservation = (): Reservation => ({ key, expires: this.now() + this.reservationMs });
    const errs: FieldError[] = [];
    if (!old) {
      const ipErrors = this.allocateClusterIP(spec, takenIP, (ip) => !dryRun && this.reservedIPs.set(ip, reservation()));
      errs.push(...ipErrors);
    }
    const oldPorts = new Set<number>((old?.spec?.ports ?? []).map((p: Obj) => p.nodePort).filter(Boolean));
    const taken = (p: number): boolean => !oldPorts.has(p) && takenPort(p);
    errs.push(...this.allocateNodePorts(spec, taken, (p) => !dryRun && this.reservedPorts.set(p, reservation())));
    return errs;
  }

  /** Forgets reservations of a service whose create failed after allocation. */
  release(svc: KObject): void {
    const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
    for (const [ip, r] of this.reservedIPs) if (r.key === key) this.reservedIPs.delete(ip);
    for (const [port, r] of this.reservedPorts) if (r.key === key) this.reservedPorts.delete(port);
  }

  private allocateClusterIP(spec: Obj, taken: (ip: string) => boolean, reserve: (ip: string) => void): FieldError[] {
    if (spec.type === 'ExternalName' || spec.clusterIP === 'None') return [];
    const requested = spec.clusterIP || spec.clusterIPs?.[0];
    if (requested) {
      const ip = parseIP(requested);
      const bad = (why: string): FieldError[] => [invalid('spec.clusterIPs', spec.clusterIPs ?? [requested], `failed to allocate IP ${requested}: ${why}`)];
      if (!ip) return [];
      const { low, high } = this.bounds();
      if (ip.family !== this.cidr.family || ip.value < low || ip.value > high) {
        return bad(`the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${this.rangeText}`);
      }
      const text = formatIP(ip);
      if (taken(text)) return bad('provided IP is already allocated');
      reserve(text);
      spec.clusterIP = requested;
      spec.clusterIPs = [requested];
      return [];
    }
    const ip = this.pickFreeIP(taken);
    if (!ip) return [invalid('spec.clusterIPs', [], `failed to allocate a serviceIP: range is full`)];
    reserve(ip);
    spec.clusterIP = ip;
    spec.clusterIPs = [ip];
    return [];
  }

  /**
   * Random addresses from the upper part of the range, as Kubernetes does, so the lower part
   * stays free for addresses people pick by hand (like the cluster DNS service's).
   */
  private pickFreeIP(taken: (ip: string) => boolean): string | undefined {
    const { low, high } = this.bounds();
    const size = high - low + 1n;
    const staticBand = size < 16n ? 0n : BigInt(Math.min(256, Math.max(16, Number(size / 16n))));
    const scan = (from: bigint, to: bigint): string | undefined => {
      const span = to - from + 1n;
      if (span <= 0n) return undefined;
      const start = BigInt(Math.floor(this.random() * Number(span)));
      for (let i = 0n; i < span; i++) {
        const text = formatIP({ family: this.cidr.family, value: from + ((start + i) % span) });
        if (!taken(text)) return text;
      }
      return undefined;
    };
    return scan(low + staticBand, high) ?? scan(low, low + staticBand - 1n);
  }

  private allocateNodePorts(spec: Obj, taken: (p: number) => boolean, reserve: (p: number) => void): FieldError[] {
    const needsNodePorts = spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
    const errs: FieldError[] = [];
    const ports: Obj[] = Array.isArray(spec.ports) ? spec.ports : [];
    const mine = new Map<number, number>(); // service port → node port, shared across protocols
    ports.forEach((p, i) => {
      if (!p.nodePort) return;
      if (mine.get(p.port) === p.nodePort) return;
      const path = `spec.ports[${i}].nodePort`;
      if (p.nodePort < this.ports.min || p.nodePort > this.ports.max) {
        errs.push(invalid(path, p.nodePort, `provided port is not in the valid range. The range of valid ports is ${this.ports.min}-${this.ports.max}`));
      } else if (taken(p.nodePort) && ![...mine.values()].includes(p.nodePort)) {
        errs.push(invalid(path, p.nodePort, 'provided port is already allocated'));
      } else {
        reserve(p.nodePort);
        mine.set(p.port, p.nodePort);
      }
    });
    if (!needsNodePorts) return errs;
    for (const p of ports) {
      if (p.nodePort) continue;
      const shared = mine.get(p.port);
      const port = shared ?? this.pickFreePort((n) => taken(n) || [...mine.values()].includes(n));
      if (port === undefined) {
        errs.push(invalid('spec.ports', p.port, 'failed to allocate a nodePort: range is full'));
        continue;
      }
      reserve(port);
      mine.set(p.port, port);
      p.nodePort = port;
    }
    return errs;
  }

  private pickFreePort(taken: (p: number) => boolean): number | undefined {
    const span = this.ports.max - this.ports.min + 1;
    const start = Math.floor(this.random() * span);
    for (let i = 0; i < span; i++) {
      const port = this.ports.min + ((start + i) % span);
      if (!taken(port)) return port;
    }
    return undefined;
  }
}
