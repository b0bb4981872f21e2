/**
 * The Node object and its status, as kubelet's node status setters build them: resources
 * (capacity, and allocatable = capacity minus kubelet's default hard eviction thresholds,
 * memory.available<100Mi and nodefs.available<10 %, with no kube/system reservation, as a
 * k3s node has by default), addresses, nodeInfo, the four conditions with their transition
 * times, daemonEndpoints and the 50 largest images. Pure functions of their inputs.
 */
import type { KObject } from '../../api/types.ts';
import { KIB } from './host.ts';

export const MAX_PODS = 110;
/** kubelet's default eviction-hard memory.available. */
export const EVICTION_MEMORY_BYTES = 100 * 1024 * 1024;
/** kubelet's default eviction-hard nodefs.available, as a fraction of the filesystem. */
export const EVICTION_NODEFS_FRACTION = 0.1;
/** kubelet's nodeStatusMaxImages and maxNamesPerImageInNodeStatus. */
export const MAX_IMAGES = 50;
export const MAX_NAMES_PER_IMAGE = 5;

export const ARCH = process.arch === 'x64' ? 'amd64' : process.arch;

export interface HostResources {
  cpus: number;
  memoryBytes: number;
  ephemeralStorageBytes: number;
  /** hugepages-2Mi → bytes reserved as huge pages (not available as memory). */
  hugepages?: Record<string, number>;
}

export function resources(host: HostResources): { capacity: Record<string, string>; allocatable: Record<string, string> } {
  const huge = Object.entries(host.hugepages ?? {});
  const hugeBytes = huge.reduce((sum, [, bytes]) => sum + bytes, 0);
  const pages = Object.fromEntries(huge.map(([name, bytes]) => [name, bytesQuantity(bytes)]));
  const capacity = {
    cpu: String(host.cpus),
    'ephemeral-storage': `${Math.floor(host.ephemeralStorageBytes / KIB)}Ki`,
    ...pages,
    memory: `${Math.floor(host.memoryBytes / KIB)}Ki`,
    pods: String(MAX_PODS),
  };
  const memory = Math.max(0, host.memoryBytes - EVICTION_MEMORY_BYTES - hugeBytes);
  const allocatable = {
    cpu: String(host.cpus),
    'ephemeral-storage': String(Math.floor(host.ephemeralStorageBytes * (1 - EVICTION_NODEFS_FRACTION))),
    ...pages,
    memory: `${Math.floor(memory / KIB)}Ki`,
    pods: String(MAX_PODS),
  };
  return { capacity, allocatable };
}

function bytesQuantity(bytes: number): string {
  if (bytes === 0) return '0';
  for (const [suffix, size] of [['Gi', 1024 ** 3], ['Mi', 1024 ** 2], ['Ki', 1024]] as const) if (bytes % size === 0) return `${bytes / size}${suffix}`;
  return String(bytes);
}

export interface Readiness {
  ready: boolean;
  /** Why not ready (shown in the Ready condition's message). */
  message?: string;
}

export interface Pressure {
  memory: boolean;
  disk: boolean;
  pid: boolean;
}

interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastHeartbeatTime: string;
  lastTransitionTime: string;
}

/** Time as Kubernetes writes metav1.Time (whole seconds). */
export function kubeTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * MemoryPressure, DiskPressure, PIDPressure and Ready in kubelet's words. A condition keeps
 * its lastTransitionTime from `previous` (the cluster's copy) while its status stays the same.
 */
export function nodeConditions(readiness: Readiness, pressure: Pressure, previous: Condition[] | undefined, now: number): Condition[] {
  const build = (type: string, on: boolean, whenTrue: [string, string], whenFalse: [string, string]): Condition => {
    const status = on ? 'True' : 'False';
    const [reason, message] = on ? whenTrue : whenFalse;
    const before = previous?.find((c) => c.type === type);
    const transition = before && before.status === status ? before.lastTransitionTime : kubeTime(now);
    return { type, status, reason, message, lastHeartbeatTime: kubeTime(now), lastTransitionTime: transition };
  };
  return [
    build('MemoryPressure', pressure.memory, ['KubeletHasInsufficientMemory', 'kubelet has insufficient memory available'], ['KubeletHasSufficientMemory', 'kubelet has sufficient memory available']),
    build('DiskPressure', pressure.disk, ['KubeletHasDiskPressure', 'kubelet has disk pressure'], ['KubeletHasNoDiskPressure', 'kubelet has no disk pressure']),
    build('PIDPressure', pressure.pid, ['KubeletHasInsufficientPID', 'kubelet has insufficient PID available'], ['KubeletHasSufficientPID', 'kubelet has sufficient PID available']),
    build('Ready', readiness.ready, ['KubeletReady', 'kubelet is posting ready status'], ['KubeletNotReady', readiness.message ?? 'kubelet is not ready']),
  ];
}

/** An image as CRI ListImages answers it (proto-loader: camelCase, uint64 as number or string). */
export interface CriImage {
  id?: string;
  repoTags?: string[];
  repoDigests?: string[];
  size?: number | string;
}

/** status.images: largest first, at most MAX_IMAGES, each with up to MAX_NAMES_PER_IMAGE names (digests, then tags). */
export function nodeImages(images: CriImage[]): { names: string[]; sizeBytes: number }[] {
  return images
    .map((img) => ({ names: [...(img.repoDigests ?? []), ...(img.repoTags ?? [])].slice(0, MAX_NAMES_PER_IMAGE), sizeBytes: Number(img.size ?? 0) }))
    .sort((a, b) => b.sizeBytes - a.sizeBytes)
    .slice(0, MAX_IMAGES);
}

export interface NodeIdentity {
  name: string;
  labels: Record<string, string>;
  taints: { key: string; value?: string; effect: string }[];
}

export function nodeObject(identity: NodeIdentity): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: identity.name,
      labels: identity.labels,
      annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: identity.taints.length ? { taints: identity.taints } : {},
  };
}

/** The labels kubelet always sets (and sets again on an existing Node at start: updateDefaultLabels). */
export function defaultLabels(name: string): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': ARCH,
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': ARCH,
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
  };
}

/** --node-label k=v values (checked by pkg/cli). */
export function parseLabels(values: string[]): Record<string, string> {
  return Object.fromEntries(values.map((v) => [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)]));
}

/** --node-taint key[=value]:Effect values (checked by pkg/cli). */
export function parseTaints(values: string[]): NodeIdentity['taints'] {
  return values.map((raw) => {
    const colon = raw.lastIndexOf(':');
    const [key, value] = raw.slice(0, colon).split('=', 2) as [string, string | undefined];
    return { key, ...(value !== undefined && value !== '' ? { value } : {}), effect: raw.slice(colon + 1) };
  });
}

/** The status fields this kubelet owns, without heartbeat times: a change here is worth a write. */
export function significant(status: Record<string, unknown> | undefined): string {
  if (!status) return '';
  const ours = new Set(['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready']);
  const conditions = ((status.conditions ?? []) as Condition[])
    .filter((c) => ours.has(c.type))
    .map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message, lastTransitionTime: c.lastTransitionTime }))
    .sort((a, b) => a.type.localeCompare(b.type));
  const { capacity, allocatable, addresses, nodeInfo, daemonEndpoints, images } = status as Record<string, unknown>;
  return JSON.stringify(sortKeys({ capacity, allocatable, addresses, nodeInfo, daemonEndpoints, images: images ?? [], conditions }));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  return value;
}
