/**
 * HorizontalPodAutoscaler (TARGETS as "cpu: 40%/80%", at most two metrics then "+ N more...")
 * PodDisruptionBudget and the scale subresource. autoscaling/v1 objects are read through their v2 equivalent, as
 * Kubernetes prints its internal (v2-shaped) type for both versions.
 */
import type { KObject } from '../types.ts';
import { ageColumn, ageOf, col, int, nameColumn, nameOf, printer, str } from './columns.ts';
import { doc } from './descriptions.ts';
import { quantityString } from './quantity.ts';

interface MetricTarget {
  averageUtilization?: number;
  averageValue?: string;
  value?: string;
}

interface MetricSource {
  name?: string;
  target?: MetricTarget;
  current?: MetricTarget;
}

interface Metric {
  type?: string;
  resource?: MetricSource;
  containerResource?: MetricSource;
  pods?: MetricSource;
  object?: MetricSource;
  external?: MetricSource;
}

/** Quantity.String() of a pointer field: Go prints a nil quantity as "<nil>". */
function q(value: string | undefined): string {
  return value === undefined || value === null ? '<nil>' : quantityString(value);
}

function percent(value: number | undefined): string | undefined {
  return typeof value === 'number' ? `${value}%` : undefined;
}

/** autoscaling/v1 keeps one CPU target; Kubernetes converts it to a v2 Resource metric. */
function metricsOf(hpa: KObject): { specs: Metric[]; statuses: Metric[] } {
  if (Array.isArray(hpa.spec?.metrics) || hpa.spec?.targetCPUUtilizationPercentage === undefined) {
    return { specs: hpa.spec?.metrics ?? [], statuses: hpa.status?.currentMetrics ?? [] };
  }
  const specs = [{ type: 'Resource', resource: { name: 'cpu', target: { averageUtilization: hpa.spec.targetCPUUtilizationPercentage } } }];
  const current = hpa.status?.currentCPUUtilizationPercentage;
  const statuses =
    typeof current === 'number' ? [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: current } } }] : [];
  return { specs, statuses };
}

/** Object and External metrics: a value target, or an average one marked "(avg)". */
function valueMetric(spec: MetricSource | undefined, status: MetricSource | undefined): string {
  if (spec?.target?.averageValue !== undefined) {
    const current = status?.current?.averageValue !== undefined ? q(status.current.averageValue) : '<unknown>';
    return `${current}/${q(spec.target.averageValue)} (avg)`;
  }
  const current = status ? q(status.current?.value) : '<unknown>';
  return `${current}/${q(spec?.target?.value)}`;
}

/** Resource and ContainerResource metrics: "cpu: 40%/80%" or "memory: 100Mi/200Mi". */
function resourceMetric(spec: MetricSource | undefined, status: MetricSource | undefined): string {
  const name = spec?.name ?? '';
  if (spec?.target?.averageValue !== undefined) {
    const current = status ? q(status.current?.averageValue) : '<unknown>';
    return `${name}: ${current}/${q(spec.target.averageValue)}`;
  }
  const current = percent(status?.current?.averageUtilization) ?? '<unknown>';
  const target = percent(spec?.target?.averageUtilization) ?? '<auto>';
  return `${name}: ${current}/${target}`;
}

function formatMetric(spec: Metric, status: Metric | undefined): string {
  switch (spec.type) {
    case 'External':
      return valueMetric(spec.external, status?.external);
    case 'Object':
      return valueMetric(spec.object, status?.object);
    case 'Pods': {
      const current = status?.pods ? q(status.pods.current?.averageValue) : '<unknown>';
      return `${current}/${q(spec.pods?.target?.averageValue)}`;
    }
    case 'Resource':
      return resourceMetric(spec.resource, status?.resource);
    case 'ContainerResource':
      return resourceMetric(spec.containerResource, status?.containerResource);
    default:
      return '<unknown type>';
  }
}

export function formatHpaTargets(hpa: KObject): string {
  const { specs, statuses } = metricsOf(hpa);
  if (specs.length === 0) return '<none>';
  const max = 2;
  const list = specs.map((spec, i) => formatMetric(spec, statuses[i]));
  if (list.length > max) return `${list.slice(0, max).join(', ')} + ${list.length - max} more...`;
  return list.join(', ');
}

export const horizontalPodAutoscalerPrinter = printer(
  [
    nameColumn,
    col('Reference', doc.hpaRef),
    col('Targets', doc.hpaMetrics),
    col('MinPods', doc.hpaMin),
    col('MaxPods', doc.hpaMax),
    col('Replicas', doc.hpaCurrent),
    ageColumn,
  ],
  (hpa, now) => [
    nameOf(hpa),
    `${str(hpa.spec?.scaleTargetRef?.kind)}/${str(hpa.spec?.scaleTargetRef?.name)}`,
    formatHpaTargets(hpa),
    typeof hpa.spec?.minReplicas === 'number' ? String(hpa.spec.minReplicas) : '<unset>',
    int(hpa.spec?.maxReplicas),
    int(hpa.status?.currentReplicas),
    ageOf(hpa, now),
  ],
);

function intOrString(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value;
  return 'N/A';
}

export const podDisruptionBudgetPrinter = printer(
  [
    nameColumn,
    col('Min Available', 'The minimum number of pods that must be available.'),
    col('Max Unavailable', 'The maximum number of pods that may be unavailable.'),
    col('Allowed Disruptions', 'Calculated number of pods that may be disrupted at this time.', 'integer'),
    ageColumn,
  ],
  (pdb, now) => [
    nameOf(pdb),
    intOrString(pdb.spec?.minAvailable),
    intOrString(pdb.spec?.maxUnavailable),
    int(pdb.status?.disruptionsAllowed),
    ageOf(pdb, now),
  ],
);

/** `kubectl get --subresource=scale`: Kubernetes gives this Name column no "name" format. */
export const scalePrinter = printer(
  [
    { ...nameColumn, format: '' },
    col('Desired', doc.scaleSpecReplicas, 'integer'),
    col('Available', doc.scaleStatusReplicas, 'integer'),
    ageColumn,
  ],
  (scale, now) => [nameOf(scale), int(scale.spec?.replicas), int(scale.status?.replicas), ageOf(scale, now)],
);
