/**
 * What an object costs against a ResourceQuota (Kubernetes' quota evaluators), shared by the
 * resourcequota controller (status.used) and the ResourceQuota admission plugin: pods count
 * their requests and limits while not finished; services their node ports and load balancers;
 * claims their storage, per storage class too; every object counts as count/<resource>[.<group>]
 * and, for a few core kinds, under its legacy name (configmaps, secrets, …).
 */
import type { KObject } from '../../api/types.ts';
import { addQuantities, compareQuantities, formatQuantity, type Quantity, tryParseQuantity } from '../../api/validation/index.ts';

export type Usage = Map<string, Quantity>;

const one = (): Quantity => ({ nanos: 1_000_000_000n, format: 'DecimalSI' });
const count = (n: number): Quantity => ({ nanos: BigInt(n) * 1_000_000_000n, format: 'DecimalSI' });
export const zero = (): Quantity => ({ nanos: 0n, format: 'DecimalSI' });

/** Core kinds counted under a name of their own besides count/<resource>. */
const LEGACY_COUNTS: Record<string, string> = {
  configmaps: 'configmaps',
  secrets: 'secrets',
  replicationcontrollers: 'replicationcontrollers',
  resourcequotas: 'resourcequotas',
  services: 'services',
  persistentvolumeclaims: 'persistentvolumeclaims',
};

const STORAGE_CLASS_SUFFIX = '.storageclass.storage.k8s.io/';
const POD_RESOURCES = new Set([
  'pods', 'count/pods', 'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage',
]);
/** Scopes only pods can match: a quota with any of them leaves other kinds alone. */
export const POD_SCOPES = new Set(['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity']);

export function countName(group: string, resource: string): string {
  return group ? `count/${resource}.${group}` : `count/${resource}`;
}

const isExtended = (name: string): boolean => name.includes('/') && !name.startsWith('kubernetes.io/') && !name.includes('.kubernetes.io/');

/** Whether a quota's resource name is one this kind of object is measured by. */
export function matchesResource(group: string, resource: string, name: string): boolean {
  if (name === countName(group, resource)) return true;
  if (group !== '') return false;
  if (LEGACY_COUNTS[resource] === name) return true;
  if (resource === 'pods') return POD_RESOURCES.has(name) || name.startsWith('hugepages-') || name.startsWith('requests.hugepages-') || (name.startsWith('requests.') && isExtended(name.slice(9)));
  if (resource === 'services') return name === 'services.nodeports' || name === 'services.loadbalancers';
  if (resource === 'persistentvolumeclaims') return name === 'requests.storage' || (name.includes(STORAGE_CLASS_SUFFIX) && (name.endsWith('/requests.storage') || name.endsWith('/persistentvolumeclaims')));
  return false;
}

type ResourceList = Record<string, unknown> | undefined;
interface ContainerLike { resources?: { requests?: ResourceList; limits?: ResourceList }; restartPolicy?: string }

function addList(into: Usage, list: ResourceList): void {
  for (const [name, value] of Object.entries(list ?? {})) {
    const q = tryParseQuantity(value);
    if (q) into.set(name, into.has(name) ? sum(into.get(name)!, q) : q);
  }
}

function maxInto(into: Usage, other: Usage): void {
  for (const [name, q] of other) if (!into.has(name) || compareQuantities(q, into.get(name)!) > 0) into.set(name, q);
}

/** A pod's effective requests or limits: containers and sidecars add up, other init containers take the max. */
export function podResources(pod: KObject, field: 'requests' | 'limits'): Usage {
  const total: Usage = new Map();
  for (const c of (pod.spec?.containers ?? []) as ContainerLike[]) addList(total, c.resources?.[field]);
  const sidecars: Usage = new Map();
  for (const c of (pod.spec?.initContainers ?? []) as ContainerLike[]) {
    if (c.restartPolicy === 'Always') {
      addList(total, c.resources?.[field]);
      addList(sidecars, c.resources?.[field]);
      continue;
    }
    const during: Usage = new Map(sidecars);
    addList(during, c.resources?.[field]);
    maxInto(total, during);
  }
  addList(total, pod.spec?.overhead);
  return total;
}

/** A pod still holds compute quota: not finished, and not stuck terminating past its grace period. */
export function podCountsAgainstQuota(pod: KObject, now: number): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const deletion = pod.metadata.deletionTimestamp;
  if (deletion && pod.metadata.deletionGracePeriodSeconds !== undefined) {
    return now <= Date.parse(deletion) + pod.metadata.deletionGracePeriodSeconds * 1000;
  }
  return true;
}

function podUsage(pod: KObject, now: number): Usage {
  const usage: Usage = new Map([['count/pods', one()]]);
  if (!podCountsAgainstQuota(pod, now)) return usage;
  usage.set('pods', one());
  const requests = podResources(pod, 'requests');
  const limits = podResources(pod, 'limits');
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
    const req = requests.get(r);
    if (req) {
      usage.set(r, req);
      usage.set(`requests.${r}`, req);
    }
    const lim = limits.get(r);
    if (lim) usage.set(`limits.${r}`, lim);
  }
  for (const [name, q] of requests) {
    if (name.startsWith('hugepages-')) usage.set(name, q);
    if (name.startsWith('hugepages-') || isExtended(name)) usage.set(`requests.${name}`, q);
  }
  return usage;
}

function serviceUsage(svc: KObject): Usage {
  const usage: Usage = new Map([['services', one()], ['count/services', one()]]);
  const ports = (svc.spec?.ports ?? []) as { nodePort?: number }[];
  if (svc.spec?.type === 'NodePort') usage.set('services.nodeports', count(ports.length));
  if (svc.spec?.type === 'LoadBalancer') {
    // Without allocated node ports only the ports that name one explicitly take one.
    const nodePorts = svc.spec?.allocateLoadBalancerNodePorts === false ? ports.filter((p) => p.nodePort).length : ports.length;
    usage.set('services.nodeports', count(nodePorts));
    usage.set('services.loadbalancers', one());
  }
  return usage;
}

function claimUsage(pvc: KObject): Usage {
  const usage: Usage = new Map([['persistentvolumeclaims', one()], ['count/persistentvolumeclaims', one()]]);
  const storageClass: string | undefined = pvc.spec?.storageClassName ?? pvc.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'];
  if (storageClass) usage.set(`${storageClass}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`, one());
  const requested = tryParseQuantity(pvc.spec?.resources?.requests?.storage);
  const allocated = tryParseQuantity(pvc.status?.allocatedResources?.storage);
  const storage = requested && allocated && compareQuantities(allocated, requested) > 0 ? allocated : requested;
  if (storage && storage.nanos !== 0n) {
    usage.set('requests.storage', storage);
    if (storageClass) usage.set(`${storageClass}${STORAGE_CLASS_SUFFIX}requests.storage`, storage);
  }
  return usage;
}

/** Everything the object is measured by. */
export function objectUsage(group: string, resource: string, obj: KObject, now = Date.now()): Usage {
  if (group === '' && resource === 'pods') return podUsage(obj, now);
  if (group === '' && resource === 'services') return serviceUsage(obj);
  if (group === '' && resource === 'persistentvolumeclaims') return claimUsage(obj);
  const usage: Usage = new Map([[countName(group, resource), one()]]);
  if (group === '' && LEGACY_COUNTS[resource]) usage.set(LEGACY_COUNTS[resource]!, one());
  return usage;
}

/** a + b in a's notation, or b's when a is zero (Quantity.Add: "0" + 512Mi is 512Mi). */
function sum(a: Quantity, b: Quantity): Quantity {
  return a.nanos === 0n ? { nanos: b.nanos, format: b.format } : addQuantities(a, b);
}

export function addUsage(into: Usage, other: Usage): void {
  for (const [name, q] of other) into.set(name, into.has(name) ? sum(into.get(name)!, q) : q);
}

/** `a=1,b=2` with names sorted, as Kubernetes prints resource lists in quota messages. */
export function prettyPrint(usage: Usage): string {
  return [...usage.keys()].sort().map((k) => `${k}=${formatQuantity(usage.get(k)!)}`).join(',');
}

/** A ResourceList (`{ pods: "2" }`) as parsed quantities; unparseable values are left out. */
export function parseList(list: Record<string, unknown> | undefined): Usage {
  const usage: Usage = new Map();
  for (const [name, value] of Object.entries(list ?? {})) {
    const q = tryParseQuantity(value);
    if (q) usage.set(name, q);
  }
  return usage;
}

export function formatList(usage: Usage): Record<string, string> {
  return Object.fromEntries([...usage.entries()].map(([k, q]) => [k, formatQuantity(q)]));
}
