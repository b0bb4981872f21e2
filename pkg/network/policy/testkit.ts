/**
 * For the policy tests and bench: API objects in a line, and a small interpreter of the rule
 * subset rules.ts writes, so unit tests state what a packet meets ("b reaches a on 80")
 * instead of comparing rule text. The netns test checks the same rules against the kernel.
 */
import net from 'node:net';
import type { KObject } from '../../api/types.ts';
import { ruleArgs } from './jumps.ts';
import { TOP_CHAIN, type DesiredChains } from './rules.ts';

export function pod(ns: string, name: string, ip: string | undefined, labels: Record<string, string> = {}, extra: { node?: string; ports?: unknown[]; hostNetwork?: boolean; phase?: string } = {}): KObject {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { namespace: ns, name, labels },
    spec: { nodeName: extra.node ?? 'node1', ...(extra.hostNetwork ? { hostNetwork: true } : {}), containers: [{ name: 'c', ports: extra.ports ?? [] }] },
    status: { phase: extra.phase ?? 'Running', ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}) },
  } as KObject;
}

export function policy(ns: string, name: string, spec: Record<string, unknown>): KObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { namespace: ns, name }, spec } as KObject;
}

export function namespace(name: string, labels: Record<string, string> = {}): KObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } } as KObject;
}

export interface Packet {
  src: string;
  dst: string;
  protocol?: 'tcp' | 'udp' | 'sctp';
  dport?: number;
  /** Sent by the node itself (addrtype LOCAL). */
  fromNode?: boolean;
  /** A reply or later packet of a connection already allowed. */
  established?: boolean;
  /** Its destination was rewritten by a Service's DNAT. */
  dnat?: boolean;
}

function inCidr(ip: string, cidr: string): boolean {
  const [address, prefix] = cidr.split('/');
  const type = net.isIPv6(address!) ? 'ipv6' : 'ipv4';
  if ((net.isIPv6(ip) ? 'ipv6' : 'ipv4') !== type) return false;
  const list = new net.BlockList();
  list.addSubnet(address!, prefix === undefined ? (type === 'ipv4' ? 32 : 128) : Number(prefix), type);
  return list.check(ip, type);
}

/** What TSK-NWPLCY does to a packet: 'reject', or 'pass' (on to the rest of FORWARD). */
export function verdict(chains: DesiredChains, packet: Packet): 'pass' | 'reject' {
  let mark = 0;
  const matches = (args: string[]): boolean => {
    for (let i = 0; i < args.length; i++) {
      const negate = args[i] === '!';
      if (negate) i++;
      const a = args[i]!;
      let ok: boolean;
      if (a === '-s') ok = inCidr(packet.src, args[++i]!);
      else if (a === '-d') ok = inCidr(packet.dst, args[++i]!);
      else if (a === '-p') ok = (packet.protocol ?? 'tcp') === args[++i];
      else if (a === '--dport') {
        const [from, to] = args[++i]!.split(':').map(Number);
        ok = packet.dport !== undefined && packet.dport >= from! && packet.dport <= (to ?? from!);
      } else if (a === '--mark') {
        const [value, mask] = args[++i]!.split('/').map(Number);
        ok = (mark & mask!) === value;
      } else if (a === '--src-type') ok = args[++i] === 'LOCAL' && packet.fromNode === true;
      else if (a === '--ctstate') {
        const states = args[++i]!.split(',');
        ok = (packet.established === true && states.includes('ESTABLISHED')) || (packet.dnat === true && states.includes('DNAT'));
      }
      else if (a === '--comment') { i++; ok = true; }
      else if (a === '-m') { i++; ok = true; }
      else throw new Error(`the test interpreter does not know ${a}`);
      if (ok === negate) return false;
    }
    return true;
  };
  const walk = (chain: string, depth: number): 'return' | 'reject' => {
    if (depth > 8) throw new Error('chains loop');
    const lines = chains.get(chain);
    if (!lines) throw new Error(`jump to missing chain ${chain}`);
    for (const line of lines) {
      const args = ruleArgs(line).slice(2);
      const j = args.indexOf('-j');
      if (!matches(args.slice(0, j))) continue;
      const target = args[j + 1]!;
      if (target === 'RETURN') return 'return';
      if (target === 'REJECT') return 'reject';
      if (target === 'MARK') {
        const [value, mask] = args[j + 3]!.split('/').map(Number);
        mark = (mark & ~mask!) ^ value!;
      } else if (walk(target, depth + 1) === 'reject') return 'reject';
    }
    return 'return';
  };
  return walk(TOP_CHAIN, 0) === 'reject' ? 'reject' : 'pass';
}
