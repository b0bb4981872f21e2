/**
 * The simulated nodes' side that kubelet's node-status manager plays: registration, the Lease
 * heartbeat every RENEW_INTERVAL_MS and a status report every STATUS_INTERVAL_MS, or sooner
 * when the cluster's copy of the node is not Ready.
 *
 * Heartbeats are spread evenly over the interval (heartbeatSlot), so 1,000 nodes renew ten at a
 * time every 100 ms instead of all at once. A node whose previous write is still in flight
 * skips its turn (the server is slow; piling up requests would only make it slower). Per-node state is a few fields: the Lease's
 * resourceVersion, the Node's uid, when it became Ready, and whether a write is in flight.
 */
import type { KObject } from '../api/types.ts';
import { isClientError, resourcePath, type Client } from '../client/client.ts';
import { logger } from '../log/log.ts';
import { fleetSubnet, leaseObject, LEASE_NAMESPACE, nodeConditions, nodeObject, nodeStatus, type SimulatedNode } from './node.ts';

const log = logger('simulate');

/** kubelet's nodeLeaseRenewInterval. */
export const RENEW_INTERVAL_MS = 10_000;
/** kubelet's nodeStatusReportFrequency when nothing changes: the Lease is the heartbeat. */
export const STATUS_INTERVAL_MS = 5 * 60_000;
export const TICK_MS = 100;
/** Registration writes in flight at once: enough to fill the connection, few enough to keep the server responsive. */
const REGISTER_CONCURRENCY = 32;
/** First wait before a failed registration is tried again (doubling up to RENEW_INTERVAL_MS). */
const REGISTER_RETRY_MS = 500;

/** The cluster's copy of the Nodes (an Informer keyed by name). */
export interface ObservedNodes {
  get(name: string): KObject | undefined;
  hasSynced(): boolean;
}

interface NodeState {
  node: SimulatedNode;
  /** resourceVersion of the Lease as last written (the Lease itself is rebuilt on each renewal). */
  leaseVersion?: string;
  nodeUid?: string;
  /** When Ready became True (kept across status reports). */
  readySince: number;
  busy: boolean;
  /** Absent from the cluster at the last renewal; `deleted` once absent at two. */
  missing?: boolean;
  deleted?: boolean;
}

/**
 * Failed heartbeats, logged at most once per RENEW_INTERVAL_MS: when the server is down, 1,000
 * nodes fail together, and one line saying so is enough.
 */
class FailureLog {
  private loggedAt = -Infinity;
  private unlogged = 0;

  note(node: string, err: unknown): void {
    const now = Date.now();
    if (now - this.loggedAt < RENEW_INTERVAL_MS) {
      this.unlogged++;
      return;
    }
    const more = this.unlogged ? ` (and ${this.unlogged} more failures since the last report)` : '';
    log.warn(`node ${node}: ${(err as Error).message}${more}`);
    this.loggedAt = now;
    this.unlogged = 0;
  }
}

/** Runs `fn` over `items`, at most `limit` at once. */
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** The tick, within one interval, at which node `index` of `count` writes: spread evenly over the interval. */
export function heartbeatSlot(index: number, count: number, intervalMs: number): number {
  return Math.floor((index * intervalMs) / TICK_MS / count);
}

export function fleetNodes(prefix: string, count: number): SimulatedNode[] {
  const subnet = fleetSubnet(prefix);
  return Array.from({ length: count }, (_, index) => ({ name: `${prefix}${index}`, index, subnet }));
}

const nodesPath = (name?: string, subresource?: string) => resourcePath({ version: 'v1', resource: 'nodes', name, subresource });
const leasePath = (name?: string) => resourcePath({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: LEASE_NAMESPACE, name });

export class NodeFleet {
  private readonly states: NodeState[];
  private timer: NodeJS.Timeout | undefined;
  private tick = 0;
  private stopped = false;
  private readonly failures = new FailureLog();

  /**
   * `observed` holds the Nodes as the cluster has them now (an informer): a node someone else
   * marked not Ready (the node lifecycle controller, after missed heartbeats) is reported Ready
   * again at its next Lease renewal, as kubelet's 10-second status check does; a node deleted
   * by someone stops its heartbeats, as kubelet does not register again until restarted.
   */
  constructor(
    private readonly client: Client,
    nodes: SimulatedNode[],
    private readonly observed: ObservedNodes = { get: () => undefined, hasSynced: () => false },
    private readonly now: () => number = Date.now,
  ) {
    this.states = nodes.map((node) => ({ node, readySince: 0, busy: false }));
  }

  /**
   * Creates every Node (or reports Ready on one left by an earlier run) and its Lease. Like
   * kubelet, a node whose registration fails for a passing reason (server busy or restarting)
   * tries again; a refusal (forbidden, invalid) ends the run with the server's answer.
   */
  async register(): Promise<void> {
    await forEachLimited(this.states, REGISTER_CONCURRENCY, async (state) => {
      for (let delay = REGISTER_RETRY_MS; !this.stopped; delay = Math.min(delay * 2, RENEW_INTERVAL_MS)) {
        try {
          await this.registerNode(state);
          await this.renewLease(state);
          return;
        } catch (err) {
          if (isClientError(err) && err.code >= 400 && err.code < 500 && err.code !== 409 && err.code !== 429) {
            throw new Error(`registering node ${state.node.name}: ${err.message}`);
          }
          this.failures.note(state.node.name, err);
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      }
    });
  }

  /** Starts the heartbeats. */
  start(): void {
    const count = this.states.length;
    this.timer = setInterval(() => {
      const tick = this.tick++;
      for (const state of this.states) {
        if (state.busy || state.deleted) continue;
        const renew = heartbeatSlot(state.node.index, count, RENEW_INTERVAL_MS) === tick % (RENEW_INTERVAL_MS / TICK_MS);
        if (renew && this.deletedByOthers(state)) continue;
        const report = (tick > 0 && heartbeatSlot(state.node.index, count, STATUS_INTERVAL_MS) === tick % (STATUS_INTERVAL_MS / TICK_MS)) || (renew && this.seenNotReady(state.node.name));
        if (renew || report) {
          void this.guard(state, async () => {
            if (report) await this.reportStatus(state);
            if (renew) await this.renewLease(state);
          });
        }
      }
    }, TICK_MS);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Whether the node has been missing from the cluster at two renewals in a row (one could be
   * a watch that has not delivered the node yet).
   */
  private deletedByOthers(state: NodeState): boolean {
    if (!this.observed.hasSynced() || this.observed.get(state.node.name)) {
      state.missing = false;
      return false;
    }
    if (!state.missing) {
      state.missing = true;
      return false;
    }
    state.deleted = true;
    log.info(`node ${state.node.name} was deleted: its heartbeats stop (a restarted simulate registers it again)`);
    return true;
  }

  private seenNotReady(name: string): boolean {
    const node = this.observed.get(name);
    const ready = (node?.status?.conditions as { type: string; status: string }[] | undefined)?.find((c) => c.type === 'Ready');
    return node !== undefined && ready?.status !== 'True';
  }

  private async guard(state: NodeState, write: () => Promise<void>): Promise<void> {
    state.busy = true;
    try {
      await write();
    } catch (err) {
      this.failures.note(state.node.name, err);
    } finally {
      state.busy = false;
    }
  }

  /**
   * Creates the Node with its status, as kubelet does (Kubernetes keeps a Node's status on
   * create). A server that drops it (tsk's store does, for now) and a Node left by an earlier
   * run get the status through nodes/status, as a restarted kubelet reports it.
   */
  private async registerNode(state: NodeState): Promise<void> {
    state.readySince = this.now();
    try {
      const created = await this.client.create(nodesPath(), nodeObject(state.node, state.readySince));
      state.nodeUid = created.metadata.uid;
      if (created.status?.conditions?.length) return;
    } catch (err) {
      if (!isClientError(err, 'AlreadyExists')) throw err;
    }
    const status = nodeStatus(state.node, state.readySince);
    const reported = await this.client.patch(nodesPath(state.node.name, 'status'), { status }, 'strategic');
    state.nodeUid = reported.metadata.uid;
  }

  private async reportStatus(state: NodeState): Promise<void> {
    const conditions = nodeConditions(this.now(), state.readySince);
    // Strategic: conditions merge by type, so those other components add (NetworkUnavailable…) stay.
    await this.client.patch(nodesPath(state.node.name, 'status'), { status: { conditions } }, 'strategic');
  }

  /** Renews (or creates) the node's Lease; after a conflict the next turn starts from a fresh read. */
  private async renewLease(state: NodeState): Promise<void> {
    const lease = leaseObject(state.node, state.nodeUid, this.now());
    if (state.leaseVersion === undefined) {
      try {
        state.leaseVersion = (await this.client.create(leasePath(), lease)).metadata.resourceVersion;
        return;
      } catch (err) {
        if (!isClientError(err, 'AlreadyExists')) throw err;
        state.leaseVersion = (await this.client.get(leasePath(state.node.name))).metadata.resourceVersion;
      }
    }
    try {
      const renewed = await this.client.update(leasePath(state.node.name), { ...lease, metadata: { ...lease.metadata, resourceVersion: state.leaseVersion } });
      state.leaseVersion = renewed.metadata.resourceVersion;
    } catch (err) {
      state.leaseVersion = undefined;
      if (!isClientError(err, 'Conflict') && !isClientError(err, 'NotFound')) throw err;
    }
  }

}
