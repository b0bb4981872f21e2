/**
 * Pod resources as the node enforces them: the QoS class decides the pod's cgroup parent and
 * its containers' OOM score; requests and limits become CPU shares, CFS quota and a memory
 * limit, with Kubernetes' arithmetic (pkg/kubelet/cm helpers_linux.go).
 */
import type { KObject } from '../../api/types.ts';
import { podQOSClass } from '../../api/resources/core/pod.ts';
import { quantityMilliValue, quantityValue, tryParseQuantity } from '../../api/validation/quantity.ts';
import type { LinuxContainerResources } from '../runtime.ts';
import type { ContainerSpec } from './labels.ts';

export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

export type CgroupDriver = 'cgroupfs' | 'systemd';

const MIN_SHARES = 2;
const SHARES_PER_CPU = 1024;
const QUOTA_PERIOD = 100_000;
const MIN_QUOTA = 1000;
const GUARANTEED_OOM_SCORE_ADJ = -997;
const BEST_EFFORT_OOM_SCORE_ADJ = 1000;

export function qosClass(pod: KObject): QOSClass {
  return (pod.status?.qosClass as QOSClass | undefined) ?? podQOSClass(pod.spec);
}

/**
 * The pod's cgroup parent under `root` (e.g. /kubepods): Guaranteed pods sit directly under it,
 * the others under burstable/ or besteffort/. The systemd driver spells the same path as
 * nested slices (kubepods-burstable-pod<uid>.slice).
 */
export function cgroupParent(pod: KObject, qos: QOSClass, driver: CgroupDriver, root: string): string {
  const uid = pod.metadata.uid!;
  const parts = [...root.split('/').filter(Boolean), ...(qos === 'Guaranteed' ? [] : [qos.toLowerCase()]), `pod${uid}`];
  if (driver === 'cgroupfs') return `/${parts.join('/')}`;
  return `${parts.map((p) => p.replace(/-/g, '_')).join('-')}.slice`;
}

function amount(resources: Record<string, unknown> | undefined, name: string, milli: boolean): number {
  const q = tryParseQuantity(resources?.[name]);
  if (!q) return 0;
  return milli ? quantityMilliValue(q) : quantityValue(q);
}

/** CPU shares, CFS quota, memory limit and OOM score of one container. */
export function containerResources(container: ContainerSpec, qos: QOSClass, memoryCapacity: number): LinuxContainerResources {
  const requests = container.resources?.requests as Record<string, unknown> | undefined;
  const limits = container.resources?.limits as Record<string, unknown> | undefined;
  const cpuRequest = amount(requests, 'cpu', true);
  const cpuLimit = amount(limits, 'cpu', true);
  const memoryRequest = amount(requests, 'memory', false);
  const memoryLimit = amount(limits, 'memory', false);
  // A limit without a request means request = limit (the API server defaults it the same way).
  const sharesFrom = cpuRequest || cpuLimit;
  const out: LinuxContainerResources = {
    cpuShares: Math.max(MIN_SHARES, Math.floor((sharesFrom * SHARES_PER_CPU) / 1000)),
    oomScoreAdj: oomScoreAdj(qos, memoryRequest, memoryCapacity),
  };
  if (cpuLimit > 0) {
    out.cpuPeriod = QUOTA_PERIOD;
    out.cpuQuota = Math.max(MIN_QUOTA, Math.floor((cpuLimit * QUOTA_PERIOD) / 1000));
  }
  if (memoryLimit > 0) out.memoryLimitInBytes = memoryLimit;
  return out;
}

/** Guaranteed pods die last, best-effort first, burstable in proportion to what they asked. */
export function oomScoreAdj(qos: QOSClass, memoryRequest: number, memoryCapacity: number): number {
  if (qos === 'Guaranteed') return GUARANTEED_OOM_SCORE_ADJ;
  if (qos === 'BestEffort') return BEST_EFFORT_OOM_SCORE_ADJ;
  const score = 1000 - Math.floor((1000 * memoryRequest) / Math.max(1, memoryCapacity));
  if (score < 1000 + GUARANTEED_OOM_SCORE_ADJ) return 1000 + GUARANTEED_OOM_SCORE_ADJ;
  if (score >= BEST_EFFORT_OOM_SCORE_ADJ) return BEST_EFFORT_OOM_SCORE_ADJ - 1;
  return score;
}
