/**
 * node-lifecycle-controller (service account node-controller), after Kubernetes': watches each
 * node's heartbeats — its Lease in kube-node-lease and the Ready condition's
 * lastHeartbeatTime — and when neither moved for --node-monitor-grace-period, sets the
 * kubelet's conditions Unknown ("Kubelet stopped posting node status."), marks the node's pods
 * not Ready and taints the node node.kubernetes.io/unreachable (NoExecute and NoSchedule);
 * Ready=False from the kubelet gets node.kubernetes.io/not-ready instead. The taints go when the
 * node is Ready again. New NoExecute taints are paced per zone and withheld when every zone is
 * down (zones.ts). Evicting pods by those taints is the taint eviction controller's job.
 *
 * Heartbeat ages are measured on this process's clock from when a change was observed, never
 * from timestamps in the objects, as Kubernetes does: clocks of nodes may be skewed, and after
 * a restart every node gets a full grace period again.
 */
import type { KObject } from '../../api/types.ts';
import type { Client } from '../../client/client.ts';
import { isClientError } from '../../client/errors.ts';
import type { EventSink } from '../../client/events.ts';
import { byNodeName, NODE_NAME_INDEX } from '../../client/factory.ts';
import type { Informer } from '../../client/informer.ts';
import { resourcePath } from '../../client/paths.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { condition, readyStatus, rfc3339, unknownStatus } from './conditions.ts';
import { noExecuteKeyFor, planTaints } from './nodetaints.ts';
import { allDisrupted, summarizeZones, ZoneLimiter, zoneOf, zoneRate, type ZoneSummary } from './zones.ts';

const SERVICE_ACCOUNT = 'node-controller';
/** Kubernetes' --node-startup-grace-period: a node whose kubelet never posted status waits this long. */
const STARTUP_GRACE_MS = 60_000;
/** How stale the zone picture may be when deciding on a NoExecute taint. */
const ZONES_TTL_MS = 1000;
/** A zone whose rate is 0 is looked at again this often (Kubernetes' --node-monitor-period). */
const MONITOR_PERIOD_MS = 5000;
export const POD_NODE_INDEX = NODE_NAME_INDEX;

interface Heartbeat {
  /** Local time the last heartbeat was observed. */
  probeAt: number;
  statusHeartbeat?: string;
  leaseRenew?: string;
}

export class NodeLifecycleController implements Controller {
  readonly name = 'node-lifecycle-controller';
  private nodes!: Informer;
  private leases!: Informer;
  private pods!: Informer;
  private client!: Client;
  private events!: EventSink;
  private graceMs = 40_000;
  private readonly heartbeats = new Map<string, Heartbeat>();
  /** Nodes this run has announced with RegisteredNode. */
  private readonly known = new Set<string>();
  /** Pod uid → the resourceVersion this controller marked not Ready (the cache may lag behind). */
  private readonly markedNotReady = new Map<string, string>();
  private readonly limiter = new ZoneLimiter();
  private zones: { at: number; byZone: Map<string, ZoneSummary>; allDown: boolean } | undefined;
  /**
   * Ready statuses this controller wrote that the cache does not show yet, with the
   * resourceVersion the cache still holds: zone states must count a node it just made Unknown.
   */
  private readonly written = new Map<string, { status: string; staleRv: string }>();
  private readonly queue = new WorkQueue((key) => this.reconcile(key), { name: this.name, workers: 4, paused: true });

  init(ctx: ControllerContext): void {
    this.graceMs = ctx.config.nodeMonitorGracePeriodMs;
    this.client = ctx.clientFor(SERVICE_ACCOUNT);
    this.events = ctx.recorderFor(SERVICE_ACCOUNT, 'node-controller');
    this.nodes = ctx.informers.informerFor({ version: 'v1', resource: 'nodes' });
    this.leases = ctx.informers.informerFor({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: 'kube-node-lease' });
    this.pods = ctx.informers.informerFor({ version: 'v1', resource: 'pods' });
    this.pods.addIndex(POD_NODE_INDEX, byNodeName);

    this.nodes.onAdd((n) => this.queue.add(n.metadata.name!));
    this.nodes.onUpdate((old, n) => {
      // A node changing readiness changes its zone's state: count the zones again.
      if (readyStatus(old) !== readyStatus(n) && this.zones) this.zones.at = 0;
      this.queue.add(n.metadata.name!);
    });
    this.nodes.onDelete((n) => this.removed(n));
    // A renewed Lease only moves the deadline; the reconcile scheduled for it sees the new one.
    const renewed = (lease: KObject) => this.observeLease(lease.metadata.name!, lease.spec?.renewTime);
    this.leases.onAdd(renewed);
    this.leases.onUpdate((_, l) => renewed(l));
    // A pod that turns Ready on a node that is not (a kubelet posting late) is marked again.
    const podChanged = (pod: KObject) => {
      const node = pod.spec?.nodeName;
      if (node && condition(pod, 'Ready')?.status === 'True') {
        const n = this.nodes.get(node);
        if (n && readyStatus(n) !== 'True' && readyStatus(n) !== undefined) this.queue.add(node);
      }
    };
    this.pods.onAdd(podChanged);
    this.pods.onUpdate((_, p) => podChanged(p));
    this.pods.onDelete((p) => this.markedNotReady.delete(p.metadata.uid!));
  }

  run(): void {
    this.queue.resume();
  }

  stop(): void {
    this.queue.stop();
  }

  async reconcile(name: string): Promise<boolean | number> {
    const node = this.nodes.get(name);
    if (!node) return true;
    if (!this.known.has(name)) {
      this.known.add(name);
      this.nodeEvent(node, 'RegisteredNode', `Node ${name} event: Registered Node ${name} in Controller`);
    }
    const now = Date.now();
    const hb = this.heartbeat(node, now);
    const observedReady = readyStatus(node);
    const grace = observedReady === undefined ? Math.max(this.graceMs, STARTUP_GRACE_MS) : this.graceMs;
    let current = node;
    let next: number | undefined;
    if (now - hb.probeAt >= grace) {
      const status = unknownStatus(node, now);
      if (status) {
        current = await this.client.update(resourcePath({ version: 'v1', resource: 'nodes', name, subresource: 'status' }), { ...node, status });
        this.written.set(name, { status: 'Unknown', staleRv: node.metadata.resourceVersion! });
        if (this.zones) this.zones.at = 0;
      }
    } else {
      next = hb.probeAt + grace - now;
    }
    const ready = readyStatus(current);
    if (observedReady === 'True' && ready !== 'True') {
      this.nodeEvent(current, 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
    }
    if (ready !== undefined && ready !== 'True') await this.markPodsNotReady(name, now);
    const wait = await this.reconcileTaints(current, ready, now);
    if (wait !== undefined) next = next === undefined ? wait : Math.min(next, wait);
    return next === undefined ? true : Math.max(1, next);
  }

  /** The node's heartbeat record, moved to `now` when its status heartbeat or Lease changed. */
  private heartbeat(node: KObject, now: number): Heartbeat {
    const name = node.metadata.name!;
    const statusHeartbeat = condition(node, 'Ready')?.lastHeartbeatTime;
    const leaseRenew = this.leases.get(`kube-node-lease/${name}`)?.spec?.renewTime;
    let hb = this.heartbeats.get(name);
    if (!hb) {
      this.heartbeats.set(name, (hb = { probeAt: now, statusHeartbeat, leaseRenew }));
      return hb;
    }
    if (statusHeartbeat !== hb.statusHeartbeat) {
      hb.statusHeartbeat = statusHeartbeat;
      hb.probeAt = now;
    }
    if (leaseRenew !== undefined && leaseRenew !== hb.leaseRenew) {
      hb.leaseRenew = leaseRenew;
      hb.probeAt = now;
    }
    return hb;
  }

  private observeLease(name: string, renewTime: string | undefined): void {
    const hb = this.heartbeats.get(name);
    if (hb && renewTime !== undefined && renewTime !== hb.leaseRenew) {
      hb.leaseRenew = renewTime;
      hb.probeAt = Date.now();
    }
  }

  /**
   * Brings the node's taints in line with its conditions; a new NoExecute taint waits for its
   * zone's token. Answers the milliseconds until a held taint should be tried again.
   */
  private async reconcileTaints(node: KObject, ready: string | undefined, now: number): Promise<number | undefined> {
    const zones = this.zoneSummary(now);
    const wanted = zones.allDown ? undefined : noExecuteKeyFor(ready);
    let plan = planTaints(node, wanted, false, now);
    let wait: number | undefined;
    if (plan.held) {
      const zone = zoneOf(node.metadata.labels);
      const summary = zones.byZone.get(zone) ?? { state: 'Normal', size: 1 };
      wait = this.limiter.take(zone, zoneRate(summary.state, summary.size));
      if (wait === 0) {
        plan = planTaints(node, wanted, true, now);
        wait = undefined;
      } else if (wait === Infinity) {
        wait = MONITOR_PERIOD_MS;
      }
    }
    if (plan.changed) {
      // The resourceVersion makes this a compare-and-swap: a taint added meanwhile is not lost.
      await this.client.patch(resourcePath({ version: 'v1', resource: 'nodes', name: node.metadata.name! }), {
        metadata: { resourceVersion: node.metadata.resourceVersion },
        spec: { taints: plan.taints.length ? plan.taints : null },
      }, 'merge');
    }
    return wait;
  }

  /**
   * Zone states from the cached nodes, recomputed at most once a second. Entering or leaving
   * "every zone down" re-examines every node: their NoExecute taints go, or may come back.
   */
  private zoneSummary(now: number): { byZone: Map<string, ZoneSummary>; allDown: boolean } {
    if (this.zones && now - this.zones.at < ZONES_TTL_MS) return this.zones;
    const byZone = summarizeZones(this.nodes.list(), (n) => zoneOf(n.metadata.labels), (n) => this.cachedReady(n) === 'True');
    const allDown = allDisrupted(byZone);
    if (this.zones && this.zones.allDown !== allDown) {
      for (const key of this.nodes.keys()) this.queue.add(key);
    }
    this.zones = { at: now, byZone, allDown };
    return this.zones;
  }

  /** The node's Ready status, or the one this controller wrote if the cache does not show it yet. */
  private cachedReady(node: KObject): string | undefined {
    const name = node.metadata.name!;
    const written = this.written.get(name);
    if (written && written.staleRv === node.metadata.resourceVersion) return written.status;
    this.written.delete(name);
    return readyStatus(node);
  }

  /** Kubernetes' MarkPodsNotReady: the node's pods get Ready=False, and a NodeNotReady event each. */
  private async markPodsNotReady(nodeName: string, now: number): Promise<void> {
    for (const pod of this.pods.byIndex(POD_NODE_INDEX, nodeName)) {
      const uid = pod.metadata.uid!;
      const ready = condition(pod, 'Ready');
      if (!ready || ready.status === 'False' || this.markedNotReady.get(uid) === pod.metadata.resourceVersion) continue;
      const path = resourcePath({ version: 'v1', resource: 'pods', namespace: pod.metadata.namespace, name: pod.metadata.name!, subresource: 'status' });
      try {
        await this.client.patch(path, {
          metadata: { uid },
          status: { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: rfc3339(now) }] },
        }, 'strategic');
      } catch (err) {
        if (isClientError(err) && (err.code === 404 || err.code === 409)) continue;
        throw err;
      }
      this.markedNotReady.set(uid, pod.metadata.resourceVersion!);
      this.events.event(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
    }
  }

  private removed(node: KObject): void {
    const name = node.metadata.name!;
    this.heartbeats.delete(name);
    this.written.delete(name);
    if (this.known.delete(name)) this.nodeEvent(node, 'RemovingNode', `Node ${name} event: Removing Node ${name} from Controller`);
  }

  private nodeEvent(node: KObject, reason: string, message: string): void {
    this.events.event({ ...node, apiVersion: 'v1', kind: 'Node' }, 'Normal', reason, message);
  }
}

export const nodeLifecycleController = (): Controller => new NodeLifecycleController();
