/**
 * The cluster's DNS records, kept per Service (servicerecords.ts builds one Service's part).
 * Informer events only file the object and mark its Service dirty; the next lookup rebuilds
 * the dirty Services' parts and swaps them in, so a burst of events costs one pass and a change
 * costs that Service's endpoints, not the cluster's. Pods matter only with spec.hostname and
 * spec.subdomain: the status churn of other pods touches nothing.
 */
import type { KObject } from '../../api/types.ts';
import { canonicalIp, normalize } from './names.ts';
import { serviceRecords, type NameRecords, type ServicePart } from './servicerecords.ts';

export type { NameRecords, SrvRecord } from './servicerecords.ts';

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

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
type Obj = Record<string, any>;
/** Objects filed per Service key ("ns/name"), each by its own name. */
type Filed = Map<string, Map<string, Obj>>;

const sliceKey = (s: Obj) => {
  const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
  return svc && s.addressType !== 'FQDN' ? `${s.metadata.namespace}/${svc}` : undefined;
};
const podKey = (p: Obj) => (p.spec?.hostname && p.spec?.subdomain ? `${p.metadata.namespace}/${p.spec.subdomain}` : undefined);

function file(into: Filed, key: string | undefined, obj: Obj, keep: boolean): void {
  if (!key) return;
  let m = into.get(key);
  if (keep) {
    if (!m) into.set(key, (m = new Map()));
    m.set(obj.metadata.name, obj);
  } else if (m?.delete(obj.metadata.name) && m.size === 0) {
    into.delete(key);
  }
}

export class RecordIndex {
  readonly zone: string;
  /** Lookups that had changes to apply (a burst of events costs one). */
  rebuilds = 0;
  /** Service parts rebuilt in all (a change costs the Services it touches). */
  partsBuilt = 0;
  /** Unix seconds of the last change seen: the zone's SOA serial, as CoreDNS's. */
  modified: number;

  private readonly services = new Map<string, Obj>();
  private readonly slices: Filed = new Map();
  private readonly pods: Filed = new Map();
  private readonly namespaces: Set<string> | undefined;
  /** Services per namespace, for namespace nodes without a namespaces source. */
  private readonly perNamespace = new Map<string, number>();
  private readonly dirty = new Set<string>();
  private readonly parts = new Map<string, ServicePart>();
  private readonly names = new Map<string, NameRecords>();
  private readonly nodes = new Set<string>();
  private readonly ptrs = new Map<string, Set<string>>();
  private readonly now: () => number;

  constructor(sources: ClusterSources, zone: string, options: { now?: () => number } = {}) {
    this.zone = normalize(zone);
    this.now = options.now ?? Date.now;
    this.modified = Math.floor(this.now() / 1000);
    const svc = (o: Obj, keep: boolean) => {
      const key = `${o.metadata.namespace}/${o.metadata.name}`;
      const had = this.services.has(key);
      if (keep) this.services.set(key, o);
      else this.services.delete(key);
      if (had !== keep) this.perNamespace.set(o.metadata.namespace, (this.perNamespace.get(o.metadata.namespace) ?? 0) + (keep ? 1 : -1));
      this.touch(key);
    };
    const filed = (into: Filed, keyOf: (o: Obj) => string | undefined) => (o: Obj, keep: boolean) => {
      const key = keyOf(o);
      file(into, key, o, keep);
      if (key) this.touch(key);
    };
    const slice = filed(this.slices, sliceKey);
    const pod = filed(this.pods, podKey);
    watch(sources.services, svc);
    watch(sources.endpointSlices, slice);
    watch(sources.pods, pod);
    if (sources.namespaces) {
      const set = (this.namespaces = new Set());
      watch(sources.namespaces, (o, keep) => {
        if (keep) set.add(o.metadata.name);
        else set.delete(o.metadata.name);
        this.touch(undefined);
      });
    }
  }

  /** The records a name owns, or undefined. `name` is normalized (lower case, no trailing dot). */
  lookup(name: string): NameRecords | undefined {
    this.refresh();
    return this.names.get(name);
  }

  /** True when the name exists in the zone (with or without records of any type). */
  exists(name: string): boolean {
    this.refresh();
    if (this.nodes.has(name) || name === this.zone || name === `svc.${this.zone}` || name === `pod.${this.zone}`) return true;
    const suffix = `.svc.${this.zone}`;
    const ns = name.endsWith(suffix) ? name.slice(0, -suffix.length) : '';
    if (!ns || ns.includes('.')) return false;
    // A namespace holding a Service exists even before the namespaces source has caught up.
    return (this.perNamespace.get(ns) ?? 0) > 0 || (this.namespaces?.has(ns) ?? false);
  }

  /** Names for an address: a Service's ClusterIP, an endpoint, a pod with hostname and subdomain. */
  ptr(ip: string): string[] {
    this.refresh();
    return [...(this.ptrs.get(canonicalIp(ip)) ?? [])];
  }

  /** Whether `a-b-c-d.<ns>.pod.zone` may answer: the namespace exists (always true without a namespaces source). */
  podNamespace(ns: string): boolean {
    return this.namespaces?.has(ns) ?? true;
  }

  private touch(key: string | undefined): void {
    if (key) this.dirty.add(key);
    this.modified = Math.floor(this.now() / 1000);
  }

  private refresh(): void {
    if (this.dirty.size === 0) return;
    this.rebuilds++;
    for (const key of this.dirty) {
      const old = this.parts.get(key);
      if (old) this.remove(old);
      const svc = this.services.get(key);
      if (!svc) {
        this.parts.delete(key);
        continue;
      }
      const part = serviceRecords(svc, this.slices.get(key)?.values() ?? [], this.pods.get(key)?.values() ?? [], this.zone);
      this.partsBuilt++;
      this.parts.set(key, part);
      this.add(part);
    }
    this.dirty.clear();
  }

  private add(part: ServicePart): void {
    for (const [n, r] of part.names) this.names.set(n, r);
    for (const n of part.nodes) this.nodes.add(n);
    for (const [ip, n] of part.ptrs) {
      let set = this.ptrs.get(ip);
      if (!set) this.ptrs.set(ip, (set = new Set()));
      set.add(n);
    }
  }

  private remove(part: ServicePart): void {
    for (const n of part.names.keys()) this.names.delete(n);
    for (const n of part.nodes) this.nodes.delete(n);
    for (const [ip, n] of part.ptrs) {
      const set = this.ptrs.get(ip);
      if (set?.delete(n) && set.size === 0) this.ptrs.delete(ip);
    }
  }
}

/** Files what the source holds now and every change after: `keep` false for a deletion. */
function watch(source: Source<KObject>, apply: (o: Obj, keep: boolean) => void): void {
  source.onAdd((o) => apply(o, true));
  source.onUpdate((old, o) => {
    apply(old, false);
    apply(o, true);
  });
  source.onDelete((o) => apply(o, false));
  for (const o of source.list()) apply(o, true);
}
