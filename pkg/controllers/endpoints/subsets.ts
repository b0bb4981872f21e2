/**
 * The subsets of a core/v1 Endpoints object from a Service and its pods, as Kubernetes'
 * endpoint controller builds them: ready pods under `addresses`, the others under
 * `notReadyAddresses` (all under `addresses` with publishNotReadyAddresses), pods grouped by
 * the ports they resolve to, and at most 1,000 addresses, cut proportionally per subset
 * (truncateEndpoints) when there are more.
 */
import type { KObject } from '../../api/types.ts';
import { findPort, podHostname, podIp, podReference, servicePorts, shouldPodBeInEndpoints } from '../endpointslice/pods.ts';
import { isPodReady } from '../replicaset/pods.ts';

export const MAX_ENDPOINTS_CAPACITY = 1000;

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef: { kind: string; namespace: string; name: string; uid: string };
}

export interface Subset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: { name?: string; port: number; protocol: string; appProtocol?: string }[];
}

const byIp = (a: EndpointAddress, b: EndpointAddress): number => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.targetRef.uid < b.targetRef.uid ? -1 : 1);

/** The subsets for the service; `truncated` when more than 1,000 addresses had to be cut. */
export function computeSubsets(svc: KObject, pods: KObject[]): { subsets: Subset[]; truncated: boolean } {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const groups = new Map<string, { ports: Subset['ports']; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  const headlessWithoutPorts = servicePorts(svc).length === 0 && svc.spec?.clusterIP === 'None';
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const address: EndpointAddress = { ip: podIp(pod)!, targetRef: podReference(pod) };
    const hostname = podHostname(pod, svc);
    if (hostname) address.hostname = hostname;
    if (pod.spec?.nodeName) address.nodeName = pod.spec.nodeName;
    const ports: NonNullable<Subset['ports']> = [];
    for (const sp of servicePorts(svc)) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const p: NonNullable<Subset['ports']>[number] = { port, protocol: sp.protocol ?? 'TCP' };
      if (sp.name) p.name = sp.name;
      if (sp.appProtocol) p.appProtocol = sp.appProtocol;
      ports.push(p);
    }
    // A pod that serves none of the ports is no endpoint, except for a headless service without ports.
    if (ports.length === 0 && !headlessWithoutPorts) continue;
    const key = ports.map((p) => `${p.name ?? ''}/${p.port}/${p.protocol}/${p.appProtocol ?? ''}`).join(',');
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { ports: ports.length ? ports : undefined, ready: [], notReady: [] }));
    if (publishNotReady || isPodReady(pod)) group.ready.push(address);
    else group.notReady.push(address);
  }
  const subsets: Subset[] = [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, g]) => {
      const s: Subset = {};
      if (g.ready.length) s.addresses = g.ready.sort(byIp);
      if (g.notReady.length) s.notReadyAddresses = g.notReady.sort(byIp);
      if (g.ports) s.ports = g.ports;
      return s;
    });
  return { subsets, truncated: truncate(subsets) };
}

/**
 * Keeps at most MAX_ENDPOINTS_CAPACITY addresses: ready ones first; each subset keeps its
 * share of what remains, rounded up, as Kubernetes' truncateEndpoints does.
 */
function truncate(subsets: Subset[]): boolean {
  const ready = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
  const notReady = subsets.reduce((n, s) => n + (s.notReadyAddresses?.length ?? 0), 0);
  if (ready + notReady <= MAX_ENDPOINTS_CAPACITY) return false;
  const truncateReady = ready > MAX_ENDPOINTS_CAPACITY;
  const max = truncateReady ? MAX_ENDPOINTS_CAPACITY : MAX_ENDPOINTS_CAPACITY - ready;
  const total = truncateReady ? ready : notReady;
  let room = max;
  for (const s of subsets) {
    const field = truncateReady ? 'addresses' : 'notReadyAddresses';
    const have = s[field]?.length ?? 0;
    const keep = Math.min(Math.ceil((have / total) * max), room);
    if (s[field]) s[field] = s[field]!.slice(0, keep);
    if (truncateReady) delete s.notReadyAddresses;
    room -= s[field]?.length ?? 0;
  }
  return true;
}
