/**
 * Names of the service proxy's netfilter chains. Per-service chains are named as kube-proxy
 * names its KUBE-SVC-… chains (sha256 of "namespace/name:port" + protocol, base32, first 16
 * characters), so a chain keeps its name across restarts and syncs: only chains whose rules
 * change are rewritten, and a restart finds and removes the chains of Services that went.
 */
import { createHash } from 'node:crypto';

/** The bit kube-proxy uses for "masquerade me" (KUBE-MARK-MASQ); shared with the policy code. */
export const MASQ_MARK = '0x4000';

export const SERVICES = 'TSK-SERVICES';
export const NODEPORTS = 'TSK-NODEPORTS';
export const POSTROUTING = 'TSK-POSTROUTING';
export const MARK_MASQ = 'TSK-MARK-MASQ';
/** filter: REJECT/DROP for external destinations (NodePorts, external and LoadBalancer IPs). */
export const EXTERNAL_SERVICES = 'TSK-EXTERNAL-SERVICES';
export const FORWARD = 'TSK-FORWARD';

/** The fixed chains of each table; every sync rewrites those whose rules changed. */
export const TOP_CHAINS = {
  nat: [SERVICES, NODEPORTS, POSTROUTING, MARK_MASQ],
  filter: [SERVICES, EXTERNAL_SERVICES, FORWARD],
} as const;

/** Cluster-policy endpoints, local-policy endpoints, external entry, one endpoint. */
export type ChainKind = 'SVC' | 'SVL' | 'EXT' | 'SEP';

/** A per-service chain of ours (not another component's TSK- chain): safe to delete when unused. */
export const SERVICE_CHAIN = /^TSK-(SVC|SVL|EXT|SEP)-[A-Z2-7]{16}$/;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 of the first 10 bytes: exactly 16 characters, no padding. */
function base32Prefix(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes.subarray(0, 10)) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

function hash16(text: string): string {
  return base32Prefix(createHash('sha256').update(text).digest());
}

/**
 * `id` is the service port's name as kube-proxy prints it ("ns/name:port", or "ns/name" for an
 * unnamed port); `endpoint` is "ip:port" ("[ip]:port" for IPv6) for SEP chains.
 */
export function chainName(kind: ChainKind, id: string, protocol: string, endpoint = ''): string {
  return `TSK-${kind}-${hash16(id + protocol.toLowerCase() + endpoint)}`;
}
