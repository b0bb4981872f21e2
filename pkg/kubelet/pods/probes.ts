/**
 * Probe workers, one per running container and probe kind, as Kubernetes' prober: startup
 * gates the other two; liveness and startup start out passing and turn to failure after
 * failureThreshold failures in a row (the pod worker then restarts the container); readiness
 * starts out failing and decides the container's `ready`. Every failure is an Unhealthy event
 * ("Liveness probe failed: …"). A changed result wakes the pod's worker through onChange.
 */
import type { KObject } from '../../api/types.ts';
import type { EventSink } from '../../client/events.ts';
import type { RuntimeService } from '../runtime.ts';
import { runAction } from './actions.ts';
import type { ContainerSpec } from './labels.ts';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

const PROBE_FIELD: Record<ProbeKind, string> = { liveness: 'livenessProbe', readiness: 'readinessProbe', startup: 'startupProbe' };
const EVENT_WORD: Record<ProbeKind, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

export interface ProbeDeps {
  runtime: RuntimeService;
  recorder: EventSink;
  now: () => number;
  /** A result changed: the pod's worker should look again. */
  onChange: (podUid: string) => void;
  /** Milliseconds in a probe "second" (tests shorten it). */
  secondMs?: number;
}

/** A running container to probe. */
export interface ProbeTarget {
  pod: KObject;
  container: ContainerSpec;
  containerId: string;
  startedAtMs: number;
  podIP: string;
  /** Readiness to start from (a container adopted after an agent restart keeps what the API shows). */
  wasReady?: boolean;
}

class ProbeWorker {
  /** undefined: no verdict yet (a startup probe before it passes or fails). */
  result: boolean | undefined;
  private run = 0;
  private lastOutcome: boolean | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly kind: ProbeKind, private target: ProbeTarget, private readonly probe: Record<string, number | undefined>, private readonly manager: ProbeManager, private readonly deps: ProbeDeps) {
    // A container adopted as ready after an agent restart had started and was ready.
    if (kind === 'liveness') this.result = true;
    else if (kind === 'readiness') this.result = target.wasReady === true;
    else this.result = target.wasReady === true ? true : undefined;
    const second = deps.secondMs ?? 1000;
    const sinceStart = deps.now() - target.startedAtMs;
    this.schedule(Math.max(0, (probe.initialDelaySeconds ?? 0) * second - sinceStart));
  }

  /** The pod object changes with every status write; probes keep using the latest for events. */
  retarget(target: ProbeTarget): void {
    this.target = { ...target, wasReady: this.target.wasReady };
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const second = this.deps.secondMs ?? 1000;
    const period = (this.probe.periodSeconds ?? 10) * second;
    // Liveness and readiness wait for the startup probe to pass.
    if (this.kind !== 'startup' && !this.manager.started(this.target.containerId)) return this.schedule(period);
    const { pod, container, containerId, podIP } = this.target;
    const res = await runAction(this.probe as Record<string, unknown>, { runtime: this.deps.runtime, containerId, container, podIP }, (this.probe.timeoutSeconds ?? 1) * second);
    if (this.stopped) return;
    const word = EVENT_WORD[this.kind];
    if (res.outcome === 'error') {
      this.deps.recorder.event(pod, 'Warning', 'Unhealthy', `${word} probe errored: ${res.output}`);
      return this.schedule(period);
    }
    const ok = res.outcome === 'success';
    if (!ok) this.deps.recorder.event(pod, 'Warning', 'Unhealthy', `${word} probe failed: ${res.output}`);
    this.run = ok === this.lastOutcome ? this.run + 1 : 1;
    this.lastOutcome = ok;
    const threshold = ok ? (this.probe.successThreshold ?? 1) : (this.probe.failureThreshold ?? 3);
    if (this.run >= threshold && ok !== this.result) {
      this.result = ok;
      this.deps.onChange(pod.metadata.uid!);
    }
    // A failed liveness or startup probe waits for the restart (a new container, a new worker);
    // a passed startup probe is done.
    if (this.run >= threshold && ((this.kind !== 'readiness' && !ok) || (this.kind === 'startup' && ok))) return;
    this.schedule(period);
  }
}

export class ProbeManager {
  /** By container ID, then kind. */
  private readonly workers = new Map<string, Map<ProbeKind, ProbeWorker>>();
  private readonly podOf = new Map<string, string>();

  constructor(private readonly deps: ProbeDeps) {}

  /** Probes the pod's running containers given here; stops the workers of its other containers. */
  update(podUid: string, targets: ProbeTarget[]): void {
    const keep = new Set(targets.map((t) => t.containerId));
    for (const [id, uid] of this.podOf) if (uid === podUid && !keep.has(id)) this.stopContainer(id);
    for (const target of targets) {
      let kinds = this.workers.get(target.containerId);
      if (!kinds) {
        kinds = new Map();
        for (const kind of ['startup', 'liveness', 'readiness'] as ProbeKind[]) {
          const probe = target.container[PROBE_FIELD[kind]] as Record<string, number> | undefined;
          if (probe) kinds.set(kind, new ProbeWorker(kind, target, probe, this, this.deps));
        }
        this.workers.set(target.containerId, kinds);
        this.podOf.set(target.containerId, podUid);
      } else {
        for (const worker of kinds.values()) worker.retarget(target);
      }
    }
  }

  stopPod(podUid: string): void {
    for (const [id, uid] of this.podOf) if (uid === podUid) this.stopContainer(id);
  }

  stopAll(): void {
    for (const id of [...this.workers.keys()]) this.stopContainer(id);
  }

  /** Whether the container passed its startup probe (true without one). */
  started(containerId: string): boolean {
    const startup = this.workers.get(containerId)?.get('startup');
    return startup ? startup.result === true : true;
  }

  /** Whether the container is ready: started, and passing its readiness probe if it has one. */
  ready(containerId: string): boolean {
    const readiness = this.workers.get(containerId)?.get('readiness');
    return this.started(containerId) && (readiness ? readiness.result === true : true);
  }

  /** The probe that says the container must be restarted, if any. */
  failed(containerId: string): 'liveness' | 'startup' | undefined {
    const kinds = this.workers.get(containerId);
    if (kinds?.get('startup')?.result === false) return 'startup';
    if (kinds?.get('liveness')?.result === false) return 'liveness';
    return undefined;
  }

  private stopContainer(id: string): void {
    for (const worker of this.workers.get(id)?.values() ?? []) worker.stop();
    this.workers.delete(id);
    this.podOf.delete(id);
  }
}
