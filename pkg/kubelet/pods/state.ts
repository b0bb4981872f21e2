/**
 * What the runtime holds for one pod, read through CRI by the pod's UID label: its sandboxes
 * and every container instance with its status, newest first. This is the only record the
 * kubelet trusts: a restarted agent rebuilds everything from it.
 */
import type { ContainerState, PodSandboxState, RuntimeService } from '../runtime.ts';
import { CONTAINER_HASH_ANNOTATION, CONTAINER_NAME_LABEL, GRACE_PERIOD_ANNOTATION, POD_UID_LABEL, RESTART_COUNT_ANNOTATION } from './labels.ts';

export interface SandboxInfo {
  id: string;
  /** The pod's name and namespace when the sandbox was made (an orphan's log directory needs them). */
  name: string;
  namespace: string;
  attempt: number;
  state: PodSandboxState;
  createdAt: number;
}

export interface ContainerInfo {
  id: string;
  name: string;
  sandboxId: string;
  state: ContainerState;
  restartCount: number;
  hash: string;
  /** The pod's terminationGracePeriodSeconds when the container was made. */
  gracePeriod: number;
  imageRef: string;
  /** Milliseconds since the epoch; 0 when it did not happen. */
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
  message: string;
}

export interface PodRuntimeState {
  sandboxes: SandboxInfo[];
  containers: ContainerInfo[];
}

const nsToMs = (ns: number | undefined) => Math.floor((ns ?? 0) / 1e6);

export async function inspectPod(runtime: RuntimeService, uid: string): Promise<PodRuntimeState> {
  const selector = { labelSelector: { [POD_UID_LABEL]: uid } };
  const [{ items = [] }, { containers: listed = [] }] = await Promise.all([runtime.listPodSandbox({ filter: selector }), runtime.listContainers({ filter: selector })]);
  const sandboxes = items
    .map((s) => ({ id: s.id, name: s.metadata?.name ?? '', namespace: s.metadata?.namespace ?? '', attempt: s.metadata?.attempt ?? 0, state: s.state ?? 'SANDBOX_NOTREADY', createdAt: nsToMs(s.createdAt) }))
    .sort((a, b) => b.createdAt - a.createdAt || b.attempt - a.attempt);
  const containers: ContainerInfo[] = [];
  await Promise.all(
    listed.map(async (c) => {
      let status;
      try {
        status = (await runtime.containerStatus({ containerId: c.id })).status;
      } catch {
        return; // removed since it was listed
      }
      if (!status) return;
      const annotations = status.annotations ?? c.annotations ?? {};
      containers.push({
        id: c.id,
        name: c.labels?.[CONTAINER_NAME_LABEL] ?? c.metadata?.name ?? '',
        sandboxId: c.podSandboxId ?? '',
        state: status.state ?? 'CONTAINER_UNKNOWN',
        restartCount: Number(annotations[RESTART_COUNT_ANNOTATION] ?? c.metadata?.attempt ?? 0),
        hash: annotations[CONTAINER_HASH_ANNOTATION] ?? '',
        gracePeriod: Number(annotations[GRACE_PERIOD_ANNOTATION] ?? 30),
        imageRef: status.imageRef ?? c.imageRef ?? '',
        createdAt: nsToMs(status.createdAt ?? c.createdAt),
        startedAt: nsToMs(status.startedAt),
        finishedAt: nsToMs(status.finishedAt),
        exitCode: status.exitCode ?? 0,
        reason: status.reason ?? '',
        message: status.message ?? '',
      });
    }),
  );
  containers.sort((a, b) => b.createdAt - a.createdAt || b.restartCount - a.restartCount);
  return { sandboxes, containers };
}

/** The instances of one container, newest first; only those of `sandboxId` when given. */
export function instancesOf(state: PodRuntimeState, name: string, sandboxId?: string): ContainerInfo[] {
  return state.containers.filter((c) => c.name === name && (sandboxId === undefined || c.sandboxId === sandboxId));
}
