/**
 * metrics.k8s.io/v1beta1 served by the API server itself, as metrics-server would serve it
 * behind an APIService: NodeMetrics and PodMetrics for the nodes and pods the watch cache
 * holds, from their kubelets' /metrics/resource, reached with the API server's kubelet-client
 * certificate exactly as logs and exec are (handlers/kubeletproxy.ts). tsk has no API
 * aggregation and no separate metrics-server to run on an edge device, so the kinds are
 * entries of the resource table (routes, discovery, RBAC and tables come from it) marked
 * virtual, answered by the read-only handlers made here. Objects, errors and their words are
 * metrics-server's (its storage and REST handlers), so `kubectl top` reads them unchanged.
 */
import { METRICS_GROUP, METRICS_VERSION } from '../../api/resources/metrics/metrics.ts';
import type { KObject } from '../../api/types.ts';
import { apiErrors } from '../errors.ts';
import { virtualKey, type ApiContext, type ReadOnlyHandler, type Scope } from '../handlers/context.ts';
import { getFromKubelet, kubeletTarget, SIMULATED_RUNTIME } from '../handlers/kubeletproxy.ts';
import { matches, parseFilter } from '../handlers/list.ts';
import { storageKey, storagePrefix } from '../storage/codec.ts';
import { decodeResourceMetrics, type NodeScrape } from './decode.ts';
import { ResourceMetricsSource } from './source.ts';
import { goDuration, metaTime, nodeUsage, podUsage, usageQuantities, type ScrapePair } from './usage.ts';

/** metrics-server's default kubelet request timeout. */
const SCRAPE_TIMEOUT_MS = 10_000;
const API_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;

function coreObjects(ctx: ApiContext, plural: 'nodes' | 'pods') {
  const def = ctx.table.get('', 'v1', plural);
  if (!def) throw apiErrors.internal(`the table serves no ${plural}`);
  return {
    get: (namespace: string, name: string): KObject | undefined => ctx.cache.get(def.storagePath, storageKey(def, namespace, name))?.obj,
    list: (namespace: string): KObject[] => ctx.cache.list(def.storagePath, namespace ? storagePrefix(def, namespace) : undefined).map((c) => c.obj),
  };
}

async function scrapeNode(ctx: ApiContext, name: string): Promise<NodeScrape> {
  if (!ctx.kubelet) throw new Error('the API server has no kubelet client credentials');
  const node = coreObjects(ctx, 'nodes').get('', name);
  if (!node) throw new Error(`node ${name} is gone`);
  if (String(node.status?.nodeInfo?.containerRuntimeVersion ?? '').startsWith(SIMULATED_RUNTIME)) throw new Error('a simulated node has no kubelet');
  const text = await getFromKubelet(kubeletTarget(node, ctx.kubelet), '/metrics/resource', SCRAPE_TIMEOUT_MS);
  return decodeResourceMetrics(text, Date.now());
}

function withLabels(meta: Record<string, unknown>, labels: Record<string, string> | undefined): Record<string, unknown> {
  return labels && Object.keys(labels).length > 0 ? { ...meta, labels } : meta;
}

export function nodeMetricsObject(node: KObject, pair: ScrapePair | undefined, now: number): KObject | undefined {
  const usage = pair && nodeUsage(pair);
  if (!usage) return undefined;
  return {
    kind: 'NodeMetrics',
    apiVersion: API_VERSION,
    metadata: withLabels({ name: node.metadata.name, creationTimestamp: metaTime(now) }, node.metadata.labels),
    timestamp: metaTime(usage.timestampMs),
    window: goDuration(usage.windowMs),
    usage: usageQuantities(usage),
  };
}

export function podMetricsObject(pod: KObject, pair: ScrapePair | undefined, now: number): KObject | undefined {
  const { name, namespace } = pod.metadata;
  const usage = pair && podUsage(pair, `${namespace}/${name}`);
  if (!usage) return undefined;
  return {
    kind: 'PodMetrics',
    apiVersion: API_VERSION,
    metadata: withLabels({ name, namespace, creationTimestamp: metaTime(now) }, pod.metadata.labels),
    timestamp: metaTime(usage.timestampMs),
    window: goDuration(usage.windowMs),
    containers: usage.containers.map((c) => ({ name: c.name, usage: usageQuantities(c.usage) })),
  };
}

/** Pairs of every node named, scraped side by side. */
async function pairsOf(source: ResourceMetricsSource, nodes: string[]): Promise<Map<string, ScrapePair | undefined>> {
  const unique = [...new Set(nodes)];
  const pairs = await Promise.all(unique.map((n) => source.pair(n)));
  return new Map(unique.map((n, i) => [n, pairs[i]]));
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const present = <T>(v: T | undefined): v is T => v !== undefined;

export function metricsHandlers(ctx: ApiContext, source = new ResourceMetricsSource({ scrape: (node) => scrapeNode(ctx, node) })): Map<string, ReadOnlyHandler> {
  const nodes: ReadOnlyHandler = {
    async get(scope: Scope) {
      const name = scope.info.name;
      // metrics-server's node lister words its NotFound with the singular.
      const node = coreObjects(ctx, 'nodes').get('', name);
      if (!node) throw apiErrors.notFound({ group: '', resource: 'node' }, name);
      const found = nodeMetricsObject(node, await source.pair(name), Date.now());
      if (!found) throw apiErrors.notFound({ group: METRICS_GROUP, resource: 'nodemetrics' }, name);
      return found;
    },
    async list(scope: Scope) {
      const filter = parseFilter(scope);
      const selected = coreObjects(ctx, 'nodes').list('').filter((n) => matches(scope.def, filter, n));
      const pairs = await pairsOf(source, selected.map((n) => n.metadata.name!));
      const now = Date.now();
      return selected
        .map((n) => nodeMetricsObject(n, pairs.get(n.metadata.name!), now))
        .filter(present)
        .sort((a, b) => byText(a.metadata.name!, b.metadata.name!));
    },
  };
  const pods: ReadOnlyHandler = {
    async get(scope: Scope) {
      const { namespace, name } = scope.info;
      const pod = coreObjects(ctx, 'pods').get(namespace, name);
      if (!pod) throw apiErrors.notFound({ group: '', resource: 'pods' }, name);
      const node = pod.spec?.nodeName as string | undefined;
      const found = node ? podMetricsObject(pod, await source.pair(node), Date.now()) : undefined;
      if (!found) throw apiErrors.notFound({ group: METRICS_GROUP, resource: 'podmetrics' }, `${namespace}/${name}`);
      return found;
    },
    async list(scope: Scope) {
      const filter = parseFilter(scope);
      const selected = coreObjects(ctx, 'pods').list(filter.namespace).filter((p) => p.spec?.nodeName && matches(scope.def, filter, p));
      const pairs = await pairsOf(source, selected.map((p) => p.spec.nodeName as string));
      const now = Date.now();
      const order = (a: KObject, b: KObject) => byText(a.metadata.namespace!, b.metadata.namespace!) || byText(a.metadata.name!, b.metadata.name!);
      return selected
        .map((p) => podMetricsObject(p, pairs.get(p.spec.nodeName), now))
        .filter(present)
        .sort(order);
    },
  };
  return new Map([
    [virtualKey(METRICS_GROUP, METRICS_VERSION, 'nodes', ''), nodes],
    [virtualKey(METRICS_GROUP, METRICS_VERSION, 'pods', ''), pods],
  ]);
}
