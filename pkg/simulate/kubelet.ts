/**
 * The kubelet part of `tsk simulate` for pods bound to the fleet's nodes: one watch of all
 * bound pods (fieldSelector spec.nodeName!=) filtered by the fleet's names, one work queue.
 *
 *   bound, not yet running     → Running and Ready, with a pod IP from the node's podCIDR
 *   restartPolicy not Always   → Succeeded COMPLETE_AFTER_MS after it started
 *   deletionTimestamp set      → deleted with gracePeriodSeconds 0 (containers "stopped")
 *
 * The node IPAM controller gives a node its podCIDR shortly after registration; pods wait for
 * it up to CIDR_WAIT_MS after start, then use a fixed per-node range so clusters without IPAM
 * still get distinct addresses.
 */
import type { KObject } from '../api/types.ts';
import { isClientError, resourcePath, type Client } from '../client/client.ts';
import { Informer } from '../client/informer.ts';
import { WorkQueue } from '../client/workqueue.ts';
import { logger } from '../log/log.ts';
import { fallbackPodCidr, PodAddresses } from './addresses.ts';
import { nodeAddress, type SimulatedNode } from './node.ts';
import { runningStatus, runsToCompletion, succeededStatus } from './podstatus.ts';

const log = logger('simulate');

export const COMPLETE_AFTER_MS = 1000;
export const CIDR_WAIT_MS = 5000;
/** Status writes in flight at once over the shared connection: enough that the server can batch their commits (16 left simulate seconds behind a burst of bound pods). */
const WORKERS = 64;

/** What the pod side needs to know about the fleet's nodes. */
export interface FleetView {
  /** The fleet's node of this name, or undefined when it is not ours. */
  node(name: string): SimulatedNode | undefined;
  /** The node's podCIDR, once the cluster assigned one. */
  podCidr(name: string): string | undefined;
}

const podPath = (ns: string, name: string, subresource?: string) => resourcePath({ version: 'v1', resource: 'pods', namespace: ns, name, subresource });

export class SimulatedKubelet {
  private readonly pods: Informer;
  private readonly queue: WorkQueue;
  private readonly addresses = new PodAddresses();
  private readonly startedAt: number;
  private warnedFallback = false;

  constructor(private readonly client: Client, private readonly fleet: FleetView, private readonly now: () => number = Date.now) {
    this.startedAt = now();
    this.pods = new Informer(client, { path: resourcePath({ version: 'v1', resource: 'pods' }), fieldSelector: 'spec.nodeName!=', name: 'simulate pods' });
    this.queue = new WorkQueue((key) => this.reconcile(key), { name: 'simulate', workers: WORKERS, paused: true });
    const enqueue = (pod: KObject) => {
      if (this.fleet.node(pod.spec?.nodeName ?? '')) this.queue.add(keyOf(pod));
    };
    this.pods.onAdd(enqueue).onUpdate((_old, pod) => enqueue(pod)).onDelete((pod) => this.addresses.release(pod.spec?.nodeName ?? '', keyOf(pod)));
  }

  async start(): Promise<void> {
    this.pods.start();
    await this.pods.waitForSync();
    this.queue.resume();
  }

  stop(): void {
    this.queue.stop();
    this.pods.stop();
  }

  private async reconcile(key: string): Promise<boolean | number> {
    const pod = this.pods.get(key);
    if (!pod) return true;
    const node = pod.spec?.nodeName as string;
    const simulated = this.fleet.node(node);
    if (!simulated) return true;
    const { namespace, name } = pod.metadata as { namespace: string; name: string };
    if (pod.metadata.deletionTimestamp) {
      this.addresses.release(node, key);
      try {
        await this.client.delete(podPath(namespace, name), { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
      } catch (err) {
        if (!isClientError(err, 'NotFound') && !isClientError(err, 'Conflict')) throw err;
      }
      return true;
    }
    const phase = pod.status?.phase as string | undefined;
    if (phase === 'Succeeded' || phase === 'Failed') {
      this.addresses.release(node, key);
      return true;
    }
    if (phase === 'Running' && pod.status?.podIP) return this.whileRunning(pod, simulated, key);
    const cidr = this.fleet.podCidr(node) ?? this.fallback(simulated);
    if (!cidr && !pod.spec?.hostNetwork) return CIDR_WAIT_MS / 5;
    const hostIP = nodeAddress(simulated);
    const podIP = pod.spec?.hostNetwork ? hostIP : this.addresses.allocate(node, cidr!, key);
    if (!podIP) throw new Error(`no free pod address in ${cidr} on node ${node}`);
    await this.writeStatus(pod, runningStatus(pod, { podIP, hostIP }, this.now()));
    return runsToCompletion(pod) ? COMPLETE_AFTER_MS : true;
  }

  /** The fixed range for a node without podCIDR, once CIDR_WAIT_MS have passed (said once in the log). */
  private fallback(node: SimulatedNode): string | undefined {
    if (this.now() - this.startedAt < CIDR_WAIT_MS) return undefined;
    if (!this.warnedFallback) {
      this.warnedFallback = true;
      log.info(`node ${node.name} has no podCIDR ${CIDR_WAIT_MS / 1000} s after start (no node IPAM, or its range is exhausted): such nodes' pods get addresses from 172.16.0.0/12, a /24 per node`);
    }
    return fallbackPodCidr(node);
  }

  /** A running pod: remember its address (it may predate this process); finish it when it runs to completion. */
  private async whileRunning(pod: KObject, simulated: SimulatedNode, key: string): Promise<boolean | number> {
    const node = simulated.name;
    const cidr = this.fleet.podCidr(node) ?? fallbackPodCidr(simulated);
    if (!pod.spec?.hostNetwork) this.addresses.claim(node, cidr, key, pod.status!.podIP as string);
    if (!runsToCompletion(pod)) {
      // The node lifecycle controller marks pods not Ready while their node is silent; a
      // restarted kubelet reports them Ready again.
      const ready = (pod.status?.conditions as { type: string; status: string }[] | undefined)?.some((c) => c.type === 'Ready' && c.status === 'True');
      if (!ready) {
        const placement = { podIP: pod.status!.podIP as string, hostIP: nodeAddress(simulated) };
        await this.writeStatus(pod, runningStatus(pod, placement, this.now()));
      }
      return true;
    }
    const ranFor = this.now() - Date.parse(pod.status?.startTime ?? '');
    if (ranFor < COMPLETE_AFTER_MS) return COMPLETE_AFTER_MS - ranFor;
    await this.writeStatus(pod, succeededStatus(pod, this.now()));
    this.addresses.release(node, key);
    return true;
  }

  /**
   * A strategic merge patch, as kubelet sends: conditions merge by type, so those others own
   * (DisruptionTarget, readiness gates) stay; the uid guards against a pod re-created under the name.
   */
  private async writeStatus(pod: KObject, status: Record<string, unknown>): Promise<void> {
    await this.client.patch(podPath(pod.metadata.namespace!, pod.metadata.name!, 'status'), { metadata: { uid: pod.metadata.uid }, status }, 'strategic');
  }
}

function keyOf(pod: KObject): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}
