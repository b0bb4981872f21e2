/**
 * The downward API: pod fields (fieldRef) and container resources (resourceFieldRef) as the
 * strings Kubernetes gives environment variables and downwardAPI volume files. Shared by
 * env.ts and the downwardAPI/projected volume plugins.
 */
import type { KObject } from '../../api/types.ts';
import { parseQuantity, quantityMilliValue, quantityValue } from '../../api/validation/quantity.ts';

/** A map as Kubernetes' fieldpath.FormatMap writes it: sorted `key="value"` lines. */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {}).sort().map((k) => `${k}=${JSON.stringify(m![k])}`).join('\n');
}

const SUBSCRIPT = /^metadata\.(labels|annotations)\['(.*)'\]$/;

function ipList(list: unknown): string {
  return ((list as { ip?: string }[] | undefined) ?? []).map((e) => e.ip ?? '').filter((ip) => ip !== '').join(',');
}

/** The value of a fieldRef.fieldPath of `pod`; throws on a path Kubernetes does not support. */
export function podFieldValue(pod: KObject, fieldPath: string): string {
  const meta = pod.metadata;
  switch (fieldPath) {
    case 'metadata.name': return meta.name ?? '';
    case 'metadata.namespace': return meta.namespace ?? '';
    case 'metadata.uid': return meta.uid ?? '';
    case 'metadata.labels': return formatMap(meta.labels);
    case 'metadata.annotations': return formatMap(meta.annotations);
    case 'spec.nodeName': return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP': return pod.status?.hostIP ?? '';
    case 'status.hostIPs': return ipList(pod.status?.hostIPs);
    case 'status.podIP': return pod.status?.podIP ?? '';
    case 'status.podIPs': return ipList(pod.status?.podIPs);
  }
  const sub = SUBSCRIPT.exec(fieldPath);
  if (sub) return (sub[1] === 'labels' ? meta.labels : meta.annotations)?.[sub[2]!] ?? '';
  throw new Error(`unsupported fieldPath: ${fieldPath}`);
}

export interface ResourceFieldRef {
  containerName?: string;
  resource: string;
  divisor?: string | number;
}

/** A container or volume of a pod's spec, typed as loosely as KObject bodies are. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ContainerSpec = { name: string; [field: string]: any };
export type VolumeSpec = ContainerSpec;
/** A nested part of a spec (a volume source, an item). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = Record<string, any>;

/** Node allocatable (cpu, memory, ephemeral-storage…): what a container without a limit may use. */
export type Allocatable = () => Record<string, string>;

function findContainer(pod: KObject, name: string | undefined): ContainerSpec | undefined {
  const all: ContainerSpec[] = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  return all.find((c) => c.name === name);
}

/**
 * A container's limit or request divided by the divisor, rounded up, as Kubernetes'
 * ExtractContainerResourceValue: cpu in millicores over the divisor's millicores, other
 * resources in whole units. A limit the container does not set is the node's allocatable
 * (kubelet's MergeContainerResourceLimits); a missing request is 0.
 */
export function resourceFieldValue(pod: KObject, ref: ResourceFieldRef, allocatable: Allocatable, defaultContainer?: string): string {
  const containerName = ref.containerName || defaultContainer;
  const container = findContainer(pod, containerName);
  if (!container) throw new Error(`container ${containerName ?? ''} not found in pod ${pod.metadata.namespace}/${pod.metadata.name}`);
  const dot = ref.resource.indexOf('.');
  const kind = ref.resource.slice(0, dot);
  const resource = ref.resource.slice(dot + 1);
  if (kind !== 'limits' && kind !== 'requests') throw new Error(`unsupported container resource: ${ref.resource}`);
  let raw = container.resources?.[kind]?.[resource] as string | number | undefined;
  if (raw === undefined && kind === 'limits') raw = allocatable()[resource];
  const value = parseQuantity(raw ?? 0);
  const divisor = parseQuantity(ref.divisor === undefined || ref.divisor === '' ? 1 : ref.divisor);
  if (resource === 'cpu') return String(Math.ceil(quantityMilliValue(value) / quantityMilliValue(divisor)));
  return String(Math.ceil(quantityValue(value) / quantityValue(divisor)));
}
