/**
 * The pod status a kubelet reports, computed from what the runtime holds: phase (Kubernetes'
 * getPhase), conditions, container and init container statuses with state, lastState,
 * restartCount, IDs, started and ready, addresses, startTime and QoS class. Pure: the pod
 * worker gathers the inputs and writes the result only when it differs from the pod's.
 */
import type { KObject } from '../../api/types.ts';
import { canonicalJson } from '../../controllers/history/revision.ts';
import { kubeTime } from '../../simulate/node.ts';
import { isSidecar, type ContainerSpec } from './labels.ts';
import { qosClass } from './resources.ts';
import { instancesOf, type ContainerInfo, type PodRuntimeState } from './state.ts';

export interface Waiting {
  reason: string;
  message?: string;
}

export interface StatusInputs {
  pod: KObject;
  state: PodRuntimeState;
  /** The sandbox is ready and networked. */
  sandboxReady: boolean;
  podIP?: string;
  /** All of the pod's addresses, the primary first (dual stack); default [podIP]. */
  podIPs?: string[];
  hostIP?: string;
  /** Why a container that should run does not (image pull, back-off, config error), by name. */
  waiting: Map<string, Waiting>;
  ready: (containerId: string) => boolean;
  started: (containerId: string) => boolean;
  /** The pod is being deleted and everything in it stopped. */
  terminated: boolean;
  now: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const OWN_CONDITIONS = ['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready'];
const CONTAINER_STATUS_UNKNOWN = { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated' };

const time = (ms: number) => kubeTime(ms);

function terminatedState(c: ContainerInfo): Json {
  return {
    terminated: {
      exitCode: c.exitCode,
      reason: c.reason || (c.exitCode === 0 ? 'Completed' : 'Error'),
      ...(c.message ? { message: c.message } : {}),
      startedAt: c.startedAt ? time(c.startedAt) : null,
      finishedAt: time(c.finishedAt || c.createdAt),
      containerID: `containerd://${c.id}`,
    },
  };
}

interface Built {
  status: Json;
  kind: 'running' | 'terminated' | 'waiting' | 'waitingAfterRun';
  ready: boolean;
  exitCode?: number;
}

function containerStatus(spec: ContainerSpec, instances: ContainerInfo[], inputs: StatusInputs, defaultWaiting: string, init: boolean): Built {
  const [current, previous] = instances;
  const waiting = inputs.waiting.get(spec.name);
  const base: Json = { name: spec.name, image: spec.image ?? '', imageID: current?.imageRef ?? '', restartCount: current?.restartCount ?? 0 };
  if (current) base.containerID = `containerd://${current.id}`;
  if (current?.state === 'CONTAINER_RUNNING') {
    // An init container is ready once it completed, not while it runs.
    const ready = !init && inputs.ready(current.id);
    const status = { ...base, started: inputs.started(current.id), ready, state: { running: { startedAt: time(current.startedAt) } }, lastState: previous ? terminatedState(previous) : {} };
    return { status, kind: 'running', ready };
  }
  if (current?.state === 'CONTAINER_EXITED' && !waiting) {
    const status = { ...base, started: false, ready: init && current.exitCode === 0, state: terminatedState(current), lastState: previous ? terminatedState(previous) : {} };
    return { status, kind: 'terminated', ready: false, exitCode: current.exitCode };
  }
  if (!current && inputs.terminated) {
    return { status: { ...base, started: false, ready: false, state: { terminated: { ...CONTAINER_STATUS_UNKNOWN, finishedAt: time(inputs.now) } }, lastState: {} }, kind: 'terminated', ready: false, exitCode: 137 };
  }
  // Waiting: to be created, or to be restarted (then the exited instance is its last state).
  const ranBefore = current?.state === 'CONTAINER_EXITED' ? current : previous;
  const reason = waiting ?? { reason: defaultWaiting };
  const status = { ...base, started: false, ready: false, state: { waiting: { reason: reason.reason, ...(reason.message ? { message: reason.message } : {}) } }, lastState: ranBefore ? terminatedState(ranBefore) : {} };
  return { status, kind: ranBefore ? 'waitingAfterRun' : 'waiting', ready: false, exitCode: ranBefore?.exitCode };
}

function condition(pod: KObject, type: string, ok: boolean, now: number, reason?: string, message?: string): Json {
  const status = ok ? 'True' : 'False';
  const existing = ((pod.status?.conditions ?? []) as Json[]).find((c) => c.type === type);
  const since = existing && existing.status === status ? existing.lastTransitionTime : time(now);
  return { type, status, lastProbeTime: null, lastTransitionTime: since, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

/** Why Ready is False because of spec.readinessGates, if it is. */
function readinessGatesProblem(pod: KObject): string | undefined {
  for (const gate of (pod.spec?.readinessGates ?? []) as { conditionType: string }[]) {
    const c = ((pod.status?.conditions ?? []) as Json[]).find((x) => x.type === gate.conditionType);
    if (!c) return `corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`;
    if (c.status !== 'True') return `the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}`;
  }
  return undefined;
}

export function podStatus(inputs: StatusInputs): Json {
  const { pod, state, now } = inputs;
  const spec = pod.spec ?? {};
  const restartPolicy = (spec.restartPolicy as string | undefined) ?? 'Always';
  const initSpecs = (spec.initContainers ?? []) as ContainerSpec[];
  const specs = (spec.containers ?? []) as ContainerSpec[];
  // Ephemeral containers are reported, but count for neither the phase nor readiness.
  const ephemeralSpecs = (spec.ephemeralContainers ?? []) as ContainerSpec[];

  // Sidecars (restartable init containers) are ready and complete as regular containers are: running, started, probed.
  const initBuilt = initSpecs.map((c) => containerStatus(c, instancesOf(state, c.name), inputs, 'PodInitializing', !isSidecar(c)));
  const initDone = (c: ContainerSpec, b: Built) => (isSidecar(c) ? b.kind === 'running' && b.status.started === true : b.kind === 'terminated' && b.exitCode === 0);
  const incompleteInit = initSpecs.filter((c, i) => !initDone(c, initBuilt[i]!)).map((c) => c.name);
  const initFailed = initSpecs.some((c, i) => !isSidecar(c) && ['terminated', 'waitingAfterRun'].includes(initBuilt[i]!.kind) && initBuilt[i]!.exitCode !== 0);
  // A pod whose containers ran is initialized for good: a sidecar restarting later does not undo it.
  const containersRan = specs.some((c) => instancesOf(state, c.name).length > 0);
  const initialized = incompleteInit.length === 0 || containersRan;
  const defaultWaiting = !inputs.sandboxReady || initialized ? 'ContainerCreating' : 'PodInitializing';
  const built = specs.map((c) => containerStatus(c, instancesOf(state, c.name), inputs, defaultWaiting, false));

  let phase = phaseOf(built, restartPolicy, initialized, initFailed, inputs.terminated);
  const previousPhase = pod.status?.phase as string | undefined;
  // A pod never leaves Succeeded or Failed.
  if (previousPhase === 'Succeeded' || previousPhase === 'Failed') phase = previousPhase;
  const done = phase === 'Succeeded' || phase === 'Failed';

  const unready = [...initSpecs.filter((c, i) => isSidecar(c) && !initBuilt[i]!.ready), ...specs.filter((_, i) => !built[i]!.ready)].map((c) => c.name);
  const containersReady = unready.length === 0 && !done;
  const gatesProblem = readinessGatesProblem(pod);
  const notReady = done ? { reason: 'PodCompleted' } : unready.length ? { reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` } : undefined;
  const readyWhy = notReady ?? (gatesProblem ? { reason: 'ReadinessGatesNotReady', message: gatesProblem } : undefined);
  const initWhy = initialized ? undefined : { reason: 'ContainersNotInitialized', message: `containers with incomplete status: [${incompleteInit.join(' ')}]` };

  const networked = inputs.sandboxReady && !done && !inputs.terminated;
  const conditions = [
    condition(pod, 'PodReadyToStartContainers', networked, now),
    condition(pod, 'Initialized', initialized, now, initWhy?.reason, initWhy?.message),
    condition(pod, 'Ready', containersReady && !gatesProblem, now, readyWhy?.reason, readyWhy?.message),
    condition(pod, 'ContainersReady', containersReady, now, notReady?.reason, notReady?.message),
  ];
  const podIP = inputs.podIP ?? (pod.status?.podIP as string | undefined);
  const podIPs = inputs.podIP ? (inputs.podIPs ?? [inputs.podIP]).map((ip) => ({ ip })) : ((pod.status?.podIPs as { ip: string }[] | undefined) ?? (podIP ? [{ ip: podIP }] : []));
  return {
    phase,
    conditions,
    ...(inputs.hostIP ? { hostIP: inputs.hostIP, hostIPs: [{ ip: inputs.hostIP }] } : {}),
    ...(podIP ? { podIP, podIPs } : {}),
    startTime: (pod.status?.startTime as string | undefined) ?? time(now),
    qosClass: qosClass(pod),
    ...(initSpecs.length ? { initContainerStatuses: initBuilt.map((b) => b.status) } : {}),
    containerStatuses: built.map((b) => b.status),
    ...(ephemeralSpecs.length ? { ephemeralContainerStatuses: ephemeralSpecs.map((c) => containerStatus(c, instancesOf(state, c.name), inputs, 'ContainerCreating', false).status) } : {}),
  };
}

/** Kubernetes' getPhase over the regular containers. */
function phaseOf(built: Built[], restartPolicy: string, initialized: boolean, initFailed: boolean, terminated: boolean): string {
  if (initFailed && restartPolicy === 'Never') return 'Failed';
  if (!initialized) return terminated ? 'Failed' : 'Pending';
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const b of built) {
    if (b.kind === 'running') running++;
    else if (b.kind === 'waiting') waiting++;
    else {
      stopped++;
      if (b.kind === 'terminated' && b.exitCode === 0) succeeded++;
    }
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (terminated) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

/** Drops nulls and empty objects, which a server may or may not keep, before comparing. */
function comparable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(comparable);
  if (value && typeof value === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) {
      const c = comparable(v);
      if (c === null || c === undefined || (typeof c === 'object' && !Array.isArray(c) && Object.keys(c).length === 0)) continue;
      out[k] = c;
    }
    return out;
  }
  return value;
}

/** A status as text that is equal for equal statuses, whatever their key order, nulls and empty objects. */
export function statusJson(status: Json): string {
  return canonicalJson(comparable(status));
}

/** Whether writing `status` would change the pod's status (only the fields and conditions a kubelet owns count). */
export function statusChanged(pod: KObject, status: Json): boolean {
  const current = (pod.status ?? {}) as Json;
  const mine = (conditions: Json[] | undefined) =>
    (conditions ?? []).filter((c) => OWN_CONDITIONS.includes(c.type)).sort((a, b) => (a.type < b.type ? -1 : 1));
  for (const key of Object.keys(status)) {
    const a = key === 'conditions' ? mine(status.conditions) : status[key];
    const b = key === 'conditions' ? mine(current.conditions) : current[key];
    if (canonicalJson(comparable(a)) !== canonicalJson(comparable(b))) return true;
  }
  return false;
}
