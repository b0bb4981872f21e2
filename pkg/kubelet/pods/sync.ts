/**
 * One pass over a pod that should run, as Kubernetes' SyncPod: make the sandbox (again, if it
 * died), run the init containers one after another, then start the containers, restart the
 * exited ones as restartPolicy says with CrashLoopBackOff, and restart those a liveness or
 * startup probe condemned or whose spec changed. Each pass does what it can and answers when to
 * look again; container exits and probe results wake the pod's worker in between.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { KObject } from '../../api/types.ts';
import type { EventSink } from '../../client/events.ts';
import type { Logger } from '../../log/log.ts';
import type { EnvResolver, Mount, PodSandboxConfig, PodVolumes, RuntimeService } from '../runtime.ts';
import { runAction } from './actions.ts';
import { Backoff } from './backoff.ts';
import { containerConfig, nonRootViolation } from './container.ts';
import { ensureEtcHosts } from './hosts.ts';
import type { ImageManager } from './images.ts';
import { containerHash, isSidecar, podDescription, type ContainerSpec } from './labels.ts';
import type { ProbeManager } from './probes.ts';
import { qosClass } from './resources.ts';
import { podLogDirectory, sandboxConfig, type SandboxSettings } from './sandbox.ts';
import { terminationMessageMount } from './termlog.ts';
import { inspectPod, instancesOf, type ContainerInfo, type PodRuntimeState, type SandboxInfo } from './state.ts';
import type { Waiting } from './status.ts';
import { collectGarbage, killContainer, killPod, podGracePeriod } from './terminate.ts';

/** How soon a pod waiting on something outside the runtime (a volume, a ConfigMap) is looked at again. */
export const RETRY_MS = 2000;
/** postStart hooks have no timeout in the API; this one keeps a stuck hook from holding the pod forever. */
const POST_START_TIMEOUT_MS = 120_000;

export interface SyncDeps {
  runtime: RuntimeService;
  volumes: PodVolumes;
  env: EnvResolver;
  recorder: EventSink;
  images: ImageManager;
  probes: ProbeManager;
  sandbox: SandboxSettings;
  memoryCapacity: number;
  hostIP?: string;
  /** False while the pod network is not set up: only hostNetwork pods get a sandbox then. */
  networkReady?: () => boolean;
  now: () => number;
  log: Logger;
}

export interface SyncOutcome {
  state: PodRuntimeState;
  sandboxReady: boolean;
  podIP?: string;
  /** The primary address first, then the other families' (dual stack). */
  podIPs?: string[];
  /** Look again after this many ms (a back-off ends). */
  requeueMs?: number;
}

interface PassContext {
  pod: KObject;
  state: PodRuntimeState;
  sandbox: SandboxInfo;
  sandboxConfig: PodSandboxConfig;
  podIP: string;
  podIPs: string[];
  mounts: Map<string, Mount[]>;
  /** The kubelet-managed /etc/hosts, once the pod has an address. */
  hostsMount: Mount | undefined;
  waiting: Map<string, Waiting>;
  /** Something was started or stopped: the runtime state must be read again. */
  acted: boolean;
  requeueMs?: number;
}

/** Go's time.Duration text for whole seconds (10s, 1m20s, 5m0s), as back-off messages show it. */
export function goDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60}s`;
}

export class PodSyncer {
  /** Why containers that should run do not, by pod UID then container name; read by the status. */
  readonly waiting = new Map<string, Map<string, Waiting>>();
  private readonly crashBackoff: Backoff;
  /** Per pod UID: what cancels its image pulls. */
  private readonly pulls = new Map<string, AbortController>();
  /** Per pod UID: failed RunPodSandbox calls, retried after 1 s doubling to 1 min. */
  private readonly sandboxBackoff: Backoff;

  constructor(private readonly deps: SyncDeps) {
    this.crashBackoff = new Backoff(deps.now);
    this.sandboxBackoff = new Backoff(deps.now, 1000, 60_000);
  }

  waitingOf(uid: string): Map<string, Waiting> {
    let w = this.waiting.get(uid);
    if (!w) this.waiting.set(uid, (w = new Map()));
    return w;
  }

  /** Cancels the pod's image pulls in flight (it is being deleted). */
  cancelPulls(uid: string): void {
    this.pulls.get(uid)?.abort();
    this.pulls.delete(uid);
  }

  forget(uid: string): void {
    this.cancelPulls(uid);
    this.waiting.delete(uid);
    this.crashBackoff.forgetPrefix(`${uid}/`);
    this.sandboxBackoff.forget(uid);
  }

  async sync(pod: KObject): Promise<SyncOutcome> {
    const { runtime, recorder } = this.deps;
    const uid = pod.metadata.uid!;
    let state = await inspectPod(runtime, uid);
    let mounts: Map<string, Mount[]>;
    try {
      mounts = await this.deps.volumes.setUp(pod);
    } catch (err) {
      // The volume manager recorded the FailedMount event; the pod waits in ContainerCreating.
      this.deps.log.debug(`pod ${podDescription(pod)}: ${(err as Error).message}`);
      return { state, sandboxReady: false, requeueMs: RETRY_MS };
    }
    let sandbox: SandboxInfo | undefined = state.sandboxes[0];
    if (!sandbox || sandbox.state !== 'SANDBOX_READY') {
      if (sandbox && !this.sandboxMayRestart(pod, state)) return { state, sandboxReady: false };
      // containerd 1.6 keeps a sandbox whose CNI setup failed as NOTREADY for good: better not to ask yet.
      if (!pod.spec?.hostNetwork && this.deps.networkReady && !this.deps.networkReady()) {
        this.deps.log.debug(`pod ${podDescription(pod)}: waiting for the pod network`);
        return { state, sandboxReady: false, requeueMs: RETRY_MS };
      }
      // A sandbox the runtime cannot make (the pod network not ready, say) is tried again with back-off; the pod waits in ContainerCreating.
      const wait = this.sandboxBackoff.remaining(uid);
      if (wait > 0) return { state, sandboxReady: false, requeueMs: wait };
      let id: string;
      try {
        id = await this.createSandbox(pod, state, sandbox);
      } catch {
        this.sandboxBackoff.next(uid);
        return { state: await inspectPod(runtime, uid), sandboxReady: false, requeueMs: this.sandboxBackoff.remaining(uid) };
      }
      this.sandboxBackoff.forget(uid);
      state = await inspectPod(runtime, uid);
      sandbox = state.sandboxes.find((s) => s.id === id);
      if (!sandbox) throw new Error(`sandbox ${id} of pod ${podDescription(pod)} vanished after it was created`);
    }
    const config = sandboxConfig(pod, sandbox.attempt, this.deps.sandbox);
    const network = pod.spec?.hostNetwork ? { ip: this.deps.hostIP } : (await runtime.podSandboxStatus({ podSandboxId: sandbox.id })).status?.network;
    const podIP = network?.ip ?? '';
    const podIPs = podIP ? [podIP, ...(network?.additionalIps ?? []).map((a) => a.ip)] : [];
    const hostsMount = await ensureEtcHosts(this.deps.sandbox.dataDir, pod, podIP, this.deps.sandbox.dns.domain);
    const ctx: PassContext = { pod, state, sandbox, sandboxConfig: config, podIP, podIPs, mounts, hostsMount, waiting: this.waitingOf(uid), acted: false };
    if (await this.syncInitContainers(ctx)) {
      for (const spec of (pod.spec?.containers ?? []) as ContainerSpec[]) await this.syncContainer(ctx, spec);
      // Ephemeral containers (kubectl debug) run once, never restarted.
      for (const spec of (pod.spec?.ephemeralContainers ?? []) as ContainerSpec[]) {
        if (instancesOf(ctx.state, spec.name).length === 0) await this.start(ctx, spec, undefined);
      }
    }
    if (ctx.acted) ctx.state = await inspectPod(runtime, uid);
    await collectGarbage(this.deps, ctx.state, config.logDirectory!);
    return { state: ctx.state, sandboxReady: true, podIP: podIP || undefined, podIPs, requeueMs: ctx.requeueMs };
  }

  /** Kubernetes does not make a new sandbox for a restartPolicy Never pod whose containers already ran. */
  private sandboxMayRestart(pod: KObject, state: PodRuntimeState): boolean {
    return pod.spec?.restartPolicy !== 'Never' || state.containers.length === 0;
  }

  /**
   * The pod as its status will read once reported: fieldRef env (status.podIP, status.hostIP)
   * must see this pass's addresses, not the API object's, which has none before the first report.
   */
  private addressed(ctx: PassContext): KObject {
    const hostIP = this.deps.hostIP;
    return {
      ...ctx.pod,
      status: {
        ...ctx.pod.status,
        ...(ctx.podIP ? { podIP: ctx.podIP, podIPs: ctx.podIPs.map((ip) => ({ ip })) } : {}),
        ...(hostIP ? { hostIP, hostIPs: [{ ip: hostIP }] } : {}),
      },
    };
  }

  private async createSandbox(pod: KObject, state: PodRuntimeState, previous: SandboxInfo | undefined): Promise<string> {
    const { runtime, recorder } = this.deps;
    if (previous) {
      recorder.event(pod, 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
      await killPod(this.deps, pod, state, podGracePeriod(pod));
    }
    const config = sandboxConfig(pod, previous ? previous.attempt + 1 : 0, this.deps.sandbox);
    await fs.mkdir(config.logDirectory!, { recursive: true });
    try {
      return (await runtime.runPodSandbox({ config })).podSandboxId;
    } catch (err) {
      recorder.event(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(err as Error).message}`);
      throw err;
    }
  }

  /**
   * Runs the init containers in order; true once all of them completed. A sidecar (an init
   * container with restartPolicy Always) lets the next one start once it has started, and is
   * kept running (restarted with back-off) from then on, whatever the pod's restartPolicy.
   */
  private async syncInitContainers(ctx: PassContext): Promise<boolean> {
    const never = ctx.pod.spec?.restartPolicy === 'Never';
    const inits = (ctx.pod.spec?.initContainers ?? []) as ContainerSpec[];
    // Once the containers run in this sandbox, initialization is over: only sidecars are kept up.
    const containersRan = ((ctx.pod.spec?.containers ?? []) as ContainerSpec[]).some((c) => instancesOf(ctx.state, c.name, ctx.sandbox.id).length > 0);
    if (containersRan) {
      for (const spec of inits.filter(isSidecar)) await this.syncContainer(ctx, spec, 'Always');
      return true;
    }
    for (const spec of inits) {
      const [current] = instancesOf(ctx.state, spec.name, ctx.sandbox.id);
      if (isSidecar(spec)) {
        await this.syncContainer(ctx, spec, 'Always');
        if (current?.state === 'CONTAINER_RUNNING' && this.deps.probes.started(current.id) && !this.deps.probes.failed(current.id)) continue;
        return false;
      }
      if (current?.state === 'CONTAINER_EXITED' && current.exitCode === 0) continue;
      if (current?.state === 'CONTAINER_RUNNING' || current?.state === 'CONTAINER_UNKNOWN') return false;
      if (current?.state === 'CONTAINER_EXITED') {
        // A failed init container fails a Never pod; the others retry it with back-off.
        if (!never) await this.restartAfterBackoff(ctx, spec, current);
        else ctx.waiting.delete(spec.name);
        return false;
      }
      await this.start(ctx, spec, current);
      return false;
    }
    return true;
  }

  private async syncContainer(ctx: PassContext, spec: ContainerSpec, policy: string = (ctx.pod.spec?.restartPolicy as string | undefined) ?? 'Always'): Promise<void> {
    let [current] = instancesOf(ctx.state, spec.name, ctx.sandbox.id);
    if (current?.state === 'CONTAINER_UNKNOWN') return;
    if (current?.state === 'CONTAINER_RUNNING') {
      if (current.hash && current.hash !== containerHash(spec)) {
        await killContainer(this.deps, ctx.pod, current, podGracePeriod(ctx.pod), { message: `Container ${spec.name} definition changed, will be restarted` });
        ctx.acted = true;
        return this.start(ctx, spec, current);
      }
      const failed = this.deps.probes.failed(current.id);
      if (!failed) return;
      // A probe may carry its own grace period for the kill it causes.
      const probeGrace = spec[failed === 'liveness' ? 'livenessProbe' : 'startupProbe']?.terminationGracePeriodSeconds as number | undefined;
      await killContainer(this.deps, ctx.pod, current, probeGrace ?? podGracePeriod(ctx.pod), { message: `Container ${spec.name} failed ${failed} probe, will be restarted` });
      ctx.acted = true;
      current = { ...current, state: 'CONTAINER_EXITED', finishedAt: this.deps.now() };
    }
    if (current?.state === 'CONTAINER_EXITED') {
      const restart = policy === 'Always' || (policy === 'OnFailure' && current.exitCode !== 0);
      if (restart) await this.restartAfterBackoff(ctx, spec, current);
      // Not restarted: it is terminated for good, not waiting.
      else ctx.waiting.delete(spec.name);
      return;
    }
    if (!current) {
      // In a new sandbox, containers that finished for good stay finished.
      const [earlier] = instancesOf(ctx.state, spec.name);
      if (earlier?.state === 'CONTAINER_EXITED' && (policy === 'Never' || (policy === 'OnFailure' && earlier.exitCode === 0))) return;
    }
    await this.start(ctx, spec, current);
  }

  /** Starts the container again unless it is in CrashLoopBackOff (then says when to look again). */
  private async restartAfterBackoff(ctx: PassContext, spec: ContainerSpec, exited: ContainerInfo): Promise<void> {
    const key = `${ctx.pod.metadata.uid}/${spec.name}`;
    const wait = this.crashBackoff.remainingSince(key, exited.finishedAt);
    if (wait > 0) {
      const delay = goDuration(this.crashBackoff.delay(key));
      ctx.waiting.set(spec.name, { reason: 'CrashLoopBackOff', message: `back-off ${delay} restarting failed container=${spec.name} pod=${podDescription(ctx.pod)}` });
      this.deps.recorder.event(ctx.pod, 'Warning', 'BackOff', `Back-off restarting failed container ${spec.name} in pod ${podDescription(ctx.pod)}`);
      this.requeue(ctx, wait);
      return;
    }
    this.crashBackoff.next(key, exited.finishedAt);
    await this.start(ctx, spec, exited);
  }

  private requeue(ctx: PassContext, ms: number | undefined): void {
    if (ms === undefined) return;
    ctx.requeueMs = ctx.requeueMs === undefined ? ms : Math.min(ctx.requeueMs, ms);
  }

  /**
   * Pulls if needed, resolves the environment, creates and starts one container instance, then
   * runs its postStart hook. `previous` is the instance it replaces: a created-but-never-started
   * one (an agent that died in between) is removed and keeps its restart count.
   */
  private async start(ctx: PassContext, spec: ContainerSpec, previous: ContainerInfo | undefined): Promise<void> {
    const { runtime, recorder } = this.deps;
    const { pod, waiting } = ctx;
    let restartCount = 0;
    if (previous?.state === 'CONTAINER_CREATED') {
      await runtime.removeContainer({ containerId: previous.id });
      restartCount = previous.restartCount;
    } else {
      const [latest] = instancesOf(ctx.state, spec.name);
      restartCount = latest ? latest.restartCount + 1 : 0;
    }
    let pulls = this.pulls.get(pod.metadata.uid!);
    if (!pulls) this.pulls.set(pod.metadata.uid!, (pulls = new AbortController()));
    const image = await this.deps.images.ensure(pod, spec, ctx.sandboxConfig, pulls.signal);
    if (!image.ok) {
      waiting.set(spec.name, { reason: image.reason, message: image.message });
      return this.requeue(ctx, image.retryMs ?? RETRY_MS);
    }
    const nonRoot = nonRootViolation(pod, spec, image.user);
    if (nonRoot) return this.failStart(ctx, spec, 'CreateContainerConfigError', new Error(nonRoot));
    let envs;
    try {
      envs = await this.deps.env.envFor(this.addressed(ctx), spec);
    } catch (err) {
      return this.failStart(ctx, spec, 'CreateContainerConfigError', err);
    }
    await fs.mkdir(path.join(podLogDirectory(this.deps.sandbox.dataDir, pod.metadata), spec.name), { recursive: true });
    const mounts = [...(ctx.mounts.get(spec.name) ?? [])];
    // A container that mounts its own /etc/hosts (or termination log) keeps it.
    const kubeletMounts = [ctx.hostsMount, await terminationMessageMount(this.deps.sandbox.dataDir, pod, spec, restartCount)];
    for (const m of kubeletMounts) if (m && !mounts.some((own) => own.containerPath === m.containerPath)) mounts.push(m);
    const target = spec.targetContainerName ? instancesOf(ctx.state, spec.targetContainerName, ctx.sandbox.id).find((c) => c.state === 'CONTAINER_RUNNING') : undefined;
    const config = containerConfig(pod, spec, { restartCount, imageRef: image.imageRef, envs, mounts, qos: qosClass(pod), memoryCapacity: this.deps.memoryCapacity, targetId: target?.id });
    let containerId: string;
    try {
      ({ containerId } = await runtime.createContainer({ podSandboxId: ctx.sandbox.id, config, sandboxConfig: ctx.sandboxConfig }));
    } catch (err) {
      return this.failStart(ctx, spec, 'CreateContainerError', err);
    }
    ctx.acted = true;
    recorder.event(pod, 'Normal', 'Created', `Created container: ${spec.name}`);
    try {
      await runtime.startContainer({ containerId });
    } catch (err) {
      // The instance stays, exited (StartError): the next pass restarts it with back-off, unless
      // nothing of a Never pod restarts (then it is terminated for good).
      if (isSidecar(spec) || pod.spec?.restartPolicy !== 'Never') waiting.set(spec.name, { reason: 'RunContainerError', message: (err as Error).message });
      recorder.event(pod, 'Warning', 'Failed', `Error: ${(err as Error).message}`);
      return this.requeue(ctx, RETRY_MS);
    }
    waiting.delete(spec.name);
    recorder.event(pod, 'Normal', 'Started', `Started container ${spec.name}`);
    if (spec.lifecycle?.postStart) await this.postStart(ctx, spec, containerId, restartCount);
  }

  private failStart(ctx: PassContext, spec: ContainerSpec, reason: string, err: unknown): void {
    const message = (err as Error).message;
    ctx.waiting.set(spec.name, { reason, message });
    this.deps.recorder.event(ctx.pod, 'Warning', 'Failed', `Error: ${message}`);
    this.requeue(ctx, RETRY_MS);
  }

  /** A failed postStart hook kills the container; restartPolicy then decides, as in Kubernetes. */
  private async postStart(ctx: PassContext, spec: ContainerSpec, containerId: string, restartCount: number): Promise<void> {
    const res = await runAction(spec.lifecycle.postStart, { runtime: this.deps.runtime, containerId, container: spec, podIP: ctx.podIP }, POST_START_TIMEOUT_MS);
    if (res.outcome === 'success') return;
    this.deps.recorder.event(ctx.pod, 'Warning', 'FailedPostStartHook', `PostStartHook failed for Container "${spec.name}" in Pod "${podDescription(ctx.pod)}": ${res.output}`);
    const info = { id: containerId, name: spec.name, state: 'CONTAINER_RUNNING', restartCount } as ContainerInfo;
    await killContainer(this.deps, ctx.pod, info, podGracePeriod(ctx.pod), { message: `FailedPostStartHook` });
  }
}
