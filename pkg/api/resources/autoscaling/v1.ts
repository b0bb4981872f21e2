/**
 * autoscaling/v1 HorizontalPodAutoscaler as a view of the stored v2 object, converted the way
 * Kubernetes' autoscaling/v1 conversion does: the CPU utilization target maps to
 * targetCPUUtilizationPercentage, everything v1 cannot express rides in annotations
 * (other metrics and current metrics in v1's older metric shape, behavior, conditions).
 */
import type { KObject, ObjectMeta, ResourceDefinition } from '../../types.ts';
import { cpuUtilizationMetric, DEFAULT_CPU_UTILIZATION, horizontalpodautoscalersV2 } from './hpa.ts';
import type { Json } from '../common.ts';

export const METRIC_SPECS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
export const METRIC_STATUSES_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const BEHAVIOR_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';
export const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';

/** Drops undefined fields so converted objects compare and serialise cleanly. */
function compact<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

const valueType = (averageValue: unknown): string => (averageValue !== undefined && averageValue !== null ? 'AverageValue' : 'Value');

/** v1 (v2beta1-shaped) metric spec → v2 metric spec. */
function metricSpecToV2(m: Json): Json {
  const out: Json = { type: m.type };
  if (m.object) {
    const o = m.object;
    out.object = { describedObject: o.target, metric: compact({ name: o.metricName, selector: o.selector }), target: compact({ type: valueType(o.averageValue), value: o.targetValue, averageValue: o.averageValue }) };
  }
  if (m.pods) out.pods = { metric: compact({ name: m.pods.metricName, selector: m.pods.selector }), target: { type: 'AverageValue', averageValue: m.pods.targetAverageValue } };
  for (const kind of ['resource', 'containerResource']) {
    const r = m[kind];
    if (!r) continue;
    const target = r.targetAverageUtilization !== undefined && r.targetAverageUtilization !== null
      ? { type: 'Utilization', averageUtilization: r.targetAverageUtilization }
      : { type: 'AverageValue', averageValue: r.targetAverageValue };
    out[kind] = compact({ name: r.name, container: r.container, target });
  }
  if (m.external) {
    const e = m.external;
    out.external = { metric: compact({ name: e.metricName, selector: e.metricSelector }), target: compact({ type: valueType(e.targetAverageValue), value: e.targetValue, averageValue: e.targetAverageValue }) };
  }
  return out;
}

/** v2 metric spec → v1 (v2beta1-shaped) metric spec. */
function metricSpecToV1(m: Json): Json {
  const out: Json = { type: m.type };
  if (m.object) {
    const o = m.object;
    out.object = compact({ target: o.describedObject, metricName: o.metric?.name, targetValue: o.target?.value, selector: o.metric?.selector, averageValue: o.target?.averageValue });
  }
  if (m.pods) out.pods = compact({ metricName: m.pods.metric?.name, targetAverageValue: m.pods.target?.averageValue, selector: m.pods.metric?.selector });
  for (const kind of ['resource', 'containerResource']) {
    const r = m[kind];
    if (r) out[kind] = compact({ name: r.name, targetAverageUtilization: r.target?.averageUtilization, targetAverageValue: r.target?.averageValue, container: r.container });
  }
  if (m.external) {
    const e = m.external;
    out.external = compact({ metricName: e.metric?.name, metricSelector: e.metric?.selector, targetValue: e.target?.value, targetAverageValue: e.target?.averageValue });
  }
  return out;
}

function metricStatusToV2(m: Json): Json {
  const out: Json = { type: m.type };
  if (m.object) {
    const o = m.object;
    out.object = { describedObject: o.target, metric: compact({ name: o.metricName, selector: o.selector }), current: compact({ value: o.currentValue, averageValue: o.averageValue }) };
  }
  if (m.pods) out.pods = { metric: compact({ name: m.pods.metricName, selector: m.pods.selector }), current: { averageValue: m.pods.currentAverageValue } };
  for (const kind of ['resource', 'containerResource']) {
    const r = m[kind];
    if (r) out[kind] = compact({ name: r.name, container: r.container, current: compact({ averageUtilization: r.currentAverageUtilization, averageValue: r.currentAverageValue }) });
  }
  if (m.external) {
    const e = m.external;
    out.external = { metric: compact({ name: e.metricName, selector: e.metricSelector }), current: compact({ value: e.currentValue, averageValue: e.currentAverageValue }) };
  }
  return out;
}

function metricStatusToV1(m: Json): Json {
  const out: Json = { type: m.type };
  if (m.object) {
    const o = m.object;
    out.object = compact({ target: o.describedObject, metricName: o.metric?.name, currentValue: o.current?.value, selector: o.metric?.selector, averageValue: o.current?.averageValue });
  }
  if (m.pods) out.pods = compact({ metricName: m.pods.metric?.name, currentAverageValue: m.pods.current?.averageValue, selector: m.pods.metric?.selector });
  for (const kind of ['resource', 'containerResource']) {
    const r = m[kind];
    if (r) out[kind] = compact({ name: r.name, currentAverageUtilization: r.current?.averageUtilization, currentAverageValue: r.current?.averageValue, container: r.container });
  }
  if (m.external) {
    const e = m.external;
    out.external = compact({ metricName: e.metric?.name, metricSelector: e.metric?.selector, currentValue: e.current?.value, currentAverageValue: e.current?.averageValue });
  }
  return out;
}

const isCpuUtilization = (m: Json): boolean =>
  m?.type === 'Resource' && m.resource?.name === 'cpu' && m.resource?.target?.averageUtilization !== undefined && m.resource?.target?.averageUtilization !== null;

/** Reads and removes a JSON annotation; a value that does not parse stays, as in Kubernetes. */
function takeAnnotation(annotations: Record<string, string>, key: string): Json | undefined {
  const text = annotations[key];
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text);
    delete annotations[key];
    return value;
  } catch {
    return undefined;
  }
}

export function hpaV1ToV2(v1: KObject): KObject {
  const annotations: Record<string, string> = { ...v1.metadata.annotations };
  const spec = v1.spec ?? {};
  const metrics: Json[] = [];
  const others = takeAnnotation(annotations, METRIC_SPECS_ANNOTATION);
  if (Array.isArray(others)) metrics.push(...others.map(metricSpecToV2));
  if (spec.targetCPUUtilizationPercentage !== undefined && spec.targetCPUUtilizationPercentage !== null) {
    metrics.push(cpuUtilizationMetric(spec.targetCPUUtilizationPercentage));
  }
  // v1 always had an implicit CPU target; v2 states it.
  if (metrics.length === 0) metrics.push(cpuUtilizationMetric(DEFAULT_CPU_UTILIZATION));
  const behavior = takeAnnotation(annotations, BEHAVIOR_ANNOTATION);
  const status = v1.status ?? {};
  let currentMetrics: Json[] | undefined;
  if (status.currentCPUUtilizationPercentage !== undefined && status.currentCPUUtilizationPercentage !== null) {
    currentMetrics = [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } } }];
  }
  const statuses = takeAnnotation(annotations, METRIC_STATUSES_ANNOTATION);
  if (Array.isArray(statuses)) currentMetrics = statuses.map(metricStatusToV2);
  const conditions = takeAnnotation(annotations, CONDITIONS_ANNOTATION);
  const metadata: ObjectMeta = { ...v1.metadata, annotations };
  if (Object.keys(annotations).length === 0) delete metadata.annotations;
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata,
    spec: compact({
      scaleTargetRef: spec.scaleTargetRef,
      minReplicas: spec.minReplicas,
      maxReplicas: spec.maxReplicas,
      metrics,
      behavior: behavior && typeof behavior === 'object' && Object.keys(behavior).length > 0 ? behavior : undefined,
    }),
    status: compact({
      observedGeneration: status.observedGeneration,
      lastScaleTime: status.lastScaleTime,
      // v2 omits a zero currentReplicas; v1 always shows it.
      currentReplicas: status.currentReplicas || undefined,
      desiredReplicas: status.desiredReplicas ?? 0,
      currentMetrics,
      conditions: Array.isArray(conditions) ? conditions : undefined,
    }),
  };
}

export function hpaV2ToV1(v2: KObject): KObject {
  const spec = v2.spec ?? {};
  const status = v2.status ?? {};
  const metrics: Json[] = spec.metrics ?? [];
  const cpu = metrics.find(isCpuUtilization);
  const others = metrics.filter((m) => !isCpuUtilization(m)).map(metricSpecToV1);
  const currentMetrics: Json[] = status.currentMetrics ?? [];
  const currentCpu = currentMetrics.find((m) => m?.type === 'Resource' && m.resource?.name === 'cpu')?.resource?.current?.averageUtilization;
  const conditions: Json[] = status.conditions ?? [];
  const annotations: Record<string, string> = { ...v2.metadata.annotations };
  if (others.length > 0) annotations[METRIC_SPECS_ANNOTATION] = JSON.stringify(others);
  if (currentMetrics.length > 0) annotations[METRIC_STATUSES_ANNOTATION] = JSON.stringify(currentMetrics.map(metricStatusToV1));
  if (spec.behavior) annotations[BEHAVIOR_ANNOTATION] = JSON.stringify(spec.behavior);
  if (conditions.length > 0) annotations[CONDITIONS_ANNOTATION] = JSON.stringify(conditions);
  const metadata: ObjectMeta = { ...v2.metadata, annotations };
  if (Object.keys(annotations).length === 0) delete metadata.annotations;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata,
    spec: compact({
      scaleTargetRef: spec.scaleTargetRef,
      minReplicas: spec.minReplicas,
      maxReplicas: spec.maxReplicas,
      targetCPUUtilizationPercentage: cpu?.resource?.target?.averageUtilization,
    }),
    status: compact({
      observedGeneration: status.observedGeneration,
      lastScaleTime: status.lastScaleTime,
      currentReplicas: status.currentReplicas ?? 0,
      desiredReplicas: status.desiredReplicas ?? 0,
      currentCPUUtilizationPercentage: currentCpu,
    }),
  };
}

export const horizontalpodautoscalersV1: ResourceDefinition = {
  ...horizontalpodautoscalersV2,
  version: 'v1',
  schema: 'io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler',
  conversion: { toStored: hpaV1ToV2, fromStored: hpaV2ToV1 },
  preferred: false,
};
