/**
 * Node and pod conditions as the node lifecycle controller reads and rewrites them.
 */
import type { KObject } from '../../api/types.ts';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown' | string;
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
  lastProbeTime?: string | null;
}

/** The conditions a kubelet posts that go Unknown when it stops posting (Kubernetes' list). */
const KUBELET_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

/** Kubernetes' metav1.Time: RFC 3339 to the second. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function conditions(obj: KObject): Condition[] {
  return (obj.status?.conditions ?? []) as Condition[];
}

export function condition(obj: KObject, type: string): Condition | undefined {
  return conditions(obj).find((c) => c.type === type);
}

/** The node's Ready status, or undefined when its kubelet never posted one. */
export function readyStatus(node: KObject): string | undefined {
  return condition(node, 'Ready')?.status;
}

/**
 * The node's status with every kubelet condition Unknown, as Kubernetes writes it when the
 * grace period passes without a heartbeat; undefined when they already are.
 */
export function unknownStatus(node: KObject, now: number): KObject['status'] | undefined {
  const stamp = rfc3339(now);
  const out = conditions(node).map((c) => ({ ...c }));
  let changed = false;
  for (const type of KUBELET_CONDITIONS) {
    const c = out.find((x) => x.type === type);
    if (!c) {
      out.push({
        type,
        status: 'Unknown',
        reason: 'NodeStatusNeverUpdated',
        message: 'Kubelet never posted node status.',
        lastHeartbeatTime: node.metadata.creationTimestamp,
        lastTransitionTime: stamp,
      });
      changed = true;
    } else if (c.status !== 'Unknown') {
      c.status = 'Unknown';
      c.reason = 'NodeStatusUnknown';
      c.message = 'Kubelet stopped posting node status.';
      c.lastTransitionTime = stamp;
      changed = true;
    }
  }
  return changed ? { ...node.status, conditions: out } : undefined;
}
