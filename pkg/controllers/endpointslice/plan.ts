/**
 * The EndpointSlices one Service should have, as a plan against the slices it has: which to
 * create, update and delete. Like Kubernetes' reconciler it keeps churn low: an endpoint stays
 * in the slice that holds it (updated in place when its conditions change), new endpoints fill
 * slices with room before a new slice is made, and a slice is rewritten only when it changed.
 * Pods are grouped by the ports they resolve to, since a slice carries one set of ports.
 */
import type { KObject } from '../../api/types.ts';
import { canonicalJson as canonical } from '../history/revision.ts';
import { isPodReady } from '../replicaset/pods.ts';
import { findPort, podHostname, podIp, podReference, servicePorts, shouldPodBeInEndpoints } from './pods.ts';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
const HEADLESS_LABEL = 'service.kubernetes.io/headless';
const ZONE_LABEL = 'topology.kubernetes.io/zone';

export const MAX_ENDPOINTS_PER_SLICE = 100;

export interface Endpoint {
  addresses: string[];
  /** Mirrored endpoints carry `ready` only, as Kubernetes mirrors them. */
  conditions: { ready: boolean; serving?: boolean; terminating?: boolean };
  hostname?: string;
  targetRef?: { kind: string; namespace: string; name: string; uid: string };
  nodeName?: string;
  zone?: string;
}

export interface EndpointPort {
  name: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface SlicePlan {
  create: KObject[];
  update: KObject[];
  delete: KObject[];
}

/** Field by field: comparing JSON of 10,000 endpoints on every pod change costs too much. */
function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  const ac = a.conditions ?? {};
  const bc = b.conditions ?? {};
  return (
    a.addresses.length === b.addresses.length &&
    a.addresses.every((x, i) => x === b.addresses[i]) &&
    ac.ready === bc.ready && ac.serving === bc.serving && ac.terminating === bc.terminating &&
    a.hostname === b.hostname && a.nodeName === b.nodeName && a.zone === b.zone &&
    a.targetRef?.uid === b.targetRef?.uid && a.targetRef?.name === b.targetRef?.name && a.targetRef?.namespace === b.targetRef?.namespace && a.targetRef?.kind === b.targetRef?.kind &&
    Object.keys(a).length === Object.keys(b).length
  );
}

const sameEndpoints = (a: Endpoint[], b: Endpoint[]): boolean => a.length === b.length && a.every((e, i) => sameEndpoint(e, b[i]!));

/** One text per set of ports, whatever their order (computed per pod: kept cheap). */
export const portsKey = (ports: EndpointPort[] | undefined): string => (ports ?? []).map((p) => `${p.name}/${p.port}/${p.protocol}/${p.appProtocol ?? ''}`).sort().join(',');
const endpointKey = (ep: Endpoint): string => ep.targetRef?.uid ?? ep.addresses[0] ?? '';

export function addressType(svc: KObject): 'IPv4' | 'IPv6' {
  return svc.spec?.ipFamilies?.[0] === 'IPv6' ? 'IPv6' : 'IPv4';
}

/** The labels every slice of the service carries: the service's own plus the controller's. */
export function sliceLabels(svc: KObject): Record<string, string> {
  const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}), [SERVICE_NAME_LABEL]: svc.metadata.name!, [MANAGED_BY_LABEL]: MANAGED_BY };
  if (svc.spec?.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
  else delete labels[HEADLESS_LABEL];
  return labels;
}

function podEndpoint(svc: KObject, pod: KObject, zoneOf: (node: string) => string | undefined): Endpoint {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata.deletionTimestamp;
  // A terminating pod is never "ready" unless the service publishes not-ready addresses.
  const ready = publishNotReady || (serving && !terminating);
  const ep: Endpoint = { addresses: [podIp(pod)!], conditions: { ready, serving, terminating }, targetRef: podReference(pod) };
  const hostname = podHostname(pod, svc);
  if (hostname) ep.hostname = hostname;
  const node = pod.spec?.nodeName;
  if (node) {
    ep.nodeName = node;
    const zone = zoneOf(node);
    if (zone) ep.zone = zone;
  }
  return ep;
}

/** Desired endpoints grouped by the ports they resolve to. */
export function desiredEndpoints(svc: KObject, pods: KObject[], zoneOf: (node: string) => string | undefined): Map<string, { ports: EndpointPort[]; endpoints: Endpoint[] }> {
  const family = addressType(svc);
  const groups = new Map<string, { ports: EndpointPort[]; endpoints: Endpoint[] }>();
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ip = podIp(pod)!;
    if (ip.includes(':') !== (family === 'IPv6')) continue;
    const ports: EndpointPort[] = [];
    for (const sp of servicePorts(svc)) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const p: EndpointPort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
      if (sp.appProtocol) p.appProtocol = sp.appProtocol;
      ports.push(p);
    }
    const key = portsKey(ports);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { ports, endpoints: [] }));
    group.endpoints.push(podEndpoint(svc, pod, zoneOf));
  }
  return groups;
}

function newSlice(svc: KObject, ports: EndpointPort[], endpoints: Endpoint[]): KObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${svc.metadata.name}-`,
      namespace: svc.metadata.namespace,
      labels: sliceLabels(svc),
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: svc.metadata.name!, uid: svc.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    addressType: addressType(svc),
    endpoints,
    ports,
  } as KObject;
}

/** Plans the service's slices from its pods, given the slices this controller made for it. */
export function planSlices(svc: KObject, pods: KObject[], existing: KObject[], zoneOf: (node: string) => string | undefined, maxPerSlice = MAX_ENDPOINTS_PER_SLICE): SlicePlan {
  return reconcileSlices({
    groups: desiredEndpoints(svc, pods, zoneOf),
    labels: sliceLabels(svc),
    addressType: addressType(svc),
    make: (ports, endpoints) => newSlice(svc, ports, endpoints),
    placeholder: true,
    maxPerSlice,
  }, existing);
}

/** What slices of one address type should hold, and how to make a new one. */
export interface SliceTarget {
  /** Endpoints by port set (keyed by portsKey). */
  groups: Map<string, { ports: EndpointPort[]; endpoints: Endpoint[] }>;
  labels: Record<string, string>;
  addressType: string;
  make(ports: EndpointPort[], endpoints: Endpoint[]): KObject;
  /** With no endpoints at all, keep one empty slice saying the service was processed. */
  placeholder: boolean;
  maxPerSlice: number;
}

/** The plan that turns `existing` slices into the target with the fewest writes. */
export function reconcileSlices(target: SliceTarget, existing: KObject[]): SlicePlan {
  const { groups, labels, maxPerSlice } = target;
  const type = target.addressType;
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  // Per port group: slices kept (with their new endpoint lists) and the endpoints not yet placed.
  const kept = new Map<string, { slice: KObject; endpoints: Endpoint[]; changed: boolean }[]>();
  const unplaced = new Map<string, Map<string, Endpoint>>();
  for (const [key, g] of groups) unplaced.set(key, new Map(g.endpoints.map((ep) => [endpointKey(ep), ep])));
  for (const slice of existing) {
    const key = portsKey(slice.ports);
    const want = unplaced.get(key);
    if (!want || slice.addressType !== type) {
      plan.delete.push(slice);
      continue;
    }
    const endpoints: Endpoint[] = [];
    for (const ep of (slice.endpoints ?? []) as Endpoint[]) {
      const desired = want.get(endpointKey(ep));
      if (!desired || endpoints.length >= maxPerSlice) continue;
      want.delete(endpointKey(ep));
      endpoints.push(desired);
    }
    const changed = !sameEndpoints(endpoints, (slice.endpoints ?? []) as Endpoint[]) || canonical(labels) !== canonical(slice.metadata.labels ?? {});
    let list = kept.get(key);
    if (!list) kept.set(key, (list = []));
    list.push({ slice, endpoints, changed });
  }
  for (const [key, group] of groups) {
    const rest = [...unplaced.get(key)!.values()];
    let next = 0;
    const slices = kept.get(key) ?? [];
    // Fill slices that are being rewritten anyway first, then the fullest ones: fewer writes, fewer slices.
    slices.sort((a, b) => Number(b.changed) - Number(a.changed) || b.endpoints.length - a.endpoints.length);
    for (const s of slices) {
      while (next < rest.length && s.endpoints.length < maxPerSlice) {
        s.endpoints.push(rest[next++]!);
        s.changed = true;
      }
    }
    for (; next < rest.length; next += maxPerSlice) plan.create.push(target.make(group.ports, rest.slice(next, next + maxPerSlice)));
    for (const s of slices) {
      if (s.endpoints.length === 0) plan.delete.push(s.slice);
      else if (s.changed) plan.update.push({ ...s.slice, metadata: { ...s.slice.metadata, labels }, endpoints: s.endpoints } as KObject);
    }
  }
  if (groups.size === 0 && target.placeholder) {
    const placeholder = plan.delete.find((s) => (s.endpoints ?? []).length === 0 && (s.ports ?? []).length === 0 && s.addressType === type);
    if (placeholder) {
      plan.delete = plan.delete.filter((s) => s !== placeholder);
      if (canonical(labels) !== canonical(placeholder.metadata.labels ?? {})) plan.update.push({ ...placeholder, metadata: { ...placeholder.metadata, labels } } as KObject);
    } else {
      plan.create.push(target.make([], []));
    }
  }
  return plan;
}
