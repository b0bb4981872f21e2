/**
 * The replica calculation of kube-controller-manager's HorizontalPodAutoscaler for per-pod
 * resource metrics: desired = ceil(ready pods × usage ratio), nothing when the ratio is within
 * the tolerance, and the conservative treatment of pods without figures: pending and (for CPU)
 * not-yet-ready pods never push a scale-up, pods without metrics count as 0 % on a scale-up and
 * 100 % of their request (or the target when above 100 %) on a scale-down, and a recount that
 * would flip the direction keeps the current size. Values are milli-units (MilliValue()), as
 * upstream's are, so CPU and memory go through the same integer arithmetic.
 */
import type { KObject } from '../../api/types.ts';
import { parseQuantity, quantityMilliValue } from '../../api/validation/quantity.ts';

/** One pod's figure from the metrics API, in milli-units. */
export interface PodMetric {
  timestampMs: number;
  windowMs: number;
  value: number;
}

/** Figures by pod name. */
export type PodMetrics = Map<string, PodMetric>;

export interface CalculatorOptions {
  /** --horizontal-pod-autoscaler-tolerance (0.1). */
  tolerance: number;
  /** --horizontal-pod-autoscaler-cpu-initialization-period (5 min). */
  cpuInitializationPeriodMs: number;
  /** --horizontal-pod-autoscaler-initial-readiness-delay (30 s). */
  initialReadinessDelayMs: number;
  now: number;
}

export const DEFAULT_CALCULATOR: Omit<CalculatorOptions, 'now'> = {
  tolerance: 0.1,
  cpuInitializationPeriodMs: 5 * 60_000,
  initialReadinessDelayMs: 30_000,
};

/** A failure with upstream's words; `reason` is the condition/event reason when the caller sets one. */
export class AutoscalerError extends Error {
  constructor(message: string, readonly reason = '') {
    super(message);
    this.name = 'AutoscalerError';
  }
}

const timeOf = (text: unknown): number | undefined => (typeof text === 'string' && text ? Date.parse(text) : undefined);

function readyCondition(pod: KObject): { status: string; lastTransitionMs: number } | undefined {
  const c = ((pod.status?.conditions ?? []) as { type: string; status: string; lastTransitionTime?: string }[]).find((x) => x.type === 'Ready');
  return c ? { status: c.status, lastTransitionMs: timeOf(c.lastTransitionTime) ?? 0 } : undefined;
}

interface PodGroups {
  readyPodCount: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

/** Sorts the pods as upstream's groupPods: deleted or failed pods are ignored altogether. */
export function groupPods(pods: KObject[], metrics: PodMetrics, resource: string, o: CalculatorOptions): PodGroups {
  const g: PodGroups = { readyPodCount: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
  for (const pod of pods) {
    const name = pod.metadata.name!;
    const phase = pod.status?.phase;
    if (pod.metadata.deletionTimestamp || phase === 'Failed') {
      g.ignored.add(name);
      continue;
    }
    if (phase === 'Pending') {
      g.unready.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      g.missing.add(name);
      continue;
    }
    if (resource === 'cpu') {
      const condition = readyCondition(pod);
      const started = timeOf(pod.status?.startTime);
      let unready: boolean;
      if (!condition || started === undefined) {
        unready = true;
      } else if (started + o.cpuInitializationPeriodMs > o.now) {
        // Starting up: a CPU sample that does not cover a full window since readiness is burst, not load.
        unready = condition.status === 'False' || metric.timestampMs < condition.lastTransitionMs + metric.windowMs;
      } else {
        // Later on, only a pod that never became ready is left out.
        unready = condition.status === 'False' && started + o.initialReadinessDelayMs > condition.lastTransitionMs;
      }
      if (unready) {
        g.unready.add(name);
        continue;
      }
    }
    g.readyPodCount++;
  }
  return g;
}

function containersOf(pod: KObject): { name: string; resources?: { requests?: Record<string, string | number> } }[] {
  // Sidecars (restartable init containers) run beside the main containers, so they count too.
  const sidecars = ((pod.spec?.initContainers ?? []) as { restartPolicy?: string }[]).filter((c) => c.restartPolicy === 'Always');
  return [...(pod.spec?.containers ?? []), ...sidecars];
}

/** Each pod's request of `resource` in milli-units, over all containers or just `container`. */
export function podRequests(pods: KObject[], resource: string, container = ''): Map<string, number> {
  const requests = new Map<string, number>();
  for (const pod of pods) {
    let sum = 0;
    for (const c of containersOf(pod)) {
      if (container !== '' && container !== c.name) continue;
      const request = c.resources?.requests?.[resource];
      if (request === undefined) throw new AutoscalerError(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata.name}`);
      sum += quantityMilliValue(parseQuantity(request));
    }
    requests.set(pod.metadata.name!, sum);
  }
  return requests;
}

/** Utilization of the pods that have both a figure and a request (GetResourceUtilizationRatio). */
export function utilizationRatio(metrics: PodMetrics, requests: Map<string, number>, target: number): { ratio: number; utilization: number; rawAverage: number } {
  let metricsTotal = 0;
  let requestsTotal = 0;
  let entries = 0;
  for (const [pod, m] of metrics) {
    const request = requests.get(pod);
    if (request === undefined) continue;
    metricsTotal += m.value;
    requestsTotal += request;
    entries++;
  }
  if (requestsTotal === 0) throw new AutoscalerError('no metrics returned matched known pods');
  const utilization = Math.trunc((metricsTotal * 100) / requestsTotal);
  return { ratio: utilization / target, utilization, rawAverage: Math.trunc(metricsTotal / entries) };
}

function usageRatio(metrics: PodMetrics, target: number): { ratio: number; usage: number } {
  let total = 0;
  for (const m of metrics.values()) total += m.value;
  const usage = Math.trunc(total / metrics.size);
  return { ratio: usage / target, usage };
}

function checkPods(pods: KObject[]): void {
  if (pods.length === 0) throw new AutoscalerError('no pods returned by selector while calculating replica count');
}

/**
 * The shared second pass: fills in the pods left out of the first ratio with conservative
 * figures and keeps the current size when the recount is small or turns the direction.
 */
function conservative(
  current: number,
  ratio: number,
  metrics: PodMetrics,
  g: PodGroups,
  o: CalculatorOptions,
  missingOnScaleDown: (pod: string) => number,
  recount: (metrics: PodMetrics) => number,
): number {
  const scaleUpWithUnready = g.unready.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && g.missing.size === 0) {
    if (Math.abs(1 - ratio) <= o.tolerance) return current;
    return Math.ceil(ratio * g.readyPodCount);
  }
  const filled = new Map(metrics);
  if (ratio < 1) for (const pod of g.missing) filled.set(pod, { timestampMs: 0, windowMs: 0, value: missingOnScaleDown(pod) });
  else if (ratio > 1) for (const pod of g.missing) filled.set(pod, { timestampMs: 0, windowMs: 0, value: 0 });
  if (scaleUpWithUnready) for (const pod of g.unready) filled.set(pod, { timestampMs: 0, windowMs: 0, value: 0 });
  const newRatio = recount(filled);
  if (Math.abs(1 - newRatio) <= o.tolerance || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) return current;
  const replicas = Math.ceil(newRatio * filled.size);
  if ((newRatio < 1 && replicas > current) || (newRatio > 1 && replicas < current)) return current;
  return replicas;
}

function usable(pods: KObject[], metrics: PodMetrics, resource: string, o: CalculatorOptions): { g: PodGroups; kept: PodMetrics } {
  checkPods(pods);
  const g = groupPods(pods, metrics, resource, o);
  const kept = new Map([...metrics].filter(([pod]) => !g.ignored.has(pod) && !g.unready.has(pod)));
  if (kept.size === 0) throw new AutoscalerError('did not receive metrics for targeted pods (pods might be unready)');
  return { g, kept };
}

/** A Utilization target (percent of the pods' requests): GetResourceReplicas. */
export function resourceReplicas(
  current: number,
  targetUtilization: number,
  resource: string,
  container: string,
  pods: KObject[],
  metrics: PodMetrics,
  o: CalculatorOptions,
): { replicas: number; utilization: number; rawUtilization: number } {
  const { g, kept } = usable(pods, metrics, resource, o);
  const requests = podRequests(pods, resource, container);
  const first = utilizationRatio(kept, requests, targetUtilization);
  const fallback = Math.max(100, targetUtilization);
  const replicas = conservative(
    current,
    first.ratio,
    kept,
    g,
    o,
    (pod) => Math.trunc(((requests.get(pod) ?? 0) * fallback) / 100),
    (m) => utilizationRatio(m, requests, targetUtilization).ratio,
  );
  return { replicas, utilization: first.utilization, rawUtilization: first.rawAverage };
}

/** An AverageValue target (milli-units per pod): GetRawResourceReplicas. */
export function rawResourceReplicas(
  current: number,
  targetUsage: number,
  resource: string,
  pods: KObject[],
  metrics: PodMetrics,
  o: CalculatorOptions,
): { replicas: number; usage: number } {
  const { g, kept } = usable(pods, metrics, resource, o);
  const first = usageRatio(kept, targetUsage);
  const replicas = conservative(current, first.ratio, kept, g, o, () => targetUsage, (m) => usageRatio(m, targetUsage).ratio);
  return { replicas, usage: first.usage };
}
