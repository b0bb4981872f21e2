/**
 * The objects a simulated node is made of, as a kubelet would write them: the Node with its
 * labels, capacity, addresses, nodeInfo and conditions, and its heartbeat Lease in
 * kube-node-lease. Pure functions of the node's name, index and the clock.
 */
import crypto from 'node:crypto';
import type { KObject } from '../api/types.ts';
import { ANN_STORAGE_DIR } from '../controllers/localpath/volume.ts';

export const KUBELET_VERSION = 'v1.33.0';
export const LEASE_NAMESPACE = 'kube-node-lease';
/** What kubelet uses: the node lifecycle controller allows 40 s without a renewal. */
export const LEASE_DURATION_SECONDS = 40;

/** Room for a few thousand small test pods: what a mid-size machine offers. */
export const CAPACITY = { cpu: '4', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' } as const;

export const ARCH = process.arch === 'x64' ? 'amd64' : process.arch;

export interface SimulatedNode {
  name: string;
  /** Position in the fleet: it gives the node its address and heartbeat slot. */
  index: number;
  /** Second octet of this fleet's node addresses, from the name prefix. */
  subnet: number;
}

/** Time as Kubernetes writes metav1.Time (whole seconds). */
export function kubeTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Time as Kubernetes writes metav1.MicroTime (six fraction digits), as Lease renewTime is. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Second octet of 10.x.0.0/16 for a name prefix, so two simulate fleets rarely share addresses. */
export function fleetSubnet(prefix: string): number {
  return 200 + (crypto.createHash('sha256').update(prefix).digest()[0]! % 50);
}

/** The node's InternalIP: 10.<subnet>.0.0/16, host part index+1 (up to 65,534 nodes). */
export function nodeAddress(node: SimulatedNode): string {
  const host = node.index + 1;
  return `10.${node.subnet}.${(host >> 8) & 255}.${host & 255}`;
}

function stableId(name: string, what: string): string {
  const hex = crypto.createHash('sha256').update(`${what}/${name}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function nodeConditions(now: number, transition: number): KObject[] {
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type, status, reason, message, lastHeartbeatTime: kubeTime(now), lastTransitionTime: kubeTime(transition),
  });
  return [
    condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
  ] as unknown as KObject[];
}

export function nodeStatus(node: SimulatedNode, now: number): Record<string, unknown> {
  return {
    capacity: { ...CAPACITY },
    allocatable: { ...CAPACITY },
    conditions: nodeConditions(now, now),
    addresses: [
      { type: 'InternalIP', address: nodeAddress(node) },
      { type: 'Hostname', address: node.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: stableId(node.name, 'machine').replace(/-/g, ''),
      systemUUID: stableId(node.name, 'system'),
      bootID: crypto.randomUUID(),
      kernelVersion: '6.1.0-simulated',
      osImage: 'tsk simulated node',
      containerRuntimeVersion: 'simulated://1.0.0',
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: KUBELET_VERSION,
      operatingSystem: 'linux',
      architecture: ARCH,
    },
  };
}

export function nodeObject(node: SimulatedNode, now: number): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      labels: {
        'kubernetes.io/hostname': node.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': ARCH,
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': ARCH,
      },
      // A storage folder as an agent publishes it, so local-path claims of pods sent here are
      // provisioned (nothing is ever written there: a simulated node has no kubelet).
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', [ANN_STORAGE_DIR]: `/var/lib/tsk-simulated/${node.name}/storage` },
    },
    spec: {},
    status: nodeStatus(node, now),
  };
}

export function leaseObject(node: SimulatedNode, nodeUid: string | undefined, now: number): KObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: node.name,
      namespace: LEASE_NAMESPACE,
      // As kubelet: the Lease goes when its Node does.
      ...(nodeUid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node.name, uid: nodeUid }] } : {}),
    },
    spec: { holderIdentity: node.name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: microTime(now) },
  };
}
