/**
 * Pod IPs for simulated nodes, as host-local IPAM hands them out on a real node: the next free
 * address of the node's podCIDR (network and gateway .1 skipped), released when the pod ends.
 * Only nodes that hold pods have state: a cursor and the addresses in use.
 */
import type { SimulatedNode } from './node.ts';

/** An IPv4 address as a number; undefined for IPv6 or malformed text. */
export function parseIp4(ip: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return ((octets[0]! << 24) >>> 0) + (octets[1]! << 16) + (octets[2]! << 8) + octets[3]!;
}

/** An IPv4 CIDR as its first address and size; undefined for IPv6, malformed text or fewer than 4 addresses. */
export function parseCidr4(cidr: string): { base: number; size: number } | undefined {
  const [ip, bits] = cidr.split('/');
  const value = parseIp4(ip ?? '');
  if (value === undefined || !/^\d+$/.test(bits ?? '') || Number(bits) > 30) return undefined;
  const size = 2 ** (32 - Number(bits));
  return { base: value - (value % size), size };
}

export function formatIp4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

/** /24 blocks in 172.16.0.0/12. */
const FALLBACK_BLOCKS = 4096;

/**
 * A /24 in 172.16.0.0/12 for a node of a cluster without node IPAM: its index in the fleet,
 * offset by the fleet's subnet so two fleets (name prefixes) of a few dozen nodes do not share
 * ranges.
 */
export function fallbackPodCidr(node: Pick<SimulatedNode, 'index' | 'subnet'>): string {
  const block = ((node.subnet % 50) * Math.floor(FALLBACK_BLOCKS / 50) + node.index) % FALLBACK_BLOCKS;
  return `172.${16 + (block >> 8)}.${block & 255}.0/24`;
}

interface NodeAddresses {
  cidr: string;
  cursor: number;
  /** Offset in the CIDR → pod key. */
  used: Map<number, string>;
  byPod: Map<string, number>;
}

export class PodAddresses {
  private readonly nodes = new Map<string, NodeAddresses>();

  /** The node's allocations; a changed CIDR (a node re-created under the same name) starts afresh. */
  private nodeState(node: string, cidr: string): NodeAddresses {
    let state = this.nodes.get(node);
    if (!state || state.cidr !== cidr) {
      state = { cidr, cursor: 2, used: new Map(), byPod: new Map() };
      this.nodes.set(node, state);
    }
    return state;
  }

  /** The pod's address on `node` (the same one when asked again); undefined when the CIDR is full or unusable. */
  allocate(node: string, cidr: string, pod: string): string | undefined {
    const range = parseCidr4(cidr);
    const state = range && this.nodeState(node, cidr);
    if (!range || !state) return undefined;
    const held = state.byPod.get(pod);
    if (held !== undefined) return formatIp4(range.base + held);
    const usable = range.size - 3;
    for (let tried = 0; tried < usable; tried++) {
      const offset = 2 + ((state.cursor - 2 + tried) % usable);
      if (state.used.has(offset)) continue;
      state.used.set(offset, pod);
      state.byPod.set(pod, offset);
      state.cursor = offset + 1;
      return formatIp4(range.base + offset);
    }
    return undefined;
  }

  /** Records an address a pod already has (pods running before this process started). */
  claim(node: string, cidr: string, pod: string, ip: string): void {
    const range = parseCidr4(cidr);
    const value = parseIp4(ip);
    const state = range && this.nodeState(node, cidr);
    if (!range || value === undefined || !state || state.byPod.has(pod)) return;
    const offset = value - range.base;
    if (offset < 0 || offset >= range.size || state.used.has(offset)) return;
    state.used.set(offset, pod);
    state.byPod.set(pod, offset);
  }

  release(node: string, pod: string): void {
    const state = this.nodes.get(node);
    const offset = state?.byPod.get(pod);
    if (!state || offset === undefined) return;
    state.byPod.delete(pod);
    state.used.delete(offset);
    if (state.byPod.size === 0) this.nodes.delete(node);
  }
}
