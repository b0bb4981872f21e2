/**
 * The pod status a kubelet reports, without running anything: Running and Ready with every
 * container started, or Succeeded with every container terminated by exit code 0. Pure
 * functions of the pod, its addresses and the clock.
 */
import crypto from 'node:crypto';
import type { KObject } from '../api/types.ts';
import { kubeTime } from './node.ts';

export interface PodPlacement {
  podIP: string;
  hostIP: string;
}

interface Container {
  name: string;
  image?: string;
  restartPolicy?: string;
}

function digest(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

function containerIds(pod: KObject, container: Container) {
  return {
    name: container.name,
    image: container.image ?? '',
    imageID: `sha256:${digest(container.image ?? '')}`,
    containerID: `containerd://${digest(`${pod.metadata.uid}/${container.name}`)}`,
    restartCount: 0,
  };
}

function condition(type: string, status: 'True' | 'False', at: string, reason?: string) {
  return { type, status, lastProbeTime: null, lastTransitionTime: at, ...(reason ? { reason } : {}) };
}

/** PodScheduled as the scheduler wrote it (its transition time kept), or True now for pods bound by name. */
function scheduled(pod: KObject, at: string) {
  const existing = (pod.status?.conditions as { type: string }[] | undefined)?.find((c) => c.type === 'PodScheduled');
  return existing ?? condition('PodScheduled', 'True', at);
}

const containersOf = (pod: KObject, field: 'containers' | 'initContainers'): Container[] => (pod.spec?.[field] as Container[] | undefined) ?? [];

/** The status that makes the pod Running and Ready at `now` (a pod reported before keeps its startTime). */
export function runningStatus(pod: KObject, placement: PodPlacement, now: number): Record<string, unknown> {
  const at = kubeTime(now);
  const startTime = (pod.status?.startTime as string | undefined) ?? at;
  const running = { running: { startedAt: startTime } };
  // Init containers ran to completion; sidecars (restartPolicy Always) keep running.
  const inits = containersOf(pod, 'initContainers').map((c) => ({
    ...containerIds(pod, c),
    ready: true,
    started: c.restartPolicy === 'Always',
    state: c.restartPolicy === 'Always' ? running : { terminated: { exitCode: 0, reason: 'Completed', startedAt: at, finishedAt: at, containerID: containerIds(pod, c).containerID } },
  }));
  return {
    phase: 'Running',
    conditions: [
      condition('PodReadyToStartContainers', 'True', at),
      condition('Initialized', 'True', at),
      condition('Ready', 'True', at),
      condition('ContainersReady', 'True', at),
      scheduled(pod, at),
    ],
    hostIP: placement.hostIP,
    hostIPs: [{ ip: placement.hostIP }],
    podIP: placement.podIP,
    podIPs: [{ ip: placement.podIP }],
    startTime,
    ...(inits.length ? { initContainerStatuses: inits } : {}),
    containerStatuses: containersOf(pod, 'containers').map((c) => ({ ...containerIds(pod, c), ready: true, started: true, state: running })),
  };
}

/** The status of a pod whose containers all exited 0 at `now` (it started at its startTime). */
export function succeededStatus(pod: KObject, now: number): Record<string, unknown> {
  const at = kubeTime(now);
  const startedAt = (pod.status?.startTime as string | undefined) ?? at;
  const terminated = (c: Container) => ({
    ...containerIds(pod, c),
    ready: false,
    started: false,
    state: { terminated: { exitCode: 0, reason: 'Completed', startedAt, finishedAt: at, containerID: containerIds(pod, c).containerID } },
  });
  return {
    phase: 'Succeeded',
    conditions: [
      condition('PodReadyToStartContainers', 'False', at),
      condition('Initialized', 'True', startedAt, 'PodCompleted'),
      condition('Ready', 'False', at, 'PodCompleted'),
      condition('ContainersReady', 'False', at, 'PodCompleted'),
      scheduled(pod, startedAt),
    ],
    containerStatuses: containersOf(pod, 'containers').map(terminated),
  };
}

/** Whether the pod ends by itself once its containers exit (restartPolicy OnFailure or Never). */
export function runsToCompletion(pod: KObject): boolean {
  return (pod.spec?.restartPolicy ?? 'Always') !== 'Always';
}
