/**
 * reconcile(podUID): the pod worker's one step, serialised per UID by the work queue. A pod
 * that should run is synced and its status written when it changed; a deleted pod
 * (deletionTimestamp) is stopped within its grace period, its volumes torn down, its final
 * status written, and then removed from the API (DELETE, grace 0, UID precondition); a pod
 * that finished keeps its containers stopped; what runs for a UID the API no longer has
 * (force-deleted, or deleted while the agent was down) is stopped at once and removed.
 */
import type { KObject } from '../../api/types.ts';
import type { Logger } from '../../log/log.ts';
import { removePodCgroups } from './cgroups.ts';
import type { ImageManager } from './images.ts';
import type { ProbeManager, ProbeTarget } from './probes.ts';
import { allContainers, podLogDirectory } from './sandbox.ts';
import { inspectPod, type PodRuntimeState } from './state.ts';
import { TerminationMessages } from './termlog.ts';
import { podStatus, statusChanged, statusJson } from './status.ts';
import type { PodSyncer, SyncDeps, SyncOutcome } from './sync.ts';
import { killPod, podGracePeriod, removePod } from './terminate.ts';

/** The pods of this node as the informer has them. */
export interface PodStore {
  byUid(uid: string): KObject | undefined;
}

/** The kubelet's writes to the API. */
export interface PodApi {
  /** Writes pods/status (strategic merge, UID-guarded). */
  patchStatus(pod: KObject, status: Record<string, unknown>): Promise<void>;
  /** The final DELETE of a pod whose containers all stopped (grace 0, UID precondition); NotFound and Conflict are fine. */
  deleteFinal(pod: KObject): Promise<void>;
}

export interface WorkerDeps extends SyncDeps {
  store: PodStore;
  api: PodApi;
  syncer: PodSyncer;
  images: ImageManager;
  probes: ProbeManager;
  log: Logger;
}

/** How often a status the API shows otherwise is sent again (kubelet's status manager reconciles every 10 s). */
export const STATUS_RESEND_MS = 10_000;

/** An orphan's containers get one second, as Kubernetes gives runtime pods it has no spec for. */
export const ORPHAN_GRACE_SECONDS = 1;

const isTerminal = (phase: unknown) => phase === 'Succeeded' || phase === 'Failed';

export class PodWorkers {
  /** Per UID, the status this worker last wrote (or found the API had), as text, and when. */
  private readonly written = new Map<string, { status: Record<string, unknown>; json: string; at: number }>();

  /** Pods being stopped, with the grace period their containers were given. */
  private readonly terminating = new Map<string, number>();

  private readonly messages: TerminationMessages;
  /** Finished pods whose volumes are already torn down. */
  private readonly finished = new Set<string>();

  constructor(private readonly deps: WorkerDeps) {
    this.messages = new TerminationMessages(deps.sandbox.dataDir);
  }

  /**
   * A shorter grace period for a pod whose containers are being stopped (deleted again with a
   * smaller --grace-period, or force-deleted): its running containers get it now, while the
   * worker still waits on the first stop.
   */
  /** The pod is being deleted: a pull it waits for is not worth finishing. */
  cancelPulls(uid: string): void {
    this.deps.syncer.cancelPulls(uid);
  }

  async expedite(uid: string, graceSeconds: number): Promise<void> {
    const current = this.terminating.get(uid);
    if (current === undefined || graceSeconds >= current) return;
    this.terminating.set(uid, graceSeconds);
    const { runtime } = this.deps;
    const running = (await inspectPod(runtime, uid)).containers.filter((c) => c.state === 'CONTAINER_RUNNING');
    await Promise.allSettled(running.map((c) => runtime.stopContainer({ containerId: c.id, timeout: graceSeconds })));
  }

  async reconcile(uid: string): Promise<boolean | number> {
    const stored = this.deps.store.byUid(uid);
    if (!stored) return this.cleanUp(uid);
    const pod = this.withOwnWrite(stored);
    if (pod.metadata.deletionTimestamp) return this.terminate(pod);
    if (isTerminal(pod.status?.phase)) {
      await this.finish(pod, await inspectPod(this.deps.runtime, uid));
      return true;
    }
    const deadlineLeft = this.activeDeadlineLeft(pod);
    if (deadlineLeft !== undefined && deadlineLeft <= 0) return this.exceedDeadline(pod);
    const outcome = await this.deps.syncer.sync(pod);
    await this.messages.fill(pod, outcome.state);
    this.updateProbes(pod, outcome);
    const status = this.statusOf(pod, outcome, false);
    const resendMs = await this.write(pod, status);
    if (isTerminal(status.phase)) {
      await this.finish(pod, outcome.state);
      return true;
    }
    // The deadline counts from startTime, which the first status just set.
    const next = [outcome.requeueMs, resendMs, this.activeDeadlineLeft({ ...pod, status })].filter((ms): ms is number => ms !== undefined);
    return next.length ? Math.min(...next) : true;
  }

  /** Milliseconds until spec.activeDeadlineSeconds runs out, counted from the pod's start; undefined without one. */
  private activeDeadlineLeft(pod: KObject): number | undefined {
    const seconds = pod.spec?.activeDeadlineSeconds as number | undefined;
    const start = Date.parse((pod.status?.startTime as string | undefined) ?? '');
    if (seconds === undefined || Number.isNaN(start)) return undefined;
    return start + seconds * 1000 - this.deps.now();
  }

  /** Kubernetes' active deadline: the pod is stopped and Failed with reason DeadlineExceeded. */
  private async exceedDeadline(pod: KObject): Promise<boolean> {
    const message = 'Pod was active on the node longer than the specified deadline';
    this.deps.recorder.event(pod, 'Normal', 'DeadlineExceeded', message);
    const uid = pod.metadata.uid!;
    await killPod(this.deps, pod, await inspectPod(this.deps.runtime, uid), podGracePeriod(pod));
    const state = await inspectPod(this.deps.runtime, uid);
    await this.messages.fill(pod, state);
    await this.write(pod, { ...this.statusOf(pod, { state, sandboxReady: false }, true), phase: 'Failed', reason: 'DeadlineExceeded', message });
    await this.finish(pod, state);
    return true;
  }

  private statusOf(pod: KObject, outcome: Pick<SyncOutcome, 'state' | 'sandboxReady' | 'podIP' | 'podIPs'>, terminated: boolean): Record<string, unknown> {
    const { probes, syncer } = this.deps;
    return podStatus({
      pod,
      state: outcome.state,
      sandboxReady: outcome.sandboxReady,
      podIP: outcome.podIP,
      podIPs: outcome.podIPs,
      hostIP: this.deps.hostIP,
      waiting: syncer.waitingOf(pod.metadata.uid!),
      ready: (id) => probes.ready(id),
      started: (id) => probes.started(id),
      terminated,
      now: this.deps.now(),
    });
  }

  /** Probes follow the running containers of the current sandbox. */
  private updateProbes(pod: KObject, outcome: SyncOutcome): void {
    const sandboxId = outcome.state.sandboxes[0]?.id;
    const specs = new Map(allContainers(pod).map((c) => [c.name, c]));
    const reported = new Map(((pod.status?.containerStatuses ?? []) as { containerID?: string; ready?: boolean }[]).map((s) => [s.containerID, s.ready === true]));
    const targets: ProbeTarget[] = [];
    for (const c of outcome.state.containers) {
      const container = specs.get(c.name);
      if (!container || c.state !== 'CONTAINER_RUNNING' || c.sandboxId !== sandboxId) continue;
      targets.push({ pod, container, containerId: c.id, startedAtMs: c.startedAt, podIP: outcome.podIP ?? '', wasReady: reported.get(`containerd://${c.id}`) });
    }
    this.deps.probes.update(pod.metadata.uid!, targets);
  }

  /**
   * The pod with the status this worker last wrote, as kubelet's status manager keeps it: times
   * chosen then (startTime, transitions) are kept while the informer lags, and another writer's
   * change to the kubelet's fields is not taken for the container's truth. A phase someone else
   * ended (an eviction) stays ended.
   */
  private withOwnWrite(pod: KObject): KObject {
    const last = this.written.get(pod.metadata.uid!);
    if (!last) return pod;
    const mine = (last.status.conditions ?? []) as { type: string }[];
    const others = ((pod.status?.conditions ?? []) as { type: string }[]).filter((c) => !mine.some((m) => m.type === c.type));
    const status = { ...pod.status, ...last.status, conditions: [...others, ...mine] };
    if (isTerminal(pod.status?.phase)) status.phase = pod.status!.phase;
    return { ...pod, status };
  }

  /**
   * Writes the status when it changed since this worker last wrote it. When only the API's copy
   * differs (the informer lags, or someone else changed the kubelet's fields) it is sent again
   * at most every STATUS_RESEND_MS, so two writers that disagree do not loop; answers when that
   * re-send is due.
   */
  private async write(pod: KObject, status: Record<string, unknown>): Promise<number | undefined> {
    const uid = pod.metadata.uid!;
    const api = this.deps.store.byUid(uid) ?? pod;
    const json = statusJson(status);
    const last = this.written.get(uid);
    const now = this.deps.now();
    const sameAsLast = last?.json === json;
    if (!statusChanged(api, status)) {
      this.written.set(uid, { status, json, at: sameAsLast ? last!.at : now });
      return undefined;
    }
    if (sameAsLast && now - last!.at < STATUS_RESEND_MS) return STATUS_RESEND_MS - (now - last!.at);
    await this.deps.api.patchStatus(pod, status);
    this.written.set(uid, { status, json, at: now });
    return undefined;
  }

  /** A pod that finished: nothing of it runs any more, its sandbox stops, its volumes go (once). */
  private async finish(pod: KObject, state: PodRuntimeState): Promise<void> {
    const uid = pod.metadata.uid!;
    this.deps.probes.stopPod(uid);
    if (state.containers.some((c) => c.state === 'CONTAINER_RUNNING') || state.sandboxes.some((s) => s.state === 'SANDBOX_READY')) {
      await killPod(this.deps, pod, state, podGracePeriod(pod));
    }
    if (this.finished.has(uid)) return;
    await this.deps.volumes.tearDown(uid);
    this.finished.add(uid);
  }

  private async terminate(pod: KObject): Promise<boolean> {
    const uid = pod.metadata.uid!;
    const { runtime } = this.deps;
    const grace = podGracePeriod(pod);
    this.terminating.set(uid, grace);
    try {
      await killPod(this.deps, pod, await inspectPod(runtime, uid), grace);
    } finally {
      this.terminating.delete(uid);
    }
    this.deps.probes.stopPod(uid);
    const state = await inspectPod(runtime, uid);
    // Messages are read before the pod's directory goes with its volumes.
    await this.messages.fill(pod, state);
    await this.deps.volumes.tearDown(uid);
    await this.write(pod, this.statusOf(pod, { state, sandboxReady: false }, true));
    await this.deps.api.deleteFinal(pod);
    return true;
  }

  private async cleanUp(uid: string): Promise<boolean> {
    const state = await inspectPod(this.deps.runtime, uid);
    if (state.containers.length > 0 || state.sandboxes.length > 0) {
      const named = state.sandboxes.find((s) => s.name && s.namespace);
      this.deps.log.info(`pod ${uid} is gone from the API: stopping and removing its ${state.containers.length} containers and ${state.sandboxes.length} sandboxes`);
      await killPod(this.deps, undefined, state, ORPHAN_GRACE_SECONDS, true);
      const logDirectory = named ? podLogDirectory(this.deps.sandbox.dataDir, { ...named, uid }) : undefined;
      await removePod(this.deps, state, logDirectory);
      await removePodCgroups(this.deps.sandbox.cgroupDriver, this.deps.sandbox.cgroupRoot, uid);
      await this.deps.volumes.tearDown(uid);
    } else if (this.deps.volumes.podUidsOnDisk?.().includes(uid)) {
      // Deleted while the agent was down, its containers gone too (a reboot): only volumes are left.
      this.deps.log.info(`pod ${uid} is gone from the API: removing its volumes`);
      await this.deps.volumes.tearDown(uid);
    }
    this.deps.probes.stopPod(uid);
    this.deps.syncer.forget(uid);
    this.messages.forget(uid);
    this.deps.images.forget(uid);
    this.written.delete(uid);
    this.finished.delete(uid);
    return true;
  }
}
