/**
 * node-ipam-controller (Kubernetes' range allocator): gives every node a spec.podCIDR (and
 * podCIDRs) of its own from --cluster-cidr, /24 per node for IPv4 (/64 for IPv6), which the
 * node's CNI and the routes between nodes use. Ranges of deleted nodes go back to the pool.
 * The pool lives in memory: on start it is rebuilt from the ranges nodes already carry, before
 * any new node is served, so a restart never hands out a range twice.
 */
import type { KObject } from '../../api/types.ts';
import { isClientError } from '../../client/errors.ts';
import type { EventSink } from '../../client/events.ts';
import type { Informer } from '../../client/informer.ts';
import { resourcePath } from '../../client/paths.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { Client } from '../../client/client.ts';
import { logger } from '../../log/log.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { CidrSet } from './cidrset.ts';

const log = logger('node-ipam-controller');

/** The service account Kubernetes runs this controller as. */
const SERVICE_ACCOUNT = 'node-controller';
const EVENT_COMPONENT = 'cidrAllocator';

function nodeCidrs(node: KObject): string[] {
  const spec = (node.spec ?? {}) as { podCIDR?: string; podCIDRs?: string[] };
  if (spec.podCIDRs?.length) return spec.podCIDRs;
  return spec.podCIDR ? [spec.podCIDR] : [];
}

export class NodeIpamController implements Controller {
  readonly name = 'node-ipam-controller';
  private nodes!: Informer;
  private client!: Client;
  private events!: EventSink;
  private set!: CidrSet;
  private clusterCidr = '';
  /** Ranges patched onto nodes the informer does not show with them yet: never allocate twice. */
  private readonly assigned = new Map<string, string>();
  // Allocation is synchronous; only the patches overlap (1,000 nodes registering at once).
  private readonly queue = new WorkQueue((key) => this.reconcile(key), { name: this.name, workers: 8, paused: true });

  init(ctx: ControllerContext): void {
    this.clusterCidr = ctx.config.clusterCidr;
    this.set = new CidrSet(this.clusterCidr);
    // As Kubernetes does, a service range inside the cluster range is never given to a node.
    if (this.set.overlaps(ctx.config.serviceCidr)) this.set.occupy(ctx.config.serviceCidr);
    this.client = ctx.clientFor(SERVICE_ACCOUNT);
    this.events = ctx.recorderFor(SERVICE_ACCOUNT, EVENT_COMPONENT);
    this.nodes = ctx.informers.informerFor({ version: 'v1', resource: 'nodes' });
    this.nodes.onAdd((n) => this.queue.add(n.metadata.name!));
    this.nodes.onUpdate((_, n) => this.queue.add(n.metadata.name!));
    this.nodes.onDelete((n) => this.forget(n));
  }

  run(): void {
    for (const node of this.nodes.list()) this.occupy(node);
    log.info(`${this.set.size - this.set.free} of ${this.set.size} node ranges of ${this.clusterCidr} in use`);
    this.queue.resume();
  }

  stop(): void {
    this.queue.stop();
  }

  async reconcile(name: string): Promise<boolean> {
    const node = this.nodes.get(name);
    if (!node || node.metadata.deletionTimestamp) return true;
    if (nodeCidrs(node).length > 0) {
      this.assigned.delete(name);
      return this.occupy(node);
    }
    let cidr = this.assigned.get(name);
    if (!cidr) {
      cidr = this.set.allocateNext();
      if (!cidr) {
        // No retry on a timer: ranges come free only when nodes go, and forget() enqueues the waiting then.
        this.statusChange(node, 'CIDRNotAvailable');
        return true;
      }
      this.assigned.set(name, cidr);
    }
    try {
      await this.client.patch(resourcePath({ version: 'v1', resource: 'nodes', name }), {
        spec: { podCIDR: cidr, podCIDRs: [cidr] },
      }, 'strategic');
      log.debug(`node ${name}: podCIDR ${cidr}`);
      return true;
    } catch (err) {
      // The node went away before it got its range.
      if (isClientError(err) && err.code === 404) {
        this.assigned.delete(name);
        this.set.release(cidr);
        return true;
      }
      throw err;
    }
  }

  /** Marks the node's ranges taken; one outside the cluster range is reported, as Kubernetes does. */
  private occupy(node: KObject): boolean {
    for (const cidr of nodeCidrs(node)) {
      try {
        this.set.occupy(cidr);
      } catch (err) {
        log.warn(`node ${node.metadata.name}: ${(err as Error).message}`);
        this.statusChange(node, 'CIDRNotAvailable');
      }
    }
    return true;
  }

  private forget(node: KObject): void {
    const name = node.metadata.name!;
    const pending = this.assigned.get(name);
    this.assigned.delete(name);
    const released = pending ? [pending, ...nodeCidrs(node)] : nodeCidrs(node);
    for (const cidr of released) {
      if (this.set.overlaps(cidr)) this.set.release(cidr);
    }
    // Nodes that found the pool empty are not retried on a timer: a freed range is theirs now.
    if (released.length > 0) {
      for (const other of this.nodes.list()) if (nodeCidrs(other).length === 0 && !this.assigned.has(other.metadata.name!)) this.queue.add(other.metadata.name!);
    }
  }

  /** Kubernetes' RecordNodeStatusChange: a Normal event on the node. */
  private statusChange(node: KObject, status: string): void {
    this.events.event({ ...node, apiVersion: 'v1', kind: 'Node' }, 'Normal', status, `Node ${node.metadata.name} status is now: ${status}`);
  }
}

export const nodeIpamController = (): Controller => new NodeIpamController();
