/**
 * The names the API server's serving certificate must carry, and IP address normalisation
 * (so "::FFFF:10.0.0.1", "fd00:0::1" and the forms a certificate prints compare equal).
 */
import net from 'node:net';

/** IPv6 text to its 8 groups; undefined if not an IPv6 address. */
function ipv6Groups(ip: string): number[] | undefined {
  if (net.isIPv6(ip) === false) return undefined;
  let text = ip.toLowerCase().replace(/%.*$/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    text = text.slice(0, v4.index) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => parseInt(g, 16));
}

/**
 * The canonical text of an IP address: IPv4 dotted quad (an IPv4-mapped IPv6 address becomes
 * its IPv4 address, as Go's net.IP does), IPv6 lower-case and compressed. Throws if not an IP.
 */
export function canonicalIp(ip: string): string {
  if (net.isIPv4(ip)) return ip.split('.').map(Number).join('.');
  const g = ipv6Groups(ip);
  if (!g) throw new Error(`not an IP address: ${JSON.stringify(ip)}`);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return [g[6]! >> 8, g[6]! & 0xff, g[7]! >> 8, g[7]! & 0xff].join('.');
  }
  return new URL(`http://[${g.map((x) => x.toString(16)).join(':')}]`).hostname.slice(1, -1);
}

/** The first usable address of a CIDR (network + 1): the kubernetes Service's ClusterIP. */
export function firstIp(cidr: string): string {
  const [addr, bitsText] = cidr.trim().split('/') as [string, string | undefined];
  const bits = Number(bitsText);
  if (net.isIPv4(addr)) {
    if (!Number.isInteger(bits) || bits < 0 || bits > 30) throw new Error(`bad IPv4 CIDR ${JSON.stringify(cidr)}`);
    const n = addr.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    const net4 = n - (n % 2 ** (32 - bits)) + 1;
    return [24, 16, 8, 0].map((s) => Math.floor(net4 / 2 ** s) % 256).join('.');
  }
  const g = ipv6Groups(addr);
  if (!g || !Number.isInteger(bits) || bits < 0 || bits > 126) throw new Error(`bad CIDR ${JSON.stringify(cidr)}`);
  let n = g.reduce((acc, x) => (acc << 16n) | BigInt(x), 0n);
  const host = 128n - BigInt(bits);
  n = ((n >> host) << host) + 1n;
  const out: string[] = [];
  for (let i = 7; i >= 0; i--) out.push(((n >> BigInt(i * 16)) & 0xffffn).toString(16));
  return canonicalIp(out.join(':'));
}

export interface ServingSanOptions {
  /** --tls-san values: each an IP or a DNS name. */
  sans?: readonly string[];
  /** --cluster-domain, default cluster.local. */
  clusterDomain?: string;
  /** --service-cidr, possibly dual-stack "v4cidr,v6cidr"; default 10.43.0.0/16. */
  serviceCidr?: string;
  nodeIps?: readonly string[];
}

export interface SanSet {
  dnsNames: string[];
  ips: string[];
}

/**
 * The SANs kubectl and in-cluster clients check: localhost and loopback, the node IPs, the
 * kubernetes Service's names and ClusterIP(s), and every --tls-san. Deduplicated, in order.
 */
export function wantedServingSans(opts: ServingSanOptions): SanSet {
  const domain = (opts.clusterDomain ?? 'cluster.local').replace(/^\.+|\.+$/g, '');
  const cidrs = (opts.serviceCidr ?? '10.43.0.0/16').split(',').filter((c) => c.trim() !== '');
  const dns = ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${domain}`];
  const ips = ['127.0.0.1', '::1', ...(opts.nodeIps ?? []), ...cidrs.map(firstIp)];
  for (const san of opts.sans ?? []) {
    const s = san.trim();
    if (s === '') continue;
    if (net.isIP(s)) ips.push(s);
    else dns.push(s);
  }
  return {
    dnsNames: [...new Set(dns.map((d) => d.toLowerCase()))],
    ips: [...new Set(ips.map(canonicalIp))],
  };
}

/** The wanted SANs that `have` lacks (DNS names compared case-insensitively, IPs canonically). */
export function missingSans(want: SanSet, have: SanSet): SanSet {
  const haveDns = new Set(have.dnsNames.map((d) => d.toLowerCase()));
  const haveIps = new Set(have.ips.map(canonicalIp));
  return {
    dnsNames: want.dnsNames.filter((d) => !haveDns.has(d.toLowerCase())),
    ips: want.ips.filter((ip) => !haveIps.has(canonicalIp(ip))),
  };
}
