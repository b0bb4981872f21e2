/**
 * From the names in a kubelet API path to what the runtime has: the pod (this node's, from the
 * API server), its sandbox and the instances of one of its containers, found through the
 * labels the pod workers put on them. Refusals carry the kubelet's own words and codes.
 */
import type { KObject } from '../../api/types.ts';
import type { CriClient } from '../../cri/client.ts';
import type { Container } from '../../cri/types.ts';
import { CONTAINER_NAME_LABEL, POD_UID_LABEL, RESTART_COUNT_ANNOTATION } from '../pods/labels.ts';
import { allContainers } from '../pods/sandbox.ts';

/** An answer other than success, with the HTTP status the kubelet gives it. */
export class KubeletApiError extends Error {
  override name = 'KubeletApiError';
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/** This node's pods, by name (undefined for a pod that does not exist or runs elsewhere). */
export interface PodSource {
  get(namespace: string, name: string): Promise<KObject | undefined>;
  list(): Promise<KObject[]>;
}

export async function podOrNotFound(pods: PodSource, namespace: string, name: string, message: string): Promise<KObject> {
  const pod = await pods.get(namespace, name);
  if (!pod) throw new KubeletApiError(404, message);
  return pod;
}

export function hasContainer(pod: KObject, name: string): boolean {
  return allContainers(pod).some((c) => c.name === name);
}

/** The container's instances in the runtime, newest first (the current one, then the one before). */
export async function containerInstances(runtime: CriClient, pod: KObject, name: string): Promise<Container[]> {
  const { containers } = await runtime.listContainers({ filter: { labelSelector: { [POD_UID_LABEL]: pod.metadata.uid!, [CONTAINER_NAME_LABEL]: name } } });
  const restarts = (c: Container) => Number(c.annotations?.[RESTART_COUNT_ANNOTATION] ?? 0);
  return containers.sort((a, b) => restarts(b) - restarts(a) || b.createdAt - a.createdAt);
}

/** The running instance exec and attach go to; 404 with the runtime's wording otherwise. */
export async function runningContainer(runtime: CriClient, pod: KObject, name: string): Promise<Container> {
  const [current] = await containerInstances(runtime, pod, name);
  if (!current) throw new KubeletApiError(404, `container not found ("${name}")`);
  if (current.state !== 'CONTAINER_RUNNING') {
    throw new KubeletApiError(400, `container ${current.id} is not in running state: ${current.state}`);
  }
  return current;
}

/** The pod's newest ready sandbox, where port-forward connects. */
export async function readySandbox(runtime: CriClient, pod: KObject): Promise<string> {
  const { items } = await runtime.listPodSandbox({ filter: { labelSelector: { [POD_UID_LABEL]: pod.metadata.uid! } } });
  const ready = items.filter((s) => s.state === 'SANDBOX_READY').sort((a, b) => b.createdAt - a.createdAt);
  if (!ready[0]) throw new KubeletApiError(404, `pod sandbox of pod "${pod.metadata.name}" not found or not ready`);
  return ready[0].id;
}
