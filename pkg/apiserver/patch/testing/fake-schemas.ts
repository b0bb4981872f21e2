/**
 * A small hand-written slice of the Kubernetes OpenAPI (Pod and Deployment shapes) with the
 * patch and list extensions the real schema carries, for unit tests of the patch kinds.
 */
import type { SchemaNode, SchemaResolver } from '../../../api/schema.ts';
import { SCHEMA_REF_PREFIX } from '../../../api/schema.ts';

const ref = (name: string): SchemaNode => ({ $ref: `${SCHEMA_REF_PREFIX}${name}` });
const str: SchemaNode = { type: 'string' };
const int: SchemaNode = { type: 'integer', format: 'int32' };
const stringMap: SchemaNode = { type: 'object', additionalProperties: str };
/** A list of maps keyed by `keys`, merged by its first key (the shape of containers, env, ports). */
const keyedList = (item: string, keys: string[], strategy = 'merge'): SchemaNode => ({
  type: 'array', items: ref(item),
  'x-kubernetes-list-map-keys': keys, 'x-kubernetes-list-type': 'map',
  'x-kubernetes-patch-merge-key': keys[0], 'x-kubernetes-patch-strategy': strategy,
});

const definitions: Record<string, SchemaNode> = {
  ObjectMeta: {
    type: 'object',
    properties: {
      name: str, namespace: str, uid: str, resourceVersion: str, generation: { type: 'integer' },
      creationTimestamp: str, labels: stringMap, annotations: stringMap,
      finalizers: { type: 'array', items: str, 'x-kubernetes-list-type': 'set', 'x-kubernetes-patch-strategy': 'merge' },
      ownerReferences: keyedList('OwnerReference', ['uid']),
      managedFields: { type: 'array', items: { type: 'object' } },
    },
  },
  OwnerReference: { type: 'object', properties: { apiVersion: str, kind: str, name: str, uid: str, controller: { type: 'boolean' } } },
  Pod: {
    type: 'object',
    properties: { apiVersion: str, kind: str, metadata: { allOf: [ref('ObjectMeta')], default: {} }, spec: { allOf: [ref('PodSpec')], default: {} }, status: { allOf: [ref('PodStatus')], default: {} } },
    'x-kubernetes-group-version-kind': [{ group: '', version: 'v1', kind: 'Pod' }],
  },
  PodStatus: { type: 'object', properties: { phase: str, podIP: str } },
  PodSpec: {
    type: 'object',
    properties: {
      containers: keyedList('Container', ['name']),
      volumes: keyedList('Volume', ['name'], 'merge,retainKeys'),
      nodeSelector: { ...stringMap, 'x-kubernetes-map-type': 'atomic' },
      restartPolicy: str, dnsPolicy: str, terminationGracePeriodSeconds: { type: 'integer' },
      tolerations: { type: 'array', items: { type: 'object', properties: { key: str, operator: str, effect: str } }, 'x-kubernetes-list-type': 'atomic' },
    },
  },
  Container: {
    type: 'object',
    properties: {
      name: str, image: str, imagePullPolicy: str, args: { type: 'array', items: str, 'x-kubernetes-list-type': 'atomic' },
      env: keyedList('EnvVar', ['name']),
      ports: keyedList('ContainerPort', ['containerPort', 'protocol']),
      resources: { type: 'object', properties: { limits: stringMap, requests: stringMap } },
    },
  },
  EnvVar: { type: 'object', properties: { name: str, value: str } },
  ContainerPort: { type: 'object', properties: { containerPort: int, name: str, protocol: { type: 'string', default: 'TCP' } } },
  Volume: {
    type: 'object',
    properties: {
      name: str,
      emptyDir: { type: 'object', properties: { medium: str } },
      hostPath: { type: 'object', properties: { path: str, type: str } },
      configMap: { type: 'object', properties: { name: str } },
    },
  },
  Deployment: {
    type: 'object',
    properties: { apiVersion: str, kind: str, metadata: { allOf: [ref('ObjectMeta')], default: {} }, spec: { allOf: [ref('DeploymentSpec')], default: {} }, status: { type: 'object', properties: { replicas: int }, default: {} } },
    'x-kubernetes-group-version-kind': [{ group: 'apps', version: 'v1', kind: 'Deployment' }],
  },
  DeploymentSpec: {
    type: 'object',
    properties: {
      replicas: int,
      paused: { type: 'boolean' },
      selector: ref('LabelSelector'),
      template: { type: 'object', properties: { metadata: { allOf: [ref('ObjectMeta')], default: {} }, spec: { allOf: [ref('PodSpec')], default: {} } }, default: {} },
      strategy: {
        type: 'object', default: {},
        properties: { type: str, rollingUpdate: { type: 'object', properties: { maxSurge: { 'x-kubernetes-int-or-string': true } } } },
        'x-kubernetes-patch-strategy': 'retainKeys',
      },
    },
  },
  LabelSelector: { type: 'object', properties: { matchLabels: stringMap }, 'x-kubernetes-map-type': 'atomic' },
  ConfigMap: {
    type: 'object',
    properties: { apiVersion: str, kind: str, metadata: { allOf: [ref('ObjectMeta')], default: {} }, data: stringMap },
  },
};

/** Resolves `$ref` and single-element `allOf`, keeping the outer node's extensions. */
export const fakeResolver: SchemaResolver = {
  definition: (name) => definitions[name],
  resolve(node) {
    let target: SchemaNode | undefined;
    if (node.$ref) target = definitions[node.$ref.slice(SCHEMA_REF_PREFIX.length)];
    else if (node.allOf?.length === 1 && node.allOf[0]!.$ref) target = definitions[node.allOf[0]!.$ref.slice(SCHEMA_REF_PREFIX.length)];
    if (!target) return node;
    const { $ref: _r, allOf: _a, ...outer } = node;
    return { ...target, ...outer };
  },
};
