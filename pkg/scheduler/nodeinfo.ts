/**
 * What the scheduler knows of one node, kept incrementally as pods come and go: the node's
 * labels, effective taints and allocatable resources, and the sum of what its pods request,
 * their host ports and how many of them carry inter-pod affinity terms. Every filter and score
 * reads these sums, so placing one pod never walks the pods of the cluster.
 */
import { parseResourceList, podHostPorts, podRequests, type HostPort, type PodRequests, type ResourceList } from './resources.ts';
import { controllerUid, podKey, podPriority, type Node, type Pod, type Taint } from './types.ts';

export interface PodInfo {
  pod: Pod;
  key: string;
  nodeName: string;
  req: PodRequests;
  ports: HostPort[];
  priority: number;
  controller: string | undefined;
  /** Has pod affinity or anti-affinity terms (required or preferred). */
  hasPodAffinity: boolean;
  /** Counts for topology spreading (terminating pods do not). */
  countsForSpread: boolean;
  /** The zone of its node when the cache counted it (zone labels do not change under pods). */
  zone?: string;
}

export function makePodInfo(pod: Pod, nodeName = pod.spec?.nodeName ?? ''): PodInfo {
  const affinity = pod.spec?.affinity;
  return {
    pod,
    key: podKey(pod),
    nodeName,
    req: podRequests(pod),
    ports: podHostPorts(pod),
    priority: podPriority(pod),
    controller: controllerUid(pod),
    hasPodAffinity: Boolean(affinity?.podAffinity || affinity?.podAntiAffinity),
    countsForSpread: !pod.metadata.deletionTimestamp,
  };
}

export const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';
export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';
export const UNSCHEDULABLE_TAINT = 'node.kubernetes.io/unschedulable';

export class NodeInfo {
  node: Node | undefined;
  labels: Record<string, string> = {};
  /** spec.taints, plus the condition taint the node lifecycle controller adds when not Ready. */
  taints: Taint[] = [];
  unschedulable = false;
  allocatable: ResourceList = {};
  readonly pods = new Map<string, PodInfo>();
  readonly requested: ResourceList = {};
  nonZeroMilliCpu = 0;
  nonZeroMemory = 0;
  /** "TCP/8080" → host IPs in use on that port. */
  readonly ports = new Map<string, string[]>();
  podsWithAffinity = 0;

  constructor(readonly name: string) {}

  setNode(node: Node): void {
    this.node = node;
    this.labels = node.metadata.labels ?? {};
    this.unschedulable = node.spec?.unschedulable === true;
    this.allocatable = parseResourceList(node.status?.allocatable ?? node.status?.capacity);
    const taints = [...(node.spec?.taints ?? [])];
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
    // TaintNodesByCondition: a node that is not Ready is treated as carrying the taint that says so,
    // whether or not the lifecycle controller has written it yet; pods that tolerate it may still go there.
    if (ready !== 'True') {
      const key = ready === 'False' ? NOT_READY_TAINT : UNREACHABLE_TAINT;
      if (!taints.some((t) => t.key === key && t.effect === 'NoSchedule')) taints.push({ key, effect: 'NoSchedule' });
    }
    this.taints = taints;
  }

  /** Pods the node may hold (allocatable pods; 110 when the node does not say, as kubelet's default). */
  get allowedPods(): number {
    return this.allocatable.pods ?? 110;
  }

  addPod(info: PodInfo): void {
    this.pods.set(info.key, info);
    this.account(info, 1);
  }

  removePod(key: string): PodInfo | undefined {
    const info = this.pods.get(key);
    if (!info) return undefined;
    this.pods.delete(key);
    this.account(info, -1);
    return info;
  }

  private account(info: PodInfo, sign: 1 | -1): void {
    for (const [k, v] of Object.entries(info.req.requests)) this.requested[k] = (this.requested[k] ?? 0) + sign * v;
    this.nonZeroMilliCpu += sign * info.req.nonZeroMilliCpu;
    this.nonZeroMemory += sign * info.req.nonZeroMemory;
    if (info.hasPodAffinity) this.podsWithAffinity += sign;
    for (const p of info.ports) {
      const slot = `${p.protocol}/${p.port}`;
      const ips = this.ports.get(slot) ?? [];
      if (sign > 0) ips.push(p.ip);
      else ips.splice(ips.indexOf(p.ip), 1);
      if (ips.length) this.ports.set(slot, ips);
      else this.ports.delete(slot);
    }
  }

  /** Whether a host port is taken: same protocol and port, and the same IP or either is 0.0.0.0. */
  portInUse(p: HostPort): boolean {
    const ips = this.ports.get(`${p.protocol}/${p.port}`);
    if (!ips) return false;
    return p.ip === '0.0.0.0' || ips.some((ip) => ip === p.ip || ip === '0.0.0.0');
  }
}
