/**
 * The pool of per-node pod ranges carved out of the cluster CIDR, as Kubernetes' cidrset:
 * the cluster range is cut into equal subnets of `nodeMaskSize` bits, a bitmap says which are
 * taken, and allocation goes round from just after the last one handed out (so a range a
 * deleted node gave back is not reused at once while stale routes may still point at it).
 */

/** Kubernetes' default --node-cidr-mask-size for IPv4 and IPv6 cluster ranges. */
export const DEFAULT_NODE_MASK_V4 = 24;
export const DEFAULT_NODE_MASK_V6 = 64;

/** Kubernetes refuses cluster ranges cut into more than 2^16 node subnets. */
const MAX_SUBNET_BITS = 16;

export interface Cidr {
  /** The network address as an unsigned integer. */
  base: bigint;
  prefix: number;
  /** 32 or 128. */
  bits: number;
}

export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  if (slash < 0) throw new Error(`invalid CIDR ${JSON.stringify(text)}: no prefix length`);
  const addr = text.slice(0, slash);
  const prefix = Number(text.slice(slash + 1));
  const ip = addr.includes(':') ? parseIpv6(addr) : parseIpv4(addr);
  if (ip === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > ip.bits) throw new Error(`invalid CIDR ${JSON.stringify(text)}`);
  const hostBits = BigInt(ip.bits - prefix);
  return { base: (ip.value >> hostBits) << hostBits, prefix, bits: ip.bits };
}

export function formatCidr(c: Cidr): string {
  return `${c.bits === 32 ? formatIpv4(c.base) : formatIpv6(c.base)}/${c.prefix}`;
}

function parseIpv4(s: string): { value: bigint; bits: number } | undefined {
  const parts = s.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return { value: parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n), bits: 32 };
}

function parseIpv6(s: string): { value: bigint; bits: number } | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return { value: all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n), bits: 128 };
}

function formatIpv4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((v >> shift) & 255n)).join('.');
}

function formatIpv6(v: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => ((v >> BigInt((7 - i) * 16)) & 0xffffn).toString(16));
  // Compress the longest run of zero groups (RFC 5952), as Go's net.IP prints it.
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j;
  }
  if (best.at < 0) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

export class CidrSet {
  readonly cluster: Cidr;
  readonly nodeMaskSize: number;
  private readonly used: Uint8Array;
  private next = 0;
  private taken = 0;

  constructor(clusterCidr: string, nodeMaskSize?: number) {
    this.cluster = parseCidr(clusterCidr);
    this.nodeMaskSize = nodeMaskSize ?? (this.cluster.bits === 32 ? DEFAULT_NODE_MASK_V4 : DEFAULT_NODE_MASK_V6);
    if (this.nodeMaskSize < this.cluster.prefix || this.nodeMaskSize > this.cluster.bits) {
      throw new Error(`node CIDR mask /${this.nodeMaskSize} does not fit in cluster CIDR ${clusterCidr}`);
    }
    if (this.nodeMaskSize - this.cluster.prefix > MAX_SUBNET_BITS) {
      throw new Error(`cluster CIDR ${clusterCidr} holds more than 2^${MAX_SUBNET_BITS} node subnets of /${this.nodeMaskSize}`);
    }
    this.used = new Uint8Array(1 << (this.nodeMaskSize - this.cluster.prefix));
  }

  get size(): number {
    return this.used.length;
  }

  get free(): number {
    return this.used.length - this.taken;
  }

  /** The next free subnet, or undefined when every one is taken. */
  allocateNext(): string | undefined {
    for (let i = 0; i < this.used.length; i++) {
      const candidate = (this.next + i) % this.used.length;
      if (this.used[candidate]) continue;
      this.mark(candidate, true);
      this.next = (candidate + 1) % this.used.length;
      return formatCidr(this.subnet(candidate));
    }
    return undefined;
  }

  /**
   * Marks every subnet that overlaps `cidr` as taken (a node's existing podCIDR, or the
   * service range when it lies inside the cluster range). Throws if it is outside the range.
   */
  occupy(cidr: string): void {
    for (const i of this.indexes(cidr)) this.mark(i, true);
  }

  release(cidr: string): void {
    for (const i of this.indexes(cidr)) this.mark(i, false);
  }

  /** Whether `cidr` lies inside the cluster range (overlapping it counts). */
  overlaps(cidr: string): boolean {
    const c = parseCidr(cidr);
    if (c.bits !== this.cluster.bits) return false;
    const common = BigInt(c.bits - Math.min(c.prefix, this.cluster.prefix));
    return c.base >> common === this.cluster.base >> common;
  }

  private subnet(index: number): Cidr {
    const { base, bits } = this.cluster;
    return { base: base + (BigInt(index) << BigInt(bits - this.nodeMaskSize)), prefix: this.nodeMaskSize, bits };
  }

  private indexes(cidr: string): number[] {
    const c = parseCidr(cidr);
    if (!this.overlaps(cidr)) throw new Error(`${cidr} is not inside the cluster CIDR ${formatCidr(this.cluster)}`);
    const shift = BigInt(c.bits - this.nodeMaskSize);
    const offset = (base: bigint) => Number((base - this.cluster.base) >> shift);
    // A range wider than the cluster's covers all of it; one narrower than a subnet, its subnet.
    const first = c.prefix <= this.cluster.prefix ? 0 : offset(c.base);
    const span = c.prefix <= this.cluster.prefix ? this.used.length : c.prefix >= this.nodeMaskSize ? 1 : 1 << (this.nodeMaskSize - c.prefix);
    return Array.from({ length: span }, (_, i) => first + i);
  }

  private mark(index: number, taken: boolean): void {
    if (Boolean(this.used[index]) === taken) return;
    this.used[index] = taken ? 1 : 0;
    this.taken += taken ? 1 : -1;
  }
}
