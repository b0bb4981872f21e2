/**
 * A kubelet's /metrics/resource answer (Prometheus text) read as metrics-server reads it: the
 * node's cumulative CPU and working set, and per pod the same for each container with its
 * start time, each point at the time the kubelet measured it (ms since the epoch; the scrape's
 * own time when a sample has none). What metrics-server discards is discarded here too: a node
 * point without CPU, memory or time, and a pod one of whose containers lacks CPU or memory.
 */

export interface MetricsPoint {
  timestampMs: number;
  /** Core-seconds since the node booted or the container started. */
  cpuSeconds: number;
  memoryBytes: number;
  /** Containers only: when the container started, ms since the epoch. */
  startTimeMs?: number;
}

/** What one scrape of one node gave: pods keyed `namespace/name`, their containers by name. */
export interface NodeScrape {
  node?: MetricsPoint;
  pods: Map<string, Map<string, MetricsPoint>>;
}

export class MetricsDecodeError extends Error {
  override name = 'MetricsDecodeError';
}

interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const ESCAPES: Record<string, string> = { n: '\n', '\\': '\\', '"': '"' };

/** `name{a="x",b="y"} value [timestamp]`, label values with \\, \" and \n escapes. */
export function parseSeries(line: string): Series {
  const name = NAME.exec(line)?.[0];
  if (!name) throw new MetricsDecodeError(`not a sample: ${line}`);
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ' || line[i] === ',') i++;
      if (line[i] === '}') break;
      const key = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i))?.[0];
      if (!key || line[i + key.length] !== '=' || line[i + key.length + 1] !== '"') throw new MetricsDecodeError(`bad labels: ${line}`);
      i += key.length + 2;
      let value = '';
      while (line[i] !== '"') {
        if (i >= line.length) throw new MetricsDecodeError(`unterminated label value: ${line}`);
        if (line[i] === '\\') {
          value += ESCAPES[line[i + 1] ?? ''] ?? `\\${line[i + 1] ?? ''}`;
          i += 2;
        } else value += line[i++];
      }
      labels[key] = value;
      i++;
    }
    i++;
  }
  const [valueText, timestampText, ...extra] = line.slice(i).trim().split(/\s+/);
  const value = Number(valueText?.replace(/^\+Inf$/, 'Infinity').replace(/^-Inf$/, '-Infinity'));
  if (valueText === undefined || valueText === '' || extra.length > 0 || (Number.isNaN(value) && valueText !== 'NaN')) {
    throw new MetricsDecodeError(`bad sample value: ${line}`);
  }
  if (timestampText !== undefined && !/^-?\d+$/.test(timestampText)) throw new MetricsDecodeError(`bad timestamp: ${line}`);
  return { name, labels, value, ...(timestampText !== undefined ? { timestampMs: Number(timestampText) } : {}) };
}

interface Partial {
  timestampMs?: number;
  cpuSeconds?: number;
  memoryBytes?: number;
  startTimeMs?: number;
}

function complete(p: Partial): MetricsPoint | undefined {
  if (!p.timestampMs || !p.cpuSeconds || !p.memoryBytes) return undefined;
  return { timestampMs: p.timestampMs, cpuSeconds: p.cpuSeconds, memoryBytes: p.memoryBytes, ...(p.startTimeMs !== undefined ? { startTimeMs: p.startTimeMs } : {}) };
}

export function decodeResourceMetrics(text: string, defaultTimestampMs: number): NodeScrape {
  const node: Partial = {};
  const pods = new Map<string, Map<string, Partial>>();
  const container = (s: Series): Partial => {
    const key = `${s.labels.namespace ?? ''}/${s.labels.pod ?? ''}`;
    const containers = pods.get(key) ?? new Map<string, Partial>();
    pods.set(key, containers);
    const name = s.labels.container ?? '';
    const found = containers.get(name) ?? {};
    containers.set(name, found);
    return found;
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const s = parseSeries(line);
    const at = s.timestampMs ?? defaultTimestampMs;
    switch (s.name) {
      case 'node_cpu_usage_seconds_total':
        Object.assign(node, { cpuSeconds: s.value, timestampMs: at });
        break;
      case 'node_memory_working_set_bytes':
        Object.assign(node, { memoryBytes: s.value, timestampMs: at });
        break;
      case 'container_cpu_usage_seconds_total':
        Object.assign(container(s), { cpuSeconds: s.value, timestampMs: at });
        break;
      case 'container_memory_working_set_bytes':
        Object.assign(container(s), { memoryBytes: s.value, timestampMs: at });
        break;
      case 'container_start_time_seconds':
        container(s).startTimeMs = s.value * 1000;
        break;
      default:
    }
  }
  const out: NodeScrape = { pods: new Map() };
  const nodePoint = complete(node);
  if (nodePoint) out.node = nodePoint;
  for (const [key, containers] of pods) {
    const points = new Map<string, MetricsPoint>();
    for (const [name, p] of containers) {
      const point = complete(p);
      if (!point) break;
      points.set(name, point);
    }
    if (points.size === containers.size && points.size > 0) out.pods.set(key, points);
  }
  return out;
}
