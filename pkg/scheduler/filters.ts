/**
 * The node filters that need only the pod and one NodeInfo, in kube-scheduler's plugin order
 * (NodeUnschedulable, TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit). Each is
 * built once per scheduling attempt for the pod at hand and answers a Failure with
 * kube-scheduler's words, or undefined when the node passes. `unresolvable` marks failures
 * that evicting pods cannot cure (preemption skips those nodes).
 */
import { requiredNodeMatcher, tolerated } from './matching.ts';
import { UNSCHEDULABLE_TAINT, type NodeInfo, type PodInfo } from './nodeinfo.ts';
import type { ResourceList } from './resources.ts';

export interface Failure {
  reasons: string[];
  unresolvable: boolean;
}

export type NodeFilter = (node: NodeInfo) => Failure | undefined;

export const REASON = {
  unschedulable: 'node(s) were unschedulable',
  nodeAffinity: "node(s) didn't match Pod's node affinity/selector",
  ports: "node(s) didn't have free ports for the requested pod ports",
  tooManyPods: 'Too many pods',
  untoleratedTaint: (key: string, value: string | undefined) => `node(s) had untolerated taint {${key}: ${value ?? ''}}`,
  insufficient: (resource: string) => `Insufficient ${resource}`,
};

const unresolvable = (reason: string): Failure => ({ reasons: [reason], unresolvable: true });

export function unschedulableFilter(info: PodInfo): NodeFilter {
  const tolerations = info.pod.spec?.tolerations ?? [];
  const ok = tolerated(tolerations, { key: UNSCHEDULABLE_TAINT, effect: 'NoSchedule' });
  return (node) => (node.unschedulable && !ok ? unresolvable(REASON.unschedulable) : undefined);
}

/** NoSchedule and NoExecute taints must be tolerated; PreferNoSchedule only lowers the score. */
export function taintFilter(info: PodInfo): NodeFilter {
  const tolerations = info.pod.spec?.tolerations ?? [];
  return (node) => {
    for (const taint of node.taints) {
      if (taint.effect === 'PreferNoSchedule') continue;
      if (!tolerated(tolerations, taint)) return unresolvable(REASON.untoleratedTaint(taint.key, taint.value));
    }
    return undefined;
  };
}

export function nodeAffinityFilter(info: PodInfo): NodeFilter | undefined {
  const matches = requiredNodeMatcher(info.pod);
  if (!matches) return undefined;
  return (node) => (matches(node) ? undefined : unresolvable(REASON.nodeAffinity));
}

export function portsFilter(info: PodInfo): NodeFilter | undefined {
  if (info.ports.length === 0) return undefined;
  return (node) => (info.ports.some((p) => node.portInUse(p)) ? { reasons: [REASON.ports], unresolvable: false } : undefined);
}

const RESOURCE_ORDER = ['cpu', 'memory', 'ephemeral-storage'];

/**
 * Requests against allocatable minus what the node's pods (and pods nominated to it with at
 * least this priority, see `nominated`) request. Asking for more than the node has at all
 * cannot be cured by preemption.
 */
export function resourcesFilter(info: PodInfo, nominated?: (node: NodeInfo) => ResourceList | undefined): NodeFilter {
  const wanted = Object.entries(info.req.requests)
    .filter(([name]) => name !== 'pods')
    .sort(([a], [b]) => {
      const ia = RESOURCE_ORDER.indexOf(a);
      const ib = RESOURCE_ORDER.indexOf(b);
      return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
    });
  return (node) => {
    let reasons: string[] | undefined;
    let cannotEverFit = true;
    const extra = nominated?.(node);
    if (node.pods.size + 1 + (extra?.pods ?? 0) > node.allowedPods) {
      (reasons ??= []).push(REASON.tooManyPods);
      cannotEverFit = false;
    }
    for (const [name, want] of wanted) {
      const allocatable = node.allocatable[name] ?? 0;
      const free = allocatable - (node.requested[name] ?? 0) - (extra?.[name] ?? 0);
      if (want > free) {
        (reasons ??= []).push(REASON.insufficient(name));
        if (want <= allocatable) cannotEverFit = false;
      }
    }
    return reasons ? { reasons, unresolvable: cannotEverFit } : undefined;
  };
}
