/**
 * What the scheduler writes on a pod that does not fit: PodScheduled=False, reason
 * Unschedulable, with the FailedScheduling message (and status.nominatedNodeName when
 * preemption chose a node), skipped when the pod already says exactly that. Also which node
 * changes are worth retrying parked pods for.
 */
import type { Client } from '../client/client.ts';
import { logger } from '../log/log.ts';
import { resourcePath } from '../client/paths.ts';
import type { Node, Pod } from './types.ts';

const log = logger('scheduler');

function rfc3339(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class PodStatusWriter {
  constructor(private readonly client: Client) {}

  unschedulable(pod: Pod, message: string, nominatedNode?: string): void {
    const current = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    const nominationChanges = nominatedNode !== undefined && nominatedNode !== (pod.status?.nominatedNodeName ?? '');
    if (current?.status === 'False' && current.reason === 'Unschedulable' && current.message === message && !nominationChanges) return;
    const status: Record<string, unknown> = {
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: rfc3339() }],
    };
    if (nominationChanges) status.nominatedNodeName = nominatedNode || null;
    this.patch(pod, { status });
  }

  /** Marks a pod about to be preempted, as kube-scheduler does before deleting it. */
  disruptionTarget(pod: Pod, schedulerName: string): Promise<void> {
    return this.patch(pod, {
      status: {
        conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler', message: `${schedulerName}: preempting to accommodate a higher priority pod`, lastTransitionTime: rfc3339() }],
      },
    });
  }

  clearNomination(pod: Pod): void {
    if (pod.status?.nominatedNodeName) void this.patch(pod, { status: { nominatedNodeName: null } });
  }

  private patch(pod: Pod, body: unknown): Promise<void> {
    const { name, namespace } = pod.metadata;
    return this.client
      .patch(resourcePath({ version: 'v1', resource: 'pods', namespace, name, subresource: 'status' }), body, 'strategic')
      .then(() => undefined, (err: Error) => log.debug(`status of ${namespace}/${name}: ${err.message}`));
  }
}

/** Node changes that can let a parked pod fit: it became Ready or schedulable, or its labels, taints or capacity changed. */
export function nodeChangeMayHelp(old: Node, now: Node): boolean {
  const facts = (n: Node) =>
    JSON.stringify([
      n.metadata.labels,
      n.spec?.taints,
      n.spec?.unschedulable,
      n.status?.allocatable,
      n.status?.conditions?.find((c) => c.type === 'Ready')?.status,
    ]);
  return facts(old) !== facts(now);
}
