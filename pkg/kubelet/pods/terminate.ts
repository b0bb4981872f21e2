/**
 * Stopping and removing what runs for a pod: a container is stopped after its preStop hook,
 * within the grace period (SIGTERM through StopContainer's timeout, then SIGKILL); a pod's
 * containers stop together, then its sandbox. Dead instances beyond the newest two per
 * container are removed with their log files, as the kubelet's container GC keeps one dead
 * instance for `logs --previous`.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { KObject } from '../../api/types.ts';
import type { EventSink } from '../../client/events.ts';
import type { Logger } from '../../log/log.ts';
import type { RuntimeService } from '../runtime.ts';
import { runAction } from './actions.ts';
import { containerLogPath } from './container.ts';
import { isSidecar, podDescription, type ContainerSpec } from './labels.ts';
import { allContainers } from './sandbox.ts';
import type { ContainerInfo, PodRuntimeState } from './state.ts';

/** Kubernetes never gives a container less than this after its preStop hook. */
export const MIN_GRACE_SECONDS = 2;

export interface KillDeps {
  runtime: RuntimeService;
  recorder: EventSink;
  now: () => number;
  log: Logger;
}

/** How long a deleted pod's containers get: the deletion's grace period, else the spec's. */
export function podGracePeriod(pod: KObject): number {
  return (pod.metadata.deletionGracePeriodSeconds as number | undefined) ?? (pod.spec?.terminationGracePeriodSeconds as number | undefined) ?? 30;
}

/**
 * Stops one container: its preStop hook first (when the pod is known), then StopContainer with
 * what is left of the grace period. `exact` skips the 2-second floor (orphans get 1 s).
 */
export async function killContainer(deps: KillDeps, pod: KObject | undefined, info: ContainerInfo, graceSeconds: number, opts: { message?: string; exact?: boolean } = {}): Promise<void> {
  if (info.state !== 'CONTAINER_RUNNING' && info.state !== 'CONTAINER_CREATED') return;
  const spec = pod ? allContainers(pod).find((c) => c.name === info.name) : undefined;
  let remaining = graceSeconds;
  if (pod && spec) {
    deps.recorder.event(pod, 'Normal', 'Killing', opts.message ?? `Stopping container ${info.name}`);
    if (spec.lifecycle?.preStop && info.state === 'CONTAINER_RUNNING') remaining -= await runPreStop(deps, pod, spec, info, graceSeconds);
  }
  const timeout = opts.exact ? Math.max(0, remaining) : Math.max(MIN_GRACE_SECONDS, Math.ceil(remaining));
  try {
    await deps.runtime.stopContainer({ containerId: info.id, timeout });
  } catch (err) {
    deps.log.warn(`stopping container ${info.name} (${info.id}): ${(err as Error).message}`);
    throw err;
  }
}

/** Runs the preStop hook within the grace period; answers the seconds it took. */
async function runPreStop(deps: KillDeps, pod: KObject, spec: ContainerSpec, info: ContainerInfo, graceSeconds: number): Promise<number> {
  const started = deps.now();
  const podIP = (pod.status?.podIP as string | undefined) ?? '';
  const res = await runAction(spec.lifecycle.preStop, { runtime: deps.runtime, containerId: info.id, container: spec, podIP }, graceSeconds * 1000);
  if (res.outcome !== 'success') {
    deps.recorder.event(pod, 'Warning', 'FailedPreStopHook', `PreStopHook failed for Container "${spec.name}" in Pod "${podDescription(pod)}": ${res.output}`);
  }
  return (deps.now() - started) / 1000;
}

async function killAll(deps: KillDeps, pod: KObject | undefined, containers: ContainerInfo[], graceSeconds: number, exact: boolean): Promise<void> {
  const results = await Promise.allSettled(containers.map((c) => killContainer(deps, pod, c, graceSeconds, { exact })));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/**
 * Stops the pod's running containers at once, its sidecars after them with what is left of the
 * grace period (they serve the others to the end), then its ready sandboxes.
 */
export async function killPod(deps: KillDeps, pod: KObject | undefined, state: PodRuntimeState, graceSeconds: number, exact = false): Promise<void> {
  const sidecars = new Set(((pod?.spec?.initContainers ?? []) as ContainerSpec[]).filter(isSidecar).map((c) => c.name));
  const started = deps.now();
  await killAll(deps, pod, state.containers.filter((c) => !sidecars.has(c.name)), graceSeconds, exact);
  await killAll(deps, pod, state.containers.filter((c) => sidecars.has(c.name)), graceSeconds - (deps.now() - started) / 1000, exact);
  for (const sandbox of state.sandboxes) {
    if (sandbox.state === 'SANDBOX_READY') await deps.runtime.stopPodSandbox({ podSandboxId: sandbox.id });
  }
}

/** Removes every container and sandbox of the pod, and its log directory. */
export async function removePod(deps: KillDeps, state: PodRuntimeState, logDirectory: string | undefined): Promise<void> {
  for (const c of state.containers) await deps.runtime.removeContainer({ containerId: c.id });
  for (const s of state.sandboxes) {
    await deps.runtime.stopPodSandbox({ podSandboxId: s.id });
    await deps.runtime.removePodSandbox({ podSandboxId: s.id });
  }
  if (logDirectory) await fs.rm(logDirectory, { recursive: true, force: true });
}

/**
 * Removes dead instances beyond the newest two of each container (the current one and the one
 * `logs --previous` shows), their log files, and older sandboxes left without containers.
 */
export async function collectGarbage(deps: KillDeps, state: PodRuntimeState, logDirectory: string): Promise<void> {
  const seen = new Map<string, number>();
  const kept = new Set<string>();
  for (const c of state.containers) {
    const n = (seen.get(c.name) ?? 0) + 1;
    seen.set(c.name, n);
    if (n <= 2 || c.state !== 'CONTAINER_EXITED') {
      kept.add(c.sandboxId);
      continue;
    }
    await deps.runtime.removeContainer({ containerId: c.id });
    await fs.rm(path.join(logDirectory, containerLogPath(c.name, c.restartCount)), { force: true });
  }
  for (const s of state.sandboxes.slice(1)) {
    if (kept.has(s.id)) continue;
    await deps.runtime.stopPodSandbox({ podSandboxId: s.id });
    await deps.runtime.removePodSandbox({ podSandboxId: s.id });
  }
}
