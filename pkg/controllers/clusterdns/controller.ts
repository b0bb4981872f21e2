/**
 * cluster-dns-controller: the kube-dns Service that pods are told to use (--cluster-dns, k3s's
 * 10.43.0.10) and where it leads. tsk runs no CoreDNS pods: every agent answers DNS itself on
 * its bridge's gateway address (the first address of its podCIDR). So the Service has no
 * selector and internalTrafficPolicy Local, and this controller lists each node's gateway as an
 * endpoint of that node: a pod's query goes to its own node's server, never across the
 * network, and the service proxy needs no special case for DNS.
 *
 * The Service itself is an object of the packaged manifest coredns.yaml, applied by the deploy
 * controller (pkg/server/deploy); this controller only creates the same Service when it is
 * missing (deleted by hand), never changes an existing one, so an edited coredns.yaml wins. A
 * node counts as ready while its Ready condition is True. `--disable coredns` turns the
 * controller off and removes coredns.yaml with its Service.
 */
import type { KObject } from '../../api/types.ts';
import { isClientError } from '../../client/errors.ts';
import type { Informer } from '../../client/informer.ts';
import { resourcePath } from '../../client/paths.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { Client } from '../../client/client.ts';
import { logger } from '../../log/log.ts';
import { gatewayOf } from '../../network/cidr.ts';
import type { Controller, ControllerContext } from '../manager.ts';

const log = logger('cluster-dns-controller');

const SERVICE_ACCOUNT = 'cluster-dns-controller';
const FIELD_MANAGER = 'tsk-cluster-dns';
export const DNS_NAMESPACE = 'kube-system';
export const DNS_SERVICE = 'kube-dns';
const KEY = `${DNS_NAMESPACE}/${DNS_SERVICE}`;
/** EndpointSlices hold at most 1,000 endpoints; nodes are spread over slices of this many. */
const NODES_PER_SLICE = 500;
const MANAGED_BY = 'cluster-dns-controller.tsk.io';

const PORTS = [
  { name: 'dns', port: 53, protocol: 'UDP' },
  { name: 'dns-tcp', port: 53, protocol: 'TCP' },
];

type Obj = Record<string, any>;

/** The kube-dns Service as k3s's coredns manifest has it, minus the selector. */
export function dnsService(clusterIp: string): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: DNS_SERVICE,
      namespace: DNS_NAMESPACE,
      labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'tsk-dns' },
      annotations: {
        'tsk.io/served-by': 'every node\'s agent, at its bridge address',
        // It is the packaged coredns.yaml's (pkg/server/deploy), also when put back here, so --disable coredns deletes it.
        'deploy.tsk.io/source': 'coredns.yaml',
      },
    },
    spec: {
      clusterIP: clusterIp,
      clusterIPs: [clusterIp],
      ports: PORTS.map((p) => ({ ...p, targetPort: p.port })),
      internalTrafficPolicy: 'Local',
      type: 'ClusterIP',
    },
  } as KObject;
}

export interface NodeDnsEndpoint {
  node: string;
  address: string;
  ready: boolean;
}

/** One endpoint per node with a podCIDR, sorted by node name. */
export function nodeDnsEndpoints(nodes: KObject[]): NodeDnsEndpoint[] {
  const endpoints: NodeDnsEndpoint[] = [];
  for (const node of nodes) {
    if (node.metadata.deletionTimestamp) continue;
    const spec = (node.spec ?? {}) as Obj;
    const cidr: string | undefined = spec.podCIDRs?.[0] ?? spec.podCIDR;
    const address = cidr ? gatewayOf(cidr) : undefined;
    if (!address) continue;
    const conditions: Obj[] = ((node.status as Obj | undefined)?.conditions ?? []) as Obj[];
    const ready = conditions.some((c) => c.type === 'Ready' && c.status === 'True');
    endpoints.push({ node: node.metadata.name!, address, ready });
  }
  return endpoints.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
}

export function dnsSlices(endpoints: NodeDnsEndpoint[]): KObject[] {
  const slices: KObject[] = [];
  for (let i = 0; i === 0 || i * NODES_PER_SLICE < endpoints.length; i++) {
    const chunk = endpoints.slice(i * NODES_PER_SLICE, (i + 1) * NODES_PER_SLICE);
    slices.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: `${DNS_SERVICE}-nodes-${i}`,
        namespace: DNS_NAMESPACE,
        labels: { 'kubernetes.io/service-name': DNS_SERVICE, 'endpointslice.kubernetes.io/managed-by': MANAGED_BY },
      },
      addressType: 'IPv4',
      endpoints: chunk.map((e) => ({
        addresses: [e.address],
        nodeName: e.node,
        conditions: { ready: e.ready, serving: e.ready, terminating: false },
      })),
      ports: PORTS,
    } as KObject);
  }
  return slices;
}

/** The same for `kubectl get endpoints` and describe; mirroring would duplicate the slices, so it is told to skip. */
export function dnsEndpoints(endpoints: NodeDnsEndpoint[]): KObject {
  const address = (e: NodeDnsEndpoint) => ({ ip: e.address, nodeName: e.node });
  const ready = endpoints.filter((e) => e.ready).map(address);
  const notReady = endpoints.filter((e) => !e.ready).map(address);
  const subsets = endpoints.length === 0 ? [] : [{
    ...(ready.length ? { addresses: ready } : {}),
    ...(notReady.length ? { notReadyAddresses: notReady } : {}),
    ports: PORTS,
  }];
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: DNS_SERVICE, namespace: DNS_NAMESPACE, labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets,
  } as KObject;
}

/** Whether `current` already says what `desired` says (the fields this controller sets). */
function same(current: KObject | undefined, desired: KObject, fields: string[]): boolean {
  if (!current) return false;
  const c = current as Obj;
  const d = desired as Obj;
  // An empty list and none are the same to the API (it may drop the one for the other).
  const text = (v: unknown) => JSON.stringify(Array.isArray(v) && v.length === 0 ? null : v ?? null);
  return fields.every((f) => text(c[f]) === text(d[f]))
    && Object.entries(desired.metadata.labels ?? {}).every(([k, v]) => current.metadata.labels?.[k] === v);
}

export class ClusterDnsController implements Controller {
  readonly name = 'cluster-dns-controller';
  private readonly queue = new WorkQueue(() => this.reconcile(), { name: this.name, workers: 1, paused: true });
  private client!: Client;
  private clusterIp = '';
  private nodes!: Informer;
  private services!: Informer;
  private slices!: Informer;
  private endpoints!: Informer;

  init(ctx: ControllerContext): void {
    this.clusterIp = ctx.config.clusterDns;
    this.client = ctx.clientFor(SERVICE_ACCOUNT);
    const enqueue = () => this.queue.add(KEY);
    this.nodes = ctx.informers.informerFor({ version: 'v1', resource: 'nodes' });
    this.nodes.onAdd(enqueue).onUpdate((old, node) => {
      if (JSON.stringify(nodeDnsEndpoints([old])) !== JSON.stringify(nodeDnsEndpoints([node]))) enqueue();
    }).onDelete(enqueue);
    const ours = (obj: KObject) => {
      if (obj.metadata.namespace === DNS_NAMESPACE && (obj.metadata.name === DNS_SERVICE || obj.metadata.labels?.['kubernetes.io/service-name'] === DNS_SERVICE)) enqueue();
    };
    this.services = ctx.informers.informerFor({ version: 'v1', resource: 'services' });
    this.slices = ctx.informers.informerFor({ group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' });
    this.endpoints = ctx.informers.informerFor({ version: 'v1', resource: 'endpoints' });
    for (const informer of [this.services, this.slices, this.endpoints]) informer.onAdd(ours).onUpdate((_, obj) => ours(obj)).onDelete(ours);
  }

  run(): void {
    this.queue.add(KEY);
    this.queue.resume();
  }

  stop(): void {
    this.queue.stop();
  }

  async reconcile(): Promise<boolean> {
    if (!this.services.get(KEY)) {
      try {
        await this.client.create(resourcePath({ version: 'v1', resource: 'services', namespace: DNS_NAMESPACE }), dnsService(this.clusterIp));
        log.info(`created Service ${KEY} at ${this.clusterIp}`);
      } catch (err) {
        if (!isClientError(err, 'AlreadyExists')) throw err;
      }
    }
    const endpoints = nodeDnsEndpoints(this.nodes.list());
    const slices = dnsSlices(endpoints);
    for (const slice of slices) {
      if (same(this.slices.get(`${DNS_NAMESPACE}/${slice.metadata.name}`), slice, ['endpoints', 'ports', 'addressType'])) continue;
      await this.apply(resourcePath({ group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', namespace: DNS_NAMESPACE, name: slice.metadata.name }), slice);
    }
    const wanted = new Set(slices.map((s) => s.metadata.name));
    for (const stale of this.slices.list()) {
      if (stale.metadata.namespace !== DNS_NAMESPACE || stale.metadata.labels?.['endpointslice.kubernetes.io/managed-by'] !== MANAGED_BY || wanted.has(stale.metadata.name)) continue;
      await this.client.delete(resourcePath({ group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', namespace: DNS_NAMESPACE, name: stale.metadata.name })).catch((err: unknown) => {
        if (!isClientError(err, 'NotFound')) throw err;
      });
    }
    const legacy = dnsEndpoints(endpoints);
    if (!same(this.endpoints.get(KEY), legacy, ['subsets'])) {
      await this.apply(resourcePath({ version: 'v1', resource: 'endpoints', namespace: DNS_NAMESPACE, name: DNS_SERVICE }), legacy);
    }
    return true;
  }

  private async apply(path: string, obj: KObject): Promise<void> {
    await this.client.patch(path, obj, 'apply', { fieldManager: FIELD_MANAGER, force: true });
  }
}

export const clusterDnsController = (): Controller => new ClusterDnsController();
