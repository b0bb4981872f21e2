/**
 * Address arithmetic on CIDRs, shared by the command line's range checks, the pod network,
 * the overlay's routes, the service proxy and NetworkPolicy: one parser, so a range one part
 * accepts is never refused by another.
 */
import net from 'node:net';

export interface Cidr {
  family: 4 | 6;
  /** Prefix length. */
  bits: number;
  /** The range's first and last addresses (host bits of the written address ignored, as Go's ParseCIDR does). */
  first: bigint;
  last: bigint;
}

function ipToBigInt(ip: string): { family: 4 | 6; value: bigint } {
  if (net.isIPv4(ip)) {
    return { family: 4, value: ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n) };
  }
  // Expand "::" and an embedded IPv4 tail into eight 16-bit groups.
  let text = ip.split('%')[0]!;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = ipToBigInt(v4[1]!).value;
    text = text.slice(0, -v4[1]!.length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array<string>(8 - headParts.length - tailParts.length).fill('0');
  const groups = [...headParts, ...zeros, ...tailParts];
  return { family: 6, value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

/** The address `value` written the way `ip` prints it (shortest IPv6 form). */
export function formatAddress(value: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
  const groups = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(((value >> shift) & 0xffffn).toString(16));
  const text = groups.join(':');
  const runs = [...text.matchAll(/(?:^|:)(?:0(?::|$)){2,}/g)].sort((a, b) => b[0].length - a[0].length);
  if (runs.length === 0) return text;
  const run = runs[0]!;
  return `${text.slice(0, run.index)}::${text.slice(run.index! + run[0].length)}`;
}

/** `ADDRESS/BITS` parsed; undefined for anything else (a bare address, a bad prefix, extra slashes). */
export function parseCidr(cidr: string): Cidr | undefined {
  const [address, prefix, extra] = cidr.split('/');
  const family = net.isIP(address ?? '');
  if ((family !== 4 && family !== 6) || extra !== undefined || !/^\d{1,3}$/.test(prefix ?? '')) return undefined;
  const bits = Number(prefix);
  const width = family === 4 ? 32 : 128;
  if (bits > width) return undefined;
  const hostBits = BigInt(width - bits);
  const first = (ipToBigInt(address!).value >> hostBits) << hostBits;
  return { family, bits, first, last: first + (1n << hostBits) - 1n };
}

export function isCidr(value: unknown): value is string {
  return typeof value === 'string' && parseCidr(value) !== undefined;
}

/** The addresses a CIDR covers; throws on text that is not one (callers validated it first). */
export function cidrRange(cidr: string): Cidr {
  const range = parseCidr(cidr);
  if (!range) throw new TypeError(`"${cidr}" is not a CIDR`);
  return range;
}

export function cidrContains(cidr: string, ip: string): boolean {
  const range = cidrRange(cidr);
  const addr = ipToBigInt(ip);
  return addr.family === range.family && addr.value >= range.first && addr.value <= range.last;
}

export function cidrsOverlap(a: string, b: string): boolean {
  const ra = cidrRange(a);
  const rb = cidrRange(b);
  return ra.family === rb.family && ra.first <= rb.last && rb.first <= ra.last;
}

/** The range's network address, as the kernel prints route destinations. */
export function networkAddress(cidr: string): string {
  const range = cidrRange(cidr);
  return formatAddress(range.first, range.family);
}

/** The CIDR with host bits cleared. */
export function canonicalCidr(cidr: string): string {
  return `${networkAddress(cidr)}/${cidrRange(cidr).bits}`;
}

/**
 * The address a node's bridge holds in its podCIDR: the range's first address, which
 * host-local hands out as the pods' gateway when none is configured. The node's DNS server
 * listens there, so every pod of the node reaches it without leaving the bridge. Undefined
 * when the range has no room for a gateway and a pod.
 */
export function gatewayOf(cidr: string): string | undefined {
  const range = parseCidr(cidr);
  if (!range || range.bits > (range.family === 4 ? 30 : 126)) return undefined;
  return formatAddress(range.first + 1n, range.family);
}
