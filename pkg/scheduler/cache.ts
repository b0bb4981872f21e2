/**
 * The scheduler's picture of the cluster: a NodeInfo per node holding the pods bound to it
 * (from the pod informer) and the pods this scheduler has *assumed* there — placed in its own
 * books the moment it decided, before the binding reaches the API — so the next pod already
 * sees that capacity as taken. A failed binding forgets the assumption; the informer's copy of
 * the bound pod replaces it. Also kept incrementally: how many pods of each controller sit on
 * each node (the default spreading of a workload reads it).
 */
import { makePodInfo, NodeInfo, type PodInfo } from './nodeinfo.ts';
import { isTerminal, podKey, type Node, type Pod } from './types.ts';

interface Placement {
  info: PodInfo;
  assumed: boolean;
}

export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly placements = new Map<string, Placement>();
  /** controller uid → node name → pods of it on that node (counting for spread). */
  private readonly controllerCounts = new Map<string, Map<string, number>>();
  /** controller uid → zone (topology.kubernetes.io/zone of the pod's node when it was added) → pods. */
  private readonly controllerZones = new Map<string, Map<string, number>>();
  /** Bound pods that carry pod affinity/anti-affinity terms (existing pods' rules bind newcomers). */
  readonly affinityPods = new Set<PodInfo>();
  /** Pods by namespace, for label-selector counting (spread constraints, pod affinity). */
  private readonly byNamespace = new Map<string, Set<PodInfo>>();
  private list: NodeInfo[] | undefined;

  /** Nodes that exist (have a Node object), in a stable order. */
  nodeInfos(): NodeInfo[] {
    this.list ??= [...this.nodes.values()].filter((n) => n.node !== undefined);
    return this.list;
  }

  nodeInfo(name: string): NodeInfo | undefined {
    const n = this.nodes.get(name);
    return n?.node ? n : undefined;
  }

  setNode(node: Node): void {
    const name = node.metadata.name!;
    let info = this.nodes.get(name);
    if (!info) {
      info = new NodeInfo(name);
      this.nodes.set(name, info);
    }
    if (!info.node) this.list = undefined;
    info.setNode(node);
  }

  removeNode(name: string): void {
    const info = this.nodes.get(name);
    if (!info) return;
    // Pods still bound to a deleted node keep their entry until the pods are gone themselves.
    if (info.pods.size === 0) this.nodes.delete(name);
    else info.node = undefined;
    this.list = undefined;
  }

  /** From the pod informer: a pod's latest state (bound or not). */
  updatePod(pod: Pod): void {
    const key = podKey(pod);
    const nodeName = pod.spec?.nodeName;
    if (!nodeName || isTerminal(pod)) {
      // Unbound pods are the queue's; an assumed pod keeps its place until its binding shows up.
      const placed = this.placements.get(key);
      if (placed && (!placed.assumed || isTerminal(pod))) this.remove(key);
      return;
    }
    this.remove(key);
    this.add(makePodInfo(pod, nodeName), false);
  }

  deletePod(pod: Pod): void {
    this.remove(podKey(pod));
  }

  /** Books the pod on the node before its binding is written. */
  assume(pod: Pod, nodeName: string): void {
    const key = podKey(pod);
    this.remove(key);
    this.add(makePodInfo(pod, nodeName), true);
  }

  /** The binding failed: give the capacity back (unless the informer has since seen it bound). */
  forget(pod: Pod): void {
    const key = podKey(pod);
    if (this.placements.get(key)?.assumed) this.remove(key);
  }

  /** Pods taken out for a what-if (preemption), with whether each was assumed. */
  private readonly withdrawn = new Map<string, boolean>();

  /** Takes a pod out of the books for a what-if; restore() puts it back. */
  withdraw(info: PodInfo): void {
    const placed = this.placements.get(info.key);
    if (!placed || placed.info !== info) return;
    this.withdrawn.set(info.key, placed.assumed);
    this.remove(info.key);
  }

  restore(info: PodInfo): void {
    const assumed = this.withdrawn.get(info.key);
    if (assumed === undefined) return;
    this.withdrawn.delete(info.key);
    this.add(info, assumed);
  }

  /** Runs `fn` as if `pods` were gone; they are back afterwards, whatever fn withdrew or restored. */
  withoutPods<T>(pods: PodInfo[], fn: () => T): T {
    for (const p of pods) this.withdraw(p);
    try {
      return fn();
    } finally {
      for (const p of pods) this.restore(p);
    }
  }

  isAssumed(key: string): boolean {
    return this.placements.get(key)?.assumed === true;
  }

  placement(key: string): PodInfo | undefined {
    return this.placements.get(key)?.info;
  }

  /** How many spread-counting pods of controller `uid` each node holds. */
  controllerSpread(uid: string): Map<string, number> | undefined {
    return this.controllerCounts.get(uid);
  }

  allPods(): Iterable<PodInfo> {
    return [...this.placements.values()].map((p) => p.info);
  }

  /** Labels of a namespace (pod affinity's namespaceSelector); the scheduler sets the lookup. */
  namespaceLabels: (namespace: string) => Record<string, string> = () => ({});

  /** How many spread-counting pods of controller `uid` each zone holds. */
  controllerZoneSpread(uid: string): Map<string, number> | undefined {
    return this.controllerZones.get(uid);
  }

  podsInNamespace(namespace: string): Iterable<PodInfo> {
    return this.byNamespace.get(namespace) ?? [];
  }

  private add(info: PodInfo, assumed: boolean): void {
    let node = this.nodes.get(info.nodeName);
    if (!node) {
      node = new NodeInfo(info.nodeName);
      this.nodes.set(info.nodeName, node);
    }
    node.addPod(info);
    this.placements.set(info.key, { info, assumed });
    if (info.hasPodAffinity) this.affinityPods.add(info);
    const ns = info.pod.metadata.namespace ?? '';
    let set = this.byNamespace.get(ns);
    if (!set) this.byNamespace.set(ns, (set = new Set()));
    set.add(info);
    this.countController(info, 1);
  }

  private remove(key: string): void {
    const placed = this.placements.get(key);
    if (!placed) return;
    const { info } = placed;
    this.placements.delete(key);
    const node = this.nodes.get(info.nodeName);
    node?.removePod(key);
    if (node && !node.node && node.pods.size === 0) this.nodes.delete(info.nodeName);
    this.affinityPods.delete(info);
    const ns = info.pod.metadata.namespace ?? '';
    const set = this.byNamespace.get(ns);
    set?.delete(info);
    if (set?.size === 0) this.byNamespace.delete(ns);
    this.countController(info, -1);
  }

  private countController(info: PodInfo, sign: 1 | -1): void {
    if (!info.controller || !info.countsForSpread) return;
    bump(this.controllerCounts, info.controller, info.nodeName, sign);
    if (sign > 0) info.zone = this.nodes.get(info.nodeName)?.labels[ZONE];
    if (info.zone !== undefined) bump(this.controllerZones, info.controller, info.zone, sign);
  }
}

const ZONE = 'topology.kubernetes.io/zone';

function bump(counts: Map<string, Map<string, number>>, uid: string, where: string, sign: 1 | -1): void {
  let perPlace = counts.get(uid);
  if (!perPlace) counts.set(uid, (perPlace = new Map()));
  const n = (perPlace.get(where) ?? 0) + sign;
  if (n > 0) perPlace.set(where, n);
  else perPlace.delete(where);
  if (perPlace.size === 0) counts.delete(uid);
}
