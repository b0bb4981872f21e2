/**
 * service-lb-controller: k3s's ServiceLB without its svclb pods. A LoadBalancer Service is
 * reachable on every eligible node's own address at the service port, because each node's
 * service proxy forwards what arrives for the addresses in status.loadBalancer.ingress; this
 * controller writes those addresses: the nodes' ExternalIP, else InternalIP, of Ready nodes —
 * only those labelled svccontroller.k3s.cattle.io/enablelb=true when any node is (k3s's
 * label, so clusters moving over keep their node pools). A Service whose port another,
 * older LoadBalancer Service already holds on the nodes stays pending, as k3s's would (its
 * svclb pods could not get the host port). Services with a loadBalancerClass belong to
 * another implementation and are left alone. `--disable servicelb` turns it off.
 */
import type { KObject } from '../../api/types.ts';
import { isClientError } from '../../client/errors.ts';
import type { EventSink } from '../../client/events.ts';
import type { Informer } from '../../client/informer.ts';
import { resourcePath } from '../../client/paths.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { Client } from '../../client/client.ts';
import type { Controller, ControllerContext } from '../manager.ts';

const SERVICE_ACCOUNT = 'service-lb-controller';
export const ENABLE_LB_LABEL = 'svccontroller.k3s.cattle.io/enablelb';

type Obj = Record<string, any>;

const isLoadBalancer = (svc: KObject) => (svc.spec as Obj | undefined)?.type === 'LoadBalancer' && !(svc.spec as Obj).loadBalancerClass;

/** The addresses LoadBalancer Services get: one per eligible Ready node, sorted. */
export function nodeAddresses(nodes: KObject[]): string[] {
  const labelled = nodes.some((n) => n.metadata.labels?.[ENABLE_LB_LABEL] === 'true');
  const ips = new Set<string>();
  for (const node of nodes) {
    if (node.metadata.deletionTimestamp) continue;
    if (labelled && node.metadata.labels?.[ENABLE_LB_LABEL] !== 'true') continue;
    const status = (node.status ?? {}) as Obj;
    if (!((status.conditions ?? []) as Obj[]).some((c) => c.type === 'Ready' && c.status === 'True')) continue;
    const addresses = (status.addresses ?? []) as Obj[];
    const ip = addresses.find((a) => a.type === 'ExternalIP')?.address ?? addresses.find((a) => a.type === 'InternalIP')?.address;
    if (typeof ip === 'string' && ip) ips.add(ip);
  }
  return [...ips].sort();
}

const portKeys = (svc: KObject): string[] => ((svc.spec as Obj).ports ?? []).map((p: Obj) => `${p.protocol ?? 'TCP'}/${p.port}`);

/** The older LoadBalancer Service holding one of `svc`'s ports on the nodes, if any. */
export function portHolder(svc: KObject, services: KObject[]): { service: KObject; port: string } | undefined {
  // Timestamps have whole seconds: within one, the Service already serving keeps the port.
  const serving = (s: KObject) => (((s.status as Obj | undefined)?.loadBalancer?.ingress ?? []).length > 0 ? '0' : '1');
  const order = (s: KObject) => `${s.metadata.creationTimestamp ?? ''}\0${serving(s)}\0${s.metadata.namespace}/${s.metadata.name}`;
  const mine = new Set(portKeys(svc));
  for (const other of services) {
    if (other.metadata.uid === svc.metadata.uid || !isLoadBalancer(other) || order(other) >= order(svc)) continue;
    const shared = portKeys(other).find((k) => mine.has(k));
    if (shared) return { service: other, port: shared };
  }
  return undefined;
}

export class ServiceLbController implements Controller {
  readonly name = 'service-lb-controller';
  private readonly queue = new WorkQueue((key) => this.reconcile(key), { name: this.name, workers: 2, paused: true });
  private client!: Client;
  private events!: EventSink;
  private services!: Informer;
  private nodes!: Informer;
  /** Services told about a port conflict, so the event is not repeated at every node heartbeat. */
  private readonly warned = new Map<string, string>();

  init(ctx: ControllerContext): void {
    this.client = ctx.clientFor(SERVICE_ACCOUNT);
    this.events = ctx.recorderFor(SERVICE_ACCOUNT, 'service-lb-controller');
    this.services = ctx.informers.informerFor({ version: 'v1', resource: 'services' });
    this.nodes = ctx.informers.informerFor({ version: 'v1', resource: 'nodes' });
    const key = (svc: KObject) => `${svc.metadata.namespace}/${svc.metadata.name}`;
    // A Service leaving LoadBalancer (or going) frees its ports: the others may get them now.
    const all = () => { for (const svc of this.services.list()) if (isLoadBalancer(svc)) this.queue.add(key(svc)); };
    this.services.onAdd((svc) => this.queue.add(key(svc))).onUpdate((old, svc) => {
      this.queue.add(key(svc));
      if (isLoadBalancer(old) && JSON.stringify(portKeys(old)) !== JSON.stringify(isLoadBalancer(svc) ? portKeys(svc) : [])) all();
    }).onDelete((svc) => {
      this.warned.delete(key(svc));
      if (isLoadBalancer(svc)) all();
    });
    this.nodes.onAdd(all).onUpdate((old, node) => {
      if (JSON.stringify(nodeAddresses([old])) !== JSON.stringify(nodeAddresses([node])) || old.metadata.labels?.[ENABLE_LB_LABEL] !== node.metadata.labels?.[ENABLE_LB_LABEL]) all();
    }).onDelete(all);
  }

  run(): void {
    for (const svc of this.services.list()) this.queue.add(`${svc.metadata.namespace}/${svc.metadata.name}`);
    this.queue.resume();
  }

  stop(): void {
    this.queue.stop();
  }

  async reconcile(key: string): Promise<boolean> {
    const svc = this.services.get(key);
    if (!svc || svc.metadata.deletionTimestamp) return true;
    const status = (svc.status ?? {}) as Obj;
    const current: string[] = ((status.loadBalancer?.ingress ?? []) as Obj[]).map((i) => i.ip).filter(Boolean);
    let wanted: string[] = [];
    if (isLoadBalancer(svc)) {
      const holder = portHolder(svc, this.services.list());
      if (holder) this.warnPortInUse(svc, key, holder);
      else {
        this.warned.delete(key);
        wanted = nodeAddresses(this.nodes.list());
      }
    } else if ((svc.spec as Obj | undefined)?.loadBalancerClass || current.length === 0) {
      // Another implementation's Service, or nothing of ours to take back.
      return true;
    }
    if (JSON.stringify(current) === JSON.stringify(wanted)) return true;
    try {
      await this.client.patch(
        resourcePath({ version: 'v1', resource: 'services', namespace: svc.metadata.namespace, name: svc.metadata.name, subresource: 'status' }),
        // null removes the list (a merge patch leaves what it does not name).
        { status: { loadBalancer: { ingress: wanted.length ? wanted.map((ip) => ({ ip })) : null } } },
        'merge',
      );
    } catch (err) {
      if (!isClientError(err, 'NotFound')) throw err;
    }
    return true;
  }

  private warnPortInUse(svc: KObject, key: string, holder: { service: KObject; port: string }): void {
    const holderName = `${holder.service.metadata.namespace}/${holder.service.metadata.name}`;
    if (this.warned.get(key) === holderName) return;
    this.warned.set(key, holderName);
    this.events.event({ ...svc, apiVersion: 'v1', kind: 'Service' }, 'Warning', 'PortInUse', `port ${holder.port} is already served on the nodes by LoadBalancer Service ${holderName}`);
  }
}

export const serviceLbController = (): Controller => new ServiceLbController();
