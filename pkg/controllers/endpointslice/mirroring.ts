/**
 * endpointslicemirroring-controller: a Service without a selector whose Endpoints someone else
 * writes (an external database's addresses, say) gets those addresses as EndpointSlices too,
 * owned by the Endpoints, so everything that reads slices (the service proxy) sees them. Not
 * mirrored: services with a selector (the EndpointSlice controller's), Endpoints labelled
 * endpointslice.kubernetes.io/skip-mirror=true (the API server's own `kubernetes`), and more
 * than 1,000 addresses of one subset, as in Kubernetes.
 */
import type { KObject } from '../../api/types.ts';
import { byNamespace } from '../../client/factory.ts';
import type { Informer } from '../../client/informer.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { type Endpoint, type EndpointPort, MANAGED_BY_LABEL, MAX_ENDPOINTS_PER_SLICE, portsKey, reconcileSlices, SERVICE_NAME_LABEL } from './plan.ts';
import { WriteTracker } from './tracker.ts';
import { SliceWriter } from './writer.ts';
import { sliceService } from './controller.ts';

const SA = 'endpointslicemirroring-controller';
export const MIRRORING_MANAGED_BY = 'endpointslicemirroring-controller.k8s.io';
const SKIP_MIRROR_LABEL = 'endpointslice.kubernetes.io/skip-mirror';
const MAX_PER_SUBSET = 1000;
const STALE_RETRY_MS = 100;

interface Address { ip: string; hostname?: string; nodeName?: string; targetRef?: Endpoint['targetRef'] }
interface Subset { addresses?: Address[]; notReadyAddresses?: Address[]; ports?: { name?: string; port: number; protocol?: string; appProtocol?: string }[] }

/** The Endpoints' addresses of one family by port set: ready ones first, at most 1,000 per subset. */
export function mirroredGroups(endpoints: KObject, type: 'IPv4' | 'IPv6'): Map<string, { ports: EndpointPort[]; endpoints: Endpoint[] }> {
  const groups = new Map<string, { ports: EndpointPort[]; endpoints: Endpoint[] }>();
  for (const subset of (endpoints.subsets ?? []) as Subset[]) {
    const ports: EndpointPort[] = (subset.ports ?? []).map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP', ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) }));
    const addresses: [Address, boolean][] = [...(subset.addresses ?? []).map((a): [Address, boolean] => [a, true]), ...(subset.notReadyAddresses ?? []).map((a): [Address, boolean] => [a, false])];
    for (const [a, ready] of addresses.slice(0, MAX_PER_SUBSET)) {
      if (a.ip.includes(':') !== (type === 'IPv6')) continue;
      const ep: Endpoint = { addresses: [a.ip], conditions: { ready } };
      if (a.hostname) ep.hostname = a.hostname;
      if (a.nodeName) ep.nodeName = a.nodeName;
      if (a.targetRef) ep.targetRef = a.targetRef;
      const key = portsKey(ports);
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { ports, endpoints: [] }));
      group.endpoints.push(ep);
    }
  }
  return groups;
}

function mirrorLabels(endpoints: KObject): Record<string, string> {
  return { ...(endpoints.metadata.labels ?? {}), [SERVICE_NAME_LABEL]: endpoints.metadata.name!, [MANAGED_BY_LABEL]: MIRRORING_MANAGED_BY };
}

function newMirror(endpoints: KObject, type: string, ports: EndpointPort[], list: Endpoint[]): KObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${endpoints.metadata.name}-`,
      namespace: endpoints.metadata.namespace,
      labels: mirrorLabels(endpoints),
      ownerReferences: [{ apiVersion: 'v1', kind: 'Endpoints', name: endpoints.metadata.name!, uid: endpoints.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    addressType: type,
    endpoints: list,
    ports,
  } as KObject;
}

export class EndpointSliceMirroringController implements Controller {
  readonly name = 'endpointslicemirroring-controller';
  private readonly queue = new WorkQueue((key) => this.reconcile(key), { name: this.name, paused: true });
  private readonly tracker = new WriteTracker();
  private services!: Informer;
  private endpoints!: Informer;
  private slices!: Informer;
  private writer!: SliceWriter;

  init(ctx: ControllerContext): void {
    this.writer = new SliceWriter(ctx.clientFor(SA), this.tracker);
    this.services = ctx.informers.informerFor({ version: 'v1', resource: 'services' }).addIndex('namespace', byNamespace);
    this.endpoints = ctx.informers.informerFor({ version: 'v1', resource: 'endpoints' });
    this.slices = ctx.informers
      .informerFor({ group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', labelSelector: `${MANAGED_BY_LABEL}=${MIRRORING_MANAGED_BY}` })
      .addIndex('service', sliceService);
    const enqueue = (obj: KObject) => this.queue.add(`${obj.metadata.namespace}/${obj.metadata.name}`);
    for (const informer of [this.services, this.endpoints]) informer.onAdd(enqueue).onUpdate((_o, n) => enqueue(n)).onDelete(enqueue);
    const sliceChanged = (s: KObject) => this.queue.add(`${s.metadata.namespace}/${s.metadata.labels?.[SERVICE_NAME_LABEL]}`);
    this.slices.onAdd(sliceChanged).onUpdate((_o, n) => sliceChanged(n)).onDelete(sliceChanged);
  }

  run(): void {
    this.queue.resume();
  }

  stop(): void {
    this.queue.stop();
  }

  async reconcile(key: string): Promise<boolean | number> {
    const namespace = key.slice(0, key.indexOf('/'));
    if (!this.tracker.observed(key, (name) => this.slices.get(`${namespace}/${name}`))) return STALE_RETRY_MS;
    const existing = this.slices.byIndex('service', key).filter((s) => !s.metadata.deletionTimestamp);
    const endpoints = this.endpoints.get(key);
    const svc = this.services.get(key);
    const mirrored = endpoints && svc && !endpoints.metadata.deletionTimestamp && (svc.spec?.selector === undefined || svc.spec?.selector === null) && endpoints.metadata.labels?.[SKIP_MIRROR_LABEL] !== 'true';
    const owned = mirrored ? existing.filter((s) => s.metadata.ownerReferences?.some((r) => r.uid === endpoints.metadata.uid)) : [];
    for (const slice of existing) if (!owned.includes(slice)) await this.writer.remove(key, slice);
    if (!mirrored) return true;
    for (const type of ['IPv4', 'IPv6'] as const) {
      const plan = reconcileSlices({
        groups: mirroredGroups(endpoints, type),
        labels: mirrorLabels(endpoints),
        addressType: type,
        make: (ports, list) => newMirror(endpoints, type, ports, list),
        placeholder: false,
        maxPerSlice: MAX_ENDPOINTS_PER_SLICE,
      }, owned.filter((s) => s.addressType === type));
      if (!(await this.writer.apply(key, namespace, plan))) return false;
    }
    return true;
  }
}

export const endpointSliceMirroringController = (): Controller => new EndpointSliceMirroringController();
