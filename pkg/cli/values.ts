/**
 * Parsers for flag values. Each takes the raw text (from a flag, an env var or the config
 * file: all three are text, so one parser serves every source) and returns the typed value,
 * or throws ValueError with a reason; the caller adds where the value came from, so every
 * message names the flag, the env var or the config file key.
 */
import net from 'node:net';
import path from 'node:path';

export class ValueError extends Error {
  override name = 'ValueError';
}

/** Go's strconv.ParseBool, which is also how Kubernetes reads booleans (`True`, `1`, `f`). */
const TRUE = new Set(['1', 't', 'T', 'true', 'True', 'TRUE']);
const FALSE = new Set(['0', 'f', 'F', 'false', 'False', 'FALSE']);

export function parseBool(raw: string): boolean {
  if (TRUE.has(raw)) return true;
  if (FALSE.has(raw)) return false;
  throw new ValueError(`must be true or false, got "${raw}"`);
}

export function parseCount(raw: string): number {
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw new ValueError(`must be a whole number, got "${raw}"`);
  return Number(raw);
}

export function parsePort(raw: string): number {
  const n = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new ValueError(`must be a port number from 1 to 65535, got "${raw}"`);
  return n;
}

export function parseIp(raw: string): string {
  if (net.isIP(raw) === 0) throw new ValueError(`must be an IPv4 or IPv6 address, got "${raw}"`);
  return raw;
}

export function parseCidr(raw: string): string {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(raw);
  const family = m ? net.isIP(m[1]!) : 0;
  const bits = m ? Number(m[2]) : NaN;
  if (family === 0 || bits > (family === 4 ? 32 : 128)) {
    throw new ValueError(`must be a CIDR such as 10.42.0.0/16, got "${raw}"`);
  }
  return raw;
}

/** Go's time.ParseDuration units, since k3s users write durations the Go way (40s, 1h30m). */
const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go-style duration, returned in milliseconds. */
export function parseDuration(raw: string): number {
  if (raw === '0') return 0;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let m = part.exec(raw); m; m = part.exec(raw)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    end = part.lastIndex;
  }
  if (raw === '' || end !== raw.length) throw new ValueError(`must be a duration such as 40s, 5m or 1h30m, got "${raw}"`);
  return Math.round(total);
}

/** A file mode written in octal, as chmod takes it: 0644, 644, 0o600. */
export function parseFileMode(raw: string): number {
  const m = /^(?:0o?)?([0-7]{3,4})$/.exec(raw);
  if (!m) throw new ValueError(`must be an octal file mode such as 0600 or 0644, got "${raw}"`);
  return parseInt(m[1]!, 8);
}

export function parseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ValueError(`must be a URL such as https://host:6443, got "${raw}"`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw new ValueError(`must be an http:// or https:// URL with a host, got "${raw}"`);
  }
  return raw;
}

/** Paths are made absolute at once, so a relative --data-dir means the same after a chdir. */
export function parsePath(raw: string): string {
  return path.resolve(raw);
}

const DNS_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS_SUBDOMAIN = new RegExp(`^${DNS_LABEL}(\\.${DNS_LABEL})*$`);

/** A Kubernetes DNS-1123 subdomain, the rule for node names. */
export function checkDnsSubdomain(raw: string): void {
  if (raw.length > 253 || !DNS_SUBDOMAIN.test(raw)) {
    throw new ValueError(`must be a lowercase DNS name (letters, digits, '-' and '.'), got "${raw}"`);
  }
}

/** A name for the serving certificate: an IP or a DNS name, possibly a wildcard. */
export function checkSan(raw: string): void {
  if (net.isIP(raw) !== 0) return;
  const name = raw.toLowerCase().replace(/^\*\./, '');
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) throw new ValueError(`must be an IP address or a DNS name, got "${raw}"`);
}

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

function checkLabelKey(key: string, raw: string): void {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const prefixOk = prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix));
  if (!prefixOk || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    throw new ValueError(`"${raw}": "${key}" is not a valid label key`);
  }
}

function checkLabelValue(value: string, raw: string): void {
  if (value.length > 63 || (value !== '' && !QUALIFIED_NAME.test(value))) {
    throw new ValueError(`"${raw}": "${value}" is not a valid label value`);
  }
}

/** key=value, with Kubernetes' rules for both halves. */
export function checkNodeLabel(raw: string): void {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new ValueError(`must be key=value, got "${raw}"`);
  checkLabelKey(raw.slice(0, eq), raw);
  checkLabelValue(raw.slice(eq + 1), raw);
}

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** key[=value]:Effect, as kubectl taint and k3s --node-taint take it. */
export function checkNodeTaint(raw: string): void {
  const m = /^([^=:]+)(?:=([^:]*))?:([A-Za-z]+)$/.exec(raw);
  if (!m) throw new ValueError(`must be key=value:Effect or key:Effect, got "${raw}"`);
  checkLabelKey(m[1]!, raw);
  checkLabelValue(m[2] ?? '', raw);
  if (!TAINT_EFFECTS.includes(m[3]!)) throw new ValueError(`"${raw}": the effect must be one of ${TAINT_EFFECTS.join(', ')}`);
}

/**
 * What --disable can turn off. traefik is accepted (and is a no-op: tsk ships no ingress
 * controller) so that k3s configs carried over verbatim keep working.
 */
export const DISABLEABLE = ['coredns', 'servicelb', 'local-storage', 'metrics-server', 'traefik'] as const;

export function checkComponent(raw: string): void {
  if (!(DISABLEABLE as readonly string[]).includes(raw)) {
    throw new ValueError(`"${raw}" is not a component tsk can disable (${DISABLEABLE.join(', ')})`);
  }
}

export const FLANNEL_BACKENDS = ['vxlan', 'host-gw', 'none'] as const;

export function checkFlannelBackend(raw: string): void {
  if (!(FLANNEL_BACKENDS as readonly string[]).includes(raw)) {
    throw new ValueError(`"${raw}" is not a backend tsk has (${FLANNEL_BACKENDS.join(', ')})`);
  }
}

/** Linux interface names: 1–15 bytes, no slash, colon or white space. */
export function checkInterfaceName(raw: string): void {
  if (!/^[^/:\s]{1,15}$/.test(raw) || raw === '.' || raw === '..') throw new ValueError(`"${raw}" is not a network interface name`);
}

/** Splits list items given with commas (env vars, `--tls-san a,b`) and drops empty ones. */
export function splitList(raws: readonly string[]): string[] {
  return raws.flatMap((r) => r.split(',')).map((s) => s.trim()).filter((s) => s !== '');
}
