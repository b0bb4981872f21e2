/**
 * Small builders of Node and Pod objects for the scheduler's unit tests: only the fields the
 * scheduler reads, with readable defaults (a Ready node of 4 CPUs, 8 GiB, 110 pods).
 */
import { SchedulerCache } from './cache.ts';
import { makePodInfo, type PodInfo } from './nodeinfo.ts';
import type { Node, Pod, PodSpec, Taint } from './types.ts';

export interface NodeFixture {
  cpu?: string;
  memory?: string;
  pods?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  ready?: 'True' | 'False' | 'Unknown';
  extra?: Record<string, string>;
}

export function node(name: string, f: NodeFixture = {}): Node {
  const allocatable = { cpu: f.cpu ?? '4', memory: f.memory ?? '8Gi', pods: f.pods ?? '110', ...f.extra };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...f.labels } },
    spec: { taints: f.taints, unschedulable: f.unschedulable },
    status: { allocatable, capacity: allocatable, conditions: [{ type: 'Ready', status: f.ready ?? 'True' }] },
  };
}

export interface PodFixture {
  namespace?: string;
  cpu?: string;
  memory?: string;
  labels?: Record<string, string>;
  nodeName?: string;
  priority?: number;
  owner?: string;
  spec?: Partial<PodSpec>;
}

export function pod(name: string, f: PodFixture = {}): Pod {
  const requests: Record<string, string> = {};
  if (f.cpu) requests.cpu = f.cpu;
  if (f.memory) requests.memory = f.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: f.namespace ?? 'default',
      uid: `uid-${name}`,
      labels: f.labels,
      creationTimestamp: '2026-01-01T00:00:00Z',
      ownerReferences: f.owner ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: f.owner, uid: f.owner, controller: true }] : undefined,
    },
    spec: { containers: [{ name: 'c', resources: { requests } }], nodeName: f.nodeName, priority: f.priority, ...f.spec },
    status: { phase: f.nodeName ? 'Running' : 'Pending' },
  };
}

export function info(p: Pod): PodInfo {
  return makePodInfo(p);
}

/** A cache holding these nodes and (bound) pods. */
export function cacheWith(nodes: Node[], pods: Pod[] = []): SchedulerCache {
  const cache = new SchedulerCache();
  for (const n of nodes) cache.setNode(n);
  for (const p of pods) cache.updatePod(p);
  return cache;
}
