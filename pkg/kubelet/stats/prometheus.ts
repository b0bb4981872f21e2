/**
 * /metrics/resource in the Prometheus text format (version 0.0.4) as a Kubernetes 1.33 kubelet
 * writes it: the stable resource metrics, families in name order, samples in label order, each
 * with the time it was measured in milliseconds (metrics-server computes CPU rates from those
 * times, not from when it scraped). Numbers are written as Go's strconv 'g' format does.
 * `scrape_error`, deprecated in 1.29, is hidden since 1.30: only resource_scrape_error is written.
 */
import type { ContainerSample, PodSample, ResourceMetrics } from './resource.ts';

export const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

interface Sample {
  labels: [string, string][];
  value: number;
  timestampMs?: number;
}

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  samples: Sample[];
}

/** strconv.FormatFloat(v, 'g', -1, 64): shortest digits, exponent form below 1e-4 and from 1e6 up. */
export function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mantissa, exp] = v.toExponential().split('e') as [string, string];
  const exponent = Number(exp);
  if (exponent < -4 || exponent >= 6) return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  // Between those bounds JavaScript already writes the shortest plain decimal.
  return String(v);
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function line(name: string, s: Sample): string {
  const labels = s.labels.length > 0 ? `{${s.labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
  return `${name}${labels} ${formatGoFloat(s.value)}${s.timestampMs !== undefined ? ` ${s.timestampMs}` : ''}\n`;
}

function byLabels(a: Sample, b: Sample): number {
  for (let i = 0; i < a.labels.length; i++) {
    const x = a.labels[i]![1];
    const y = b.labels[i]?.[1] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

const family = (type: Family['type']) => (name: string, help: string, samples: Sample[]): Family => ({ name, help: `[STABLE] ${help}`, type, samples });
const counter = family('counter');
const gauge = family('gauge');

export function formatResourceMetrics(m: ResourceMetrics): string {
  const perContainer = (value: (c: ContainerSample) => number): Sample[] =>
    m.containers.map((c) => ({ labels: [['container', c.container], ['namespace', c.namespace], ['pod', c.pod]], value: value(c), timestampMs: c.timestampMs }));
  const perPod = (value: (p: PodSample) => number): Sample[] =>
    m.pods.map((p) => ({ labels: [['namespace', p.namespace], ['pod', p.pod]], value: value(p), timestampMs: p.timestampMs }));
  const node = (value: number | undefined): Sample[] => (value === undefined ? [] : [{ labels: [], value, timestampMs: m.timestampMs }]);
  const families: Family[] = [
    counter('container_cpu_usage_seconds_total', 'Cumulative cpu time consumed by the container in core-seconds', perContainer((c) => c.cpuSeconds)),
    gauge('container_memory_working_set_bytes', 'Current working set of the container in bytes', perContainer((c) => c.memoryWorkingSetBytes)),
    gauge('container_start_time_seconds', 'Start time of the container since unix epoch in seconds', perContainer((c) => c.startTimeSeconds)),
    counter('node_cpu_usage_seconds_total', 'Cumulative cpu time consumed by the node in core-seconds', node(m.node.cpuSeconds)),
    gauge('node_memory_working_set_bytes', 'Current working set of the node in bytes', node(m.node.memoryWorkingSetBytes)),
    counter('pod_cpu_usage_seconds_total', 'Cumulative cpu time consumed by the pod in core-seconds', perPod((p) => p.cpuSeconds)),
    gauge('pod_memory_working_set_bytes', 'Current working set of the pod in bytes', perPod((p) => p.memoryWorkingSetBytes)),
    gauge('resource_scrape_error', '1 if there was an error while getting container metrics, 0 otherwise', [{ labels: [], value: m.scrapeError ? 1 : 0 }]),
  ];
  let out = '';
  // A family without samples is left out entirely, as the Prometheus client library does.
  for (const f of families.filter((f) => f.samples.length > 0)) {
    out += `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`;
    for (const s of [...f.samples].sort(byLabels)) out += line(f.name, s);
  }
  return out;
}
