/**
 * computeReplicasForMetrics of upstream's HPA controller: one proposal per metric of the spec,
 * the largest wins; a metric that cannot be read records a Warning event with its reason
 * (FailedGetResourceMetric, FailedGetPodsMetric, …) and, when every metric failed or a failed
 * one might have asked for more than a scale-down, sets ScalingActive=False and proposes
 * nothing. Error texts nest as upstream's do, since users search for them.
 */
import type { KObject } from '../../api/types.ts';
import { parseQuantity, quantityMilliValue, formatQuantity } from '../../api/validation/quantity.ts';
import type { EventSink } from '../../client/events.ts';
import type { Verdict } from './behavior.ts';
import type { MetricsClient } from './metrics.ts';
import { podMetricsOf } from './metrics.ts';
import { AutoscalerError, rawResourceReplicas, resourceReplicas, type CalculatorOptions } from './replicas.ts';

export interface MetricTarget {
  type?: string;
  averageUtilization?: number;
  averageValue?: string | number;
  value?: string | number;
}

export interface MetricSpec {
  type: string;
  resource?: { name: string; target: MetricTarget };
  containerResource?: { name: string; container: string; target: MetricTarget };
  pods?: { metric: { name: string }; target: MetricTarget };
  object?: { metric: { name: string }; describedObject: { kind: string; name: string }; target: MetricTarget };
  external?: { metric: { name: string; selector?: unknown }; target: MetricTarget };
}

export type MetricStatus = Record<string, unknown> & { type: string };

export interface MetricInputs {
  hpa: KObject;
  specReplicas: number;
  /** Pods the scale's selector matches, from the informer. */
  pods: KObject[];
  /** The scale's selector as text, for the metrics API. */
  selector: string;
  metrics: MetricsClient;
  events: EventSink;
  calculator: CalculatorOptions;
}

export interface MetricsOutcome {
  /** -1: no proposal (see `error`). */
  replicas: number;
  /** What the largest proposal came from: "cpu resource utilization (percentage of request)". */
  metric: string;
  statuses: MetricStatus[];
  /** ScalingActive as the metrics decide it. */
  scalingActive: Verdict;
  error?: Error;
}

interface Proposal {
  replicas: number;
  metric: string;
  status: MetricStatus;
}

/** A failure of one metric: its event is recorded at once, its condition kept for later. */
class MetricFailure extends Error {
  constructor(message: string, readonly verdict: Verdict) {
    super(message);
  }
}

const milli = (q: string | number): number => quantityMilliValue(parseQuantity(q));
const milliQuantity = (m: number): string => formatQuantity({ nanos: BigInt(m) * 1_000_000n, format: 'DecimalSI' });

/** The resource figure of a Resource or ContainerResource metric: Utilization or AverageValue. */
async function resourceProposal(x: MetricInputs, resource: string, target: MetricTarget, container: string): Promise<{ replicas: number; metric: string; current: Record<string, unknown> }> {
  let items: KObject[];
  const unable = (message: string) => new AutoscalerError(`failed to get ${resource} utilization: unable to get metrics for resource ${resource}: ${message}`);
  try {
    items = await x.metrics.podMetrics(x.hpa.metadata.namespace!, x.selector);
  } catch (err) {
    throw unable(`unable to fetch metrics from resource metrics API: ${(err as Error).message}`);
  }
  if (items.length === 0) throw unable('no metrics returned from resource metrics API');
  let metrics;
  try {
    metrics = podMetricsOf(items, resource, container);
  } catch (err) {
    throw unable((err as Error).message);
  }
  const wrap = (err: unknown) => new AutoscalerError(`failed to get ${resource} utilization: ${(err as Error).message}`);
  if (target.averageValue !== undefined) {
    try {
      const r = rawResourceReplicas(x.specReplicas, milli(target.averageValue), resource, x.pods, metrics, x.calculator);
      return { replicas: r.replicas, metric: `${resource} resource`, current: { averageValue: milliQuantity(r.usage) } };
    } catch (err) {
      throw wrap(err);
    }
  }
  if (target.averageUtilization === undefined) {
    throw new AutoscalerError('invalid resource metric source: neither an average utilization target nor an average value (usage) target was set');
  }
  try {
    const r = resourceReplicas(x.specReplicas, target.averageUtilization, resource, container, x.pods, metrics, x.calculator);
    const kind = container ? 'container resource' : 'resource';
    return {
      replicas: r.replicas,
      metric: `${resource} ${kind} utilization (percentage of request)`,
      current: { averageUtilization: r.utilization, averageValue: milliQuantity(r.rawUtilization) },
    };
  } catch (err) {
    throw wrap(err);
  }
}

/** The ScalingActive=False condition of a metric that could not be read; records its event. */
function unable(x: MetricInputs, reason: string, err: unknown): Verdict {
  const message = (err as Error).message;
  x.events.event(x.hpa, 'Warning', reason, message);
  return { status: 'False', reason, message: `the HPA was unable to compute the replica count: ${message}` };
}

async function proposalFor(x: MetricInputs, spec: MetricSpec): Promise<Proposal> {
  const namespace = x.hpa.metadata.namespace!;
  switch (spec.type) {
    case 'Resource': {
      const { name, target } = spec.resource!;
      try {
        const p = await resourceProposal(x, name, target, '');
        return { replicas: p.replicas, metric: p.metric, status: { type: 'Resource', resource: { name, current: p.current } } };
      } catch (err) {
        throw new MetricFailure(`failed to get ${name} resource metric value: ${(err as Error).message}`, unable(x, 'FailedGetResourceMetric', err));
      }
    }
    case 'ContainerResource': {
      const { name, container, target } = spec.containerResource!;
      try {
        const p = await resourceProposal(x, name, target, container);
        return { replicas: p.replicas, metric: p.metric, status: { type: 'ContainerResource', containerResource: { name, container, current: p.current } } };
      } catch (err) {
        throw new MetricFailure(`failed to get ${container} container metric value: ${(err as Error).message}`, unable(x, 'FailedGetContainerResourceMetric', err));
      }
    }
    case 'Pods': {
      const name = spec.pods!.metric.name;
      const err = await x.metrics.customMetric(namespace, name).catch((e: Error) => new AutoscalerError(`unable to get metric ${name}: unable to fetch metrics from custom metrics API: ${e.message}`));
      throw new MetricFailure(`failed to get pods metric value: ${err.message}`, unable(x, 'FailedGetPodsMetric', err));
    }
    case 'Object': {
      const { metric, describedObject } = spec.object!;
      // Upstream's words, including the order of its arguments.
      const err = await x.metrics
        .customMetric(namespace, metric.name)
        .catch((e: Error) => new AutoscalerError(`unable to get metric ${metric.name}: ${describedObject.kind} on ${namespace} ${describedObject.name}/unable to fetch metrics from custom metrics API: ${e.message}`));
      throw new MetricFailure(`failed to get object metric value: ${err.message}`, unable(x, 'FailedGetObjectMetric', err));
    }
    case 'External': {
      const { metric } = spec.external!;
      const err = await x.metrics
        .externalMetric(namespace, metric.name, '')
        .catch((e: Error) => new AutoscalerError(`unable to get external metric ${namespace}/${metric.name}/${metric.selector ? JSON.stringify(metric.selector) : 'nil'}: unable to fetch metrics from external metrics API: ${e.message}`));
      throw new MetricFailure(`failed to get ${metric.name} external metric value: ${err.message}`, unable(x, 'FailedGetExternalMetric', err));
    }
    default: {
      const err = new AutoscalerError(`unknown metric source type "${spec.type}"`);
      throw new MetricFailure(err.message, unable(x, 'InvalidMetricSourceType', err));
    }
  }
}

export async function computeReplicasForMetrics(x: MetricInputs, specs: MetricSpec[]): Promise<MetricsOutcome> {
  const statuses: MetricStatus[] = specs.map(() => ({ type: '' }));
  let replicas = 0;
  let metric = '';
  let invalid = 0;
  let first: MetricFailure | undefined;
  for (const [i, spec] of specs.entries()) {
    try {
      const p = await proposalFor(x, spec);
      statuses[i] = p.status;
      if (replicas === 0 || p.replicas > replicas) [replicas, metric] = [p.replicas, p.metric];
    } catch (err) {
      if (!(err instanceof MetricFailure)) throw err;
      first ??= err;
      invalid++;
    }
  }
  const error = first && new AutoscalerError(`invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${first.message}`);
  // A failed metric might have asked for more: never scale down on part of the picture.
  if (first && (invalid >= specs.length || replicas < x.specReplicas)) return { replicas: -1, metric: '', statuses, scalingActive: first.verdict, error };
  const scalingActive: Verdict = { status: 'True', reason: 'ValidMetricFound', message: `the HPA was able to successfully calculate a replica count from ${metric}` };
  return { replicas, metric, statuses, scalingActive, error };
}
