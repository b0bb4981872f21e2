/** Address arithmetic for the CIDR combination checks (cluster DNS inside the service range…). */
import net from 'node:net';

interface Range {
  family: 4 | 6;
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

/** The addresses a CIDR covers; host bits in the address are ignored, as Go's ParseCIDR does. */
export function cidrRange(cidr: string): Range {
  const [ip, bitsText] = cidr.split('/') as [string, string];
  const { family, value } = ipToBigInt(ip);
  const width = family === 4 ? 32n : 128n;
  const hostBits = width - BigInt(Number(bitsText));
  const first = (value >> hostBits) << hostBits;
  return { family, first, last: first + (1n << hostBits) - 1n };
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
