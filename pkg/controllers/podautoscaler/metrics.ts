/**
 * Where the HPA's figures come from, as upstream's REST metrics client: per-pod resource usage
 * from metrics.k8s.io (served by tsk's API server itself), read through the API with the
 * controller's own credentials; custom.metrics.k8s.io and external.metrics.k8s.io are asked
 * the way client-go asks them, and since tsk serves neither, the answer is the error a
 * Kubernetes cluster without those adapters gives.
 */
import type { KObject } from '../../api/types.ts';
import { parseQuantity, quantityMilliValue } from '../../api/validation/quantity.ts';
import type { Client } from '../../client/client.ts';
import { withQuery } from '../../client/paths.ts';
import { AutoscalerError, type PodMetrics } from './replicas.ts';

const CUSTOM_GROUP = 'custom.metrics.k8s.io';
const EXTERNAL_PATH = '/apis/external.metrics.k8s.io/v1beta1';

export interface MetricsClient {
  /** PodMetrics objects of the namespace's pods that `selector` (a label selector string) matches. */
  podMetrics(namespace: string, selector: string): Promise<KObject[]>;
  /** A Pods or Object metric's value; rejects with the custom metrics API's error. */
  customMetric(namespace: string, name: string): Promise<never>;
  /** An External metric's values; rejects with the external metrics API's error. */
  externalMetric(namespace: string, name: string, selector: string): Promise<never>;
}

export function apiMetricsClient(client: Client): MetricsClient {
  return {
    async podMetrics(namespace, selector) {
      const list = await client.list(`/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(namespace)}/pods`, { labelSelector: selector });
      return list.items;
    },
    async customMetric() {
      // client-go's custom metrics client first looks the group up in discovery.
      const groups = await client.request<{ groups?: { name: string }[] }>('GET', '/apis');
      if (!(groups.groups ?? []).some((g) => g.name === CUSTOM_GROUP)) throw new AutoscalerError(`no custom metrics API (${CUSTOM_GROUP}) registered`);
      throw new AutoscalerError(`the custom metrics API (${CUSTOM_GROUP}) is not supported by tsk`);
    },
    async externalMetric(namespace, name, selector) {
      await client.request('GET', withQuery(`${EXTERNAL_PATH}/namespaces/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`, { labelSelector: selector }));
      throw new AutoscalerError('the external metrics API (external.metrics.k8s.io) is not supported by tsk');
    },
  };
}

interface ContainerMetrics {
  name: string;
  usage?: Record<string, string>;
}

function metricOf(item: KObject, value: number): { timestampMs: number; windowMs: number; value: number } {
  return { timestampMs: Date.parse(String(item.timestamp ?? '')) || 0, windowMs: goDurationMs(String(item.window ?? '0s')), value };
}

/**
 * Each pod's usage of `resource` in milli-units: the sum over its containers (a pod missing
 * the figure for any container has none), or one container's when `container` is set.
 */
export function podMetricsOf(items: KObject[], resource: string, container = ''): PodMetrics {
  const result: PodMetrics = new Map();
  for (const item of items) {
    const containers = (item.containers ?? []) as ContainerMetrics[];
    if (container) {
      const c = containers.find((x) => x.name === container);
      if (!c) throw new AutoscalerError(`failed to get container metrics: container ${container} not present in metrics for pod ${item.metadata.namespace}/${item.metadata.name}`);
      const value = c.usage?.[resource];
      if (value !== undefined) result.set(item.metadata.name!, metricOf(item, quantityMilliValue(parseQuantity(value))));
      continue;
    }
    if (containers.length === 0) continue;
    let sum = 0;
    let complete = true;
    for (const c of containers) {
      const value = c.usage?.[resource];
      if (value === undefined) {
        complete = false;
        break;
      }
      sum += quantityMilliValue(parseQuantity(value));
    }
    if (complete) result.set(item.metadata.name!, metricOf(item, sum));
  }
  return result;
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration string ("1.5s", "1m0s") in milliseconds. */
export function goDurationMs(text: string): number {
  let total = 0;
  for (const m of text.matchAll(/([0-9.]+)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return total;
}
