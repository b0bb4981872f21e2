/**
 * The labels and annotations the kubelet puts on sandboxes and containers, with Kubernetes'
 * names: the runtime is the only record of what runs, so a restarted agent finds its pods'
 * containers (and their restart counts) through them.
 */
import crypto from 'node:crypto';
import type { KObject } from '../../api/types.ts';

export const POD_NAME_LABEL = 'io.kubernetes.pod.name';
export const POD_NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';
export const POD_UID_LABEL = 'io.kubernetes.pod.uid';
export const CONTAINER_NAME_LABEL = 'io.kubernetes.container.name';

export const RESTART_COUNT_ANNOTATION = 'io.kubernetes.container.restartCount';
export const CONTAINER_HASH_ANNOTATION = 'io.kubernetes.container.hash';
export const GRACE_PERIOD_ANNOTATION = 'io.kubernetes.pod.terminationGracePeriod';

/** A container of the pod spec, typed loosely as the API's objects are. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ContainerSpec = { name: string; image?: string; [field: string]: any };

export function podLabels(pod: KObject): Record<string, string> {
  return {
    [POD_NAME_LABEL]: pod.metadata.name!,
    [POD_NAMESPACE_LABEL]: pod.metadata.namespace!,
    [POD_UID_LABEL]: pod.metadata.uid!,
  };
}

/**
 * What decides whether a running container still matches its spec. Resources are left out:
 * they change in place (resize) without a restart; the image is the field users edit.
 */
export function containerHash(container: ContainerSpec): string {
  const { resources: _resources, ...rest } = container;
  return crypto.createHash('sha256').update(JSON.stringify(rest)).digest('hex').slice(0, 16);
}

/** An init container that keeps running beside the containers (restartPolicy Always). */
export function isSidecar(container: ContainerSpec): boolean {
  return container.restartPolicy === 'Always';
}

/** "name_namespace(uid)", as Kubernetes names a pod in its messages. */
export function podDescription(pod: KObject): string {
  return `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
}
