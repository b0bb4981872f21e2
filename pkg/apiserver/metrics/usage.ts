/**
 * Usage from two scrapes of a node, as metrics-server computes it: CPU is the rate between
 * the two cumulative readings (nanocores over the window between their timestamps), memory
 * the later working set. A container counts only when both scrapes saw the same instance
 * (started before the earlier reading) and its CPU did not go backwards; a pod's time and
 * window are those of its earliest container reading.
 */
import { formatQuantity } from '../../api/validation/quantity.ts';
import type { MetricsPoint, NodeScrape } from './decode.ts';

export interface Usage {
  cpuNanoCores: number;
  memoryBytes: number;
  timestampMs: number;
  windowMs: number;
}

export interface ContainerUsage {
  name: string;
  usage: Usage;
}

export interface PodUsage {
  timestampMs: number;
  windowMs: number;
  containers: ContainerUsage[];
}

/** Two scrapes of one node, the earlier first. */
export interface ScrapePair {
  prev: NodeScrape;
  last: NodeScrape;
}

export function resourceUsage(last: MetricsPoint, prev: MetricsPoint): Usage | undefined {
  if ((last.startTimeMs ?? 0) < (prev.startTimeMs ?? 0)) return undefined;
  if (last.cpuSeconds < prev.cpuSeconds) return undefined;
  const windowMs = last.timestampMs - prev.timestampMs;
  if (windowMs <= 0) return undefined;
  const cpuNanoCores = Math.floor(((last.cpuSeconds - prev.cpuSeconds) * 1e9) / (windowMs / 1000));
  return { cpuNanoCores, memoryBytes: last.memoryBytes, timestampMs: last.timestampMs, windowMs };
}

export function nodeUsage(pair: ScrapePair): Usage | undefined {
  const { prev, last } = pair;
  return prev.node && last.node ? resourceUsage(last.node, prev.node) : undefined;
}

/** `key` is `namespace/name`. */
export function podUsage(pair: ScrapePair, key: string): PodUsage | undefined {
  const last = pair.last.pods.get(key);
  const prev = pair.prev.pods.get(key);
  if (!last || !prev) return undefined;
  const containers: ContainerUsage[] = [];
  let earliest: Usage | undefined;
  for (const [name, point] of last) {
    const before = prev.get(name);
    // A container started after the earlier reading is a new instance: its counters restarted.
    if (!before || (point.startTimeMs ?? 0) >= before.timestampMs) continue;
    const usage = resourceUsage(point, before);
    if (!usage) continue;
    containers.push({ name, usage });
    if (!earliest || usage.timestampMs < earliest.timestampMs) earliest = usage;
  }
  if (!earliest) return undefined;
  return { timestampMs: earliest.timestampMs, windowMs: earliest.windowMs, containers };
}

/** The quantities metrics-server writes: nanocores (DecimalSI) and bytes (BinarySI), canonical. */
export function usageQuantities(u: Usage): { cpu: string; memory: string } {
  return {
    cpu: formatQuantity({ nanos: BigInt(u.cpuNanoCores), format: 'DecimalSI' }),
    memory: formatQuantity({ nanos: BigInt(Math.round(u.memoryBytes)) * 1_000_000_000n, format: 'BinarySI' }),
  };
}

/** Go's time.Duration String for whole milliseconds: "0s", "850ms", "15.002s", "1m0.5s", "2h0m0s". */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(Math.round(ms));
  if (abs < 1000) return `${sign}${abs}ms`;
  const hours = Math.floor(abs / 3_600_000);
  const minutes = Math.floor((abs % 3_600_000) / 60_000);
  const seconds = Math.floor((abs % 60_000) / 1000);
  const fraction = String(abs % 1000).padStart(3, '0').replace(/0+$/, '');
  const secs = `${seconds}${fraction ? `.${fraction}` : ''}s`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${secs}`;
  if (minutes > 0) return `${sign}${minutes}m${secs}`;
  return `${sign}${secs}`;
}

/** metav1.Time: RFC 3339 in UTC with whole seconds. */
export function metaTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
