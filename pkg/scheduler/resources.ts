/**
 * Resource arithmetic as NodeResourcesFit does it: a pod's request is the larger of its
 * containers' sum (plus its sidecars) and what its init containers need while they run one at a
 * time (each alongside the sidecars started before it), plus the pod overhead. CPU is counted
 * in millicores, everything else in whole units (bytes for memory).
 */
import { parseQuantity, quantityMilliValue, quantityValue } from '../api/validation/quantity.ts';
import type { Container, Pod } from './types.ts';

/** Resource name → amount (cpu in millicores). */
export type ResourceList = Record<string, number>;

/** What scoring assumes for a container that requests nothing, as kube-scheduler does. */
export const DEFAULT_MILLI_CPU = 100;
export const DEFAULT_MEMORY = 200 * 1024 * 1024;

export function amount(name: string, value: string | number | undefined): number {
  if (value === undefined) return 0;
  try {
    const q = parseQuantity(value);
    return name === 'cpu' ? quantityMilliValue(q) : quantityValue(q);
  } catch {
    return 0;
  }
}

export function parseResourceList(list: Record<string, string | number> | undefined): ResourceList {
  const out: ResourceList = {};
  for (const [name, value] of Object.entries(list ?? {})) out[name] = amount(name, value);
  return out;
}

function addInto(target: ResourceList, add: ResourceList): void {
  for (const [k, v] of Object.entries(add)) target[k] = (target[k] ?? 0) + v;
}

function maxInto(target: ResourceList, other: ResourceList): void {
  for (const [k, v] of Object.entries(other)) if (v > (target[k] ?? 0)) target[k] = v;
}

export function sumInto(target: ResourceList, add: ResourceList, sign = 1): void {
  for (const [k, v] of Object.entries(add)) target[k] = (target[k] ?? 0) + sign * v;
}

const isSidecar = (c: Container) => c.restartPolicy === 'Always';

/** Combines per-container lists the way a pod's request is formed (see the file comment). */
function combine(pod: Pod, perContainer: (c: Container) => ResourceList): ResourceList {
  const total: ResourceList = {};
  for (const c of pod.spec?.containers ?? []) addInto(total, perContainer(c));
  const sidecars: ResourceList = {};
  const initPeak: ResourceList = {};
  for (const c of pod.spec?.initContainers ?? []) {
    const own = perContainer(c);
    if (isSidecar(c)) {
      addInto(sidecars, own);
      maxInto(initPeak, sidecars);
    } else {
      const running = { ...sidecars };
      addInto(running, own);
      maxInto(initPeak, running);
    }
  }
  addInto(total, sidecars);
  maxInto(total, initPeak);
  return total;
}

export interface PodRequests {
  /** What the pod requests (for fit). */
  requests: ResourceList;
  /** cpu and memory with defaults for containers that ask for none (for scoring). */
  nonZeroMilliCpu: number;
  nonZeroMemory: number;
}

export function podRequests(pod: Pod): PodRequests {
  const requests = combine(pod, (c) => parseResourceList(c.resources?.requests));
  const nonZero = combine(pod, (c) => {
    const r = c.resources?.requests ?? {};
    return {
      cpu: r.cpu === undefined ? DEFAULT_MILLI_CPU : amount('cpu', r.cpu),
      memory: r.memory === undefined ? DEFAULT_MEMORY : amount('memory', r.memory),
    };
  });
  const overhead = parseResourceList(pod.spec?.overhead);
  addInto(requests, overhead);
  for (const k of Object.keys(requests)) if (requests[k] === 0) delete requests[k];
  return {
    requests,
    nonZeroMilliCpu: (nonZero.cpu ?? 0) + (overhead.cpu ?? 0),
    nonZeroMemory: (nonZero.memory ?? 0) + (overhead.memory ?? 0),
  };
}

export interface HostPort {
  protocol: string;
  ip: string;
  port: number;
}

/** Host ports the pod's containers (and sidecars) claim on their node. */
export function podHostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter(isSidecar)];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      out.push({ protocol: p.protocol ?? 'TCP', ip: p.hostIP || '0.0.0.0', port: p.hostPort });
    }
  }
  return out;
}
