/**
 * OpenAPI definitions of metrics.k8s.io/v1beta1 (k8s.io/metrics' types), which metrics-server
 * publishes and client-node's built-in schemas lack: registered as custom definitions so the
 * group's OpenAPI document resolves and `kubectl explain nodemetrics` has something to say.
 */
import { SCHEMA_REF_PREFIX, type SchemaNode } from '../../schema.ts';
import { METRICS_GROUP, METRICS_VERSION } from './metrics.ts';

const PREFIX = 'io.k8s.metrics.pkg.apis.metrics.v1beta1.';
const META = `${SCHEMA_REF_PREFIX}io.k8s.apimachinery.pkg.apis.meta.v1.`;
const QUANTITY = `${SCHEMA_REF_PREFIX}io.k8s.apimachinery.pkg.api.resource.Quantity`;

const typeMeta: Record<string, SchemaNode> = {
  apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
  kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents. In CamelCase.' },
};

const usage = (description: string): SchemaNode => ({ type: 'object', description, additionalProperties: { $ref: QUANTITY } });

const window: Record<string, SchemaNode> = {
  timestamp: { allOf: [{ $ref: `${META}Time` }], description: 'The end of the interval [timestamp-window, timestamp] the figures were measured over.' },
  window: { type: 'string', description: 'The length of that interval, as a duration ("15.002s").' },
};

function kind(name: string, description: string, properties: Record<string, SchemaNode>, required: string[]): SchemaNode {
  return {
    type: 'object',
    description,
    required,
    properties: { ...typeMeta, metadata: { allOf: [{ $ref: `${META}ObjectMeta` }], description: "Standard object's metadata." }, ...properties },
    'x-kubernetes-group-version-kind': [{ group: METRICS_GROUP, version: METRICS_VERSION, kind: name }],
  };
}

function list(name: string, item: string, description: string): SchemaNode {
  return {
    type: 'object',
    description,
    required: ['items'],
    properties: { ...typeMeta, metadata: { allOf: [{ $ref: `${META}ListMeta` }], description: 'Standard list metadata.' }, items: { type: 'array', description: `List of ${item}.`, items: { $ref: `${SCHEMA_REF_PREFIX}${PREFIX}${name}` } } },
    'x-kubernetes-group-version-kind': [{ group: METRICS_GROUP, version: METRICS_VERSION, kind: `${name}List` }],
  };
}

export function metricsSchemas(): Record<string, SchemaNode> {
  return {
    [`${PREFIX}NodeMetrics`]: kind('NodeMetrics', 'NodeMetrics is the resource usage of a node: CPU as a rate over a window, memory as its working set.', {
      ...window,
      usage: usage('The node\'s usage: cpu in cores, memory the working set in bytes.'),
    }, ['timestamp', 'window', 'usage']),
    [`${PREFIX}NodeMetricsList`]: list('NodeMetrics', 'node metrics', 'NodeMetricsList is a list of NodeMetrics.'),
    [`${PREFIX}PodMetrics`]: kind('PodMetrics', 'PodMetrics is the resource usage of a pod\'s containers, all measured over the same window.', {
      ...window,
      containers: { type: 'array', description: 'The usage of each running container of the pod.', items: { $ref: `${SCHEMA_REF_PREFIX}${PREFIX}ContainerMetrics` } },
    }, ['timestamp', 'window', 'containers']),
    [`${PREFIX}PodMetricsList`]: list('PodMetrics', 'pod metrics', 'PodMetricsList is a list of PodMetrics.'),
    [`${PREFIX}ContainerMetrics`]: {
      type: 'object',
      description: 'ContainerMetrics is the resource usage of one container.',
      required: ['name', 'usage'],
      properties: {
        name: { type: 'string', description: 'The container\'s name, as in the pod\'s spec.containers.' },
        usage: usage('The container\'s usage: cpu in cores, memory the working set in bytes.'),
      },
    },
  };
}
