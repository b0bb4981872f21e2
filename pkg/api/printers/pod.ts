/**
 * The Pod printer: READY, STATUS and RESTARTS computed exactly as printers.go printPod does,
 * since `kubectl get pods` is the table people read most.
 */
import type { KObject } from '../types.ts';
import { ageColumn, ageOf, col, conditionsOf, nameColumn, nameOf, wide } from './columns.ts';
import { doc } from './descriptions.ts';
import { humanDuration, parseTime } from './duration.ts';
import type { RowConditionPrinter, TableRowCondition } from './table.ts';

interface ContainerState {
  waiting?: { reason?: string };
  running?: { startedAt?: string };
  terminated?: { exitCode?: number; signal?: number; reason?: string; finishedAt?: string };
}

interface ContainerStatus {
  name?: string;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
  state?: ContainerState;
  lastState?: ContainerState;
}

interface Container {
  name?: string;
  restartPolicy?: string;
}

/** Kubernetes' node lifecycle controller sets this reason on pods of a lost node. */
const NODE_LOST_REASON = 'NodeLost';

const podColumns = [
  nameColumn,
  col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
  col('Status', 'The aggregate status of the containers in this pod.'),
  col(
    'Restarts',
    'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
  ),
  ageColumn,
  wide('IP', doc.podIP),
  wide('Node', doc.podNodeName),
  wide('Nominated Node', doc.podNominated),
  wide('Readiness Gates', doc.podReadinessGates),
];

/** Sidecars: init containers with restartPolicy Always keep running beside the main ones. */
function isRestartable(container: Container | undefined): boolean {
  return container?.restartPolicy === 'Always';
}

function hasCondition(pod: KObject, type: string): boolean {
  const found = conditionsOf(pod.status).find((c) => c.type === type);
  return found?.status === 'True';
}

/** Tracks the latest container termination, for "3 (5m ago)". */
class LastRestart {
  at: number | undefined;
  note(state: ContainerState | undefined): void {
    const t = parseTime(state?.terminated?.finishedAt);
    if (t !== undefined && (this.at === undefined || this.at < t)) this.at = t;
  }
}

function terminatedReason(t: NonNullable<ContainerState['terminated']>, prefix: string): string {
  if (t.reason) return prefix + t.reason;
  if (t.signal) return `${prefix}Signal:${t.signal}`;
  return `${prefix}ExitCode:${t.exitCode ?? 0}`;
}

interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

export function summarizePod(pod: KObject, now: Date): PodSummary {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  const initContainers: Container[] = spec.initContainers ?? [];
  const initStatuses: ContainerStatus[] = status.initContainerStatuses ?? [];
  const containerStatuses: ContainerStatus[] = status.containerStatuses ?? [];
  const phase: string = status.phase ?? '';

  let total = (spec.containers ?? []).length;
  let readyCount = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let last = new LastRestart();
  const sidecarLast = new LastRestart();

  let reason: string = status.reason || phase;
  if (conditionsOf(status).some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) {
    reason = 'SchedulingGated';
  }

  const initByName = new Map<string, Container>();
  for (const c of initContainers) {
    initByName.set(c.name ?? '', c);
    if (isRestartable(c)) total++;
  }

  let initializing = false;
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    const restartable = isRestartable(initByName.get(cs.name ?? ''));
    restarts += cs.restartCount ?? 0;
    last.note(cs.lastState);
    if (restartable) {
      sidecarRestarts += cs.restartCount ?? 0;
      sidecarLast.note(cs.lastState);
    }
    const terminated = cs.state?.terminated;
    const waiting = cs.state?.waiting;
    if (terminated && (terminated.exitCode ?? 0) === 0) continue;
    if (restartable && cs.started === true) {
      if (cs.ready) readyCount++;
      continue;
    }
    if (terminated) reason = terminatedReason(terminated, 'Init:');
    else if (waiting?.reason && waiting.reason !== 'PodInitializing') reason = `Init:${waiting.reason}`;
    else reason = `Init:${i}/${initContainers.length}`;
    initializing = true;
    break;
  }

  if (!initializing || hasCondition(pod, 'Initialized')) {
    restarts = sidecarRestarts;
    last = sidecarLast;
    let hasRunning = false;
    // Walking backwards makes the first container's state win, as Kubernetes does.
    for (let i = containerStatuses.length - 1; i >= 0; i--) {
      const cs = containerStatuses[i];
      restarts += cs.restartCount ?? 0;
      last.note(cs.lastState);
      const waiting = cs.state?.waiting;
      const terminated = cs.state?.terminated;
      if (waiting?.reason) reason = waiting.reason;
      else if (terminated) reason = terminatedReason(terminated, '');
      else if (cs.ready && cs.state?.running) {
        hasRunning = true;
        readyCount++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = hasCondition(pod, 'Ready') ? 'Running' : 'NotReady';
  }

  if (pod.metadata?.deletionTimestamp) {
    if (status.reason === NODE_LOST_REASON) reason = 'Unknown';
    else if (phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';
  }

  let restartsText = String(restarts);
  if (restarts !== 0 && last.at !== undefined) {
    restartsText = `${restarts} (${humanDuration(now.getTime() - last.at)} ago)`;
  }
  return { ready: `${readyCount}/${total}`, status: reason, restarts: restartsText };
}

function readinessGates(pod: KObject): string {
  const gates: { conditionType?: string }[] = pod.spec?.readinessGates ?? [];
  if (gates.length === 0) return '<none>';
  const conditions = conditionsOf(pod.status);
  let trueCount = 0;
  for (const gate of gates) {
    const found = conditions.find((c) => c.type === gate.conditionType);
    if (found?.status === 'True') trueCount++;
  }
  return `${trueCount}/${gates.length}`;
}

function podIP(pod: KObject): string {
  const ips: { ip?: string }[] = pod.status?.podIPs ?? [];
  return ips[0]?.ip || pod.status?.podIP || '<none>';
}

const succeeded: TableRowCondition[] = [
  { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
];
const failed: TableRowCondition[] = [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];

export const podPrinter: RowConditionPrinter = {
  columns: podColumns,
  row(pod, now) {
    const summary = summarizePod(pod, now);
    return [
      nameOf(pod),
      summary.ready,
      summary.status,
      summary.restarts,
      ageOf(pod, now),
      podIP(pod),
      pod.spec?.nodeName || '<none>',
      pod.status?.nominatedNodeName || '<none>',
      readinessGates(pod),
    ];
  },
  rowConditions(pod) {
    if (pod.status?.phase === 'Succeeded') return succeeded;
    if (pod.status?.phase === 'Failed') return failed;
    return undefined;
  },
};
