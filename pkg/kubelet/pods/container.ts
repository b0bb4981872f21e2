/**
 * The CRI config of one container instance: command and args with $(VAR) expanded from its
 * environment, working directory, mounts, security context, cgroup resources, and the labels
 * and annotations that let a restarted agent recognise it.
 */
import path from 'node:path';
import type { KObject } from '../../api/types.ts';
import { expand } from '../env.ts';
import type { ContainerConfig, KeyValue, LinuxContainerSecurityContext, Mount } from '../runtime.ts';
import { CONTAINER_HASH_ANNOTATION, CONTAINER_NAME_LABEL, GRACE_PERIOD_ANNOTATION, RESTART_COUNT_ANNOTATION, containerHash, podDescription, podLabels, type ContainerSpec } from './labels.ts';
import { containerResources, type QOSClass } from './resources.ts';
import { namespaceOptions, podSupplementalGroups, seccompProfile } from './sandbox.ts';

/** What a container's config needs besides the pod and its spec. */
export interface ContainerInputs {
  restartCount: number;
  /** The image as the runtime resolved it (its ID). */
  imageRef: string;
  envs: KeyValue[];
  mounts: Mount[];
  qos: QOSClass;
  memoryCapacity: number;
  /** For an ephemeral container with targetContainerName: the target's container ID, whose PID namespace it joins. */
  targetId?: string;
}

// Kubernetes' defaults for a non-privileged container (securitycontext.ConvertToRuntimeMaskedPaths).
const MASKED_PATHS = ['/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap'];
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/**
 * Kubernetes' runAsNonRoot check before a container is created: the message of why it must not
 * run, or undefined. An image that names no user runs as root.
 */
export function nonRootViolation(pod: KObject, container: ContainerSpec, image: { uid?: number; username?: string }): string | undefined {
  const podSc = pod.spec?.securityContext ?? {};
  const sc = container.securityContext ?? {};
  if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) !== true) return undefined;
  const where = `(pod: "${podDescription(pod)}", container: ${container.name})`;
  const runAsUser = (sc.runAsUser ?? podSc.runAsUser) as number | undefined;
  if (runAsUser !== undefined) return runAsUser === 0 ? `container's runAsUser breaks non-root policy ${where}` : undefined;
  if (image.uid === undefined && image.username) return `container has runAsNonRoot and image has non-numeric user (${image.username}), cannot verify user is non-root ${where}`;
  if ((image.uid ?? 0) === 0) return `container has runAsNonRoot and image will run as root ${where}`;
  return undefined;
}

/** The container's log file, relative to the pod's log directory: <name>/<restartCount>.log. */
export function containerLogPath(name: string, restartCount: number): string {
  return path.join(name, `${restartCount}.log`);
}

function terminationGracePeriod(pod: KObject): number {
  return (pod.spec?.terminationGracePeriodSeconds as number | undefined) ?? 30;
}

function securityContext(pod: KObject, container: ContainerSpec, targetId: string | undefined): LinuxContainerSecurityContext {
  const podSc = (pod.spec?.securityContext ?? {}) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const sc = (container.securityContext ?? {}) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const runAsUser = sc.runAsUser ?? podSc.runAsUser;
  const runAsGroup = sc.runAsGroup ?? podSc.runAsGroup;
  const supplementalGroups = podSupplementalGroups(pod);
  const privileged = sc.privileged === true;
  const seccomp = seccompProfile(sc.seccompProfile ?? podSc.seccompProfile);
  const add = (sc.capabilities?.add as string[] | undefined) ?? [];
  const drop = (sc.capabilities?.drop as string[] | undefined) ?? [];
  return {
    privileged,
    namespaceOptions: targetId ? { ...namespaceOptions(pod), pid: 'TARGET', targetId } : namespaceOptions(pod),
    ...(runAsUser !== undefined ? { runAsUser: { value: runAsUser } } : {}),
    ...(runAsGroup !== undefined ? { runAsGroup: { value: runAsGroup } } : {}),
    ...(supplementalGroups.length ? { supplementalGroups } : {}),
    ...(add.length || drop.length ? { capabilities: { addCapabilities: add, dropCapabilities: drop } } : {}),
    readonlyRootfs: sc.readOnlyRootFilesystem === true,
    noNewPrivs: sc.allowPrivilegeEscalation === false,
    // A privileged container, or one asking for an unmasked /proc, sees everything.
    maskedPaths: privileged || sc.procMount === 'Unmasked' ? [] : MASKED_PATHS,
    readonlyPaths: privileged || sc.procMount === 'Unmasked' ? [] : READONLY_PATHS,
    ...(seccomp ? { seccomp } : {}),
  };
}

export function containerConfig(pod: KObject, container: ContainerSpec, inputs: ContainerInputs): ContainerConfig {
  const vars = new Map(inputs.envs.map((e) => [e.key, e.value]));
  const expandAll = (list: unknown) => ((list as string[] | undefined) ?? []).map((s) => expand(s, (name) => vars.get(name)));
  return {
    metadata: { name: container.name, attempt: inputs.restartCount },
    image: { image: inputs.imageRef, userSpecifiedImage: container.image ?? '' },
    command: expandAll(container.command),
    args: expandAll(container.args),
    ...(container.workingDir ? { workingDir: container.workingDir as string } : {}),
    envs: inputs.envs,
    mounts: inputs.mounts,
    labels: { ...podLabels(pod), [CONTAINER_NAME_LABEL]: container.name },
    annotations: {
      [CONTAINER_HASH_ANNOTATION]: containerHash(container),
      [RESTART_COUNT_ANNOTATION]: String(inputs.restartCount),
      [GRACE_PERIOD_ANNOTATION]: String(terminationGracePeriod(pod)),
    },
    logPath: containerLogPath(container.name, inputs.restartCount),
    stdin: container.stdin === true,
    stdinOnce: container.stdinOnce === true,
    tty: container.tty === true,
    linux: { resources: containerResources(container, inputs.qos, inputs.memoryCapacity), securityContext: securityContext(pod, container, inputs.targetId) },
  };
}
