import assert from 'node:assert/strict';
import { test } from 'node:test';
import { customResourceSchemas } from './crd.ts';
import { duplicateFields } from './duplicates.ts';
import {
  fieldValidationWarnings, strictBodyError, strictDecodingProblems, strictPatchError, unknownFields,
} from './fieldvalidation.ts';
import { OpenApiSchemas } from './resolver.ts';

const schemas = new OpenApiSchemas();

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' }, annotations: { 'a/b': 'c' }, ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u' }] },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a'] }] },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [{
          name: 'web',
          image: 'nginx:1.27',
          args: ['-g', 'daemon off;'],
          ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }],
          env: [{ name: 'A', value: '1' }, { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: 0.1 } },
          readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 },
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
          securityContext: { capabilities: { drop: ['ALL'] }, runAsNonRoot: true },
        }],
        volumes: [{ name: 'data', emptyDir: { sizeLimit: '1Gi' } }, { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'k', path: 'p' }] } }],
        affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname' } }] } },
        tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }],
        nodeSelector: { 'kubernetes.io/os': 'linux' },
      },
    },
  },
  status: { replicas: 3, conditions: [{ type: 'Available', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }] },
};

test('a realistic Deployment has no unknown fields', () => {
  assert.deepEqual(unknownFields(deployment, 'io.k8s.api.apps.v1.Deployment', schemas), []);
});

test('other realistic manifests have no unknown fields', () => {
  const service = {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 's' },
    spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }, { port: 443, targetPort: 'https', nodePort: 30443 }], type: 'NodePort' },
  };
  const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { 'any.key': 'v' }, binaryData: { b: 'AAE=' } };
  const revision = { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'r' }, revision: 1, data: { spec: { anything: { goes: 1 } } } };
  const managed = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm', managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {} } } }] } };
  assert.deepEqual(unknownFields(service, 'io.k8s.api.core.v1.Service', schemas), []);
  assert.deepEqual(unknownFields(configMap, 'io.k8s.api.core.v1.ConfigMap', schemas), []);
  assert.deepEqual(unknownFields(revision, 'io.k8s.api.apps.v1.ControllerRevision', schemas), []);
  assert.deepEqual(unknownFields(managed, 'io.k8s.api.core.v1.ConfigMap', schemas), []);
});

test('typos are reported with their full paths, in document order', () => {
  const bad = structuredClone(deployment) as Record<string, any>;
  bad.spec.foo = 1;
  bad.spec.template.spec.containers[0].imagee = 'x';
  bad.spec.template.spec.containers[0].ports[0].hostPortt = 1;
  bad.metadata.lables = {};
  bad.spec.bar = { nested: true };
  assert.deepEqual(unknownFields(bad, 'io.k8s.api.apps.v1.Deployment', schemas), [
    'metadata.lables',
    'spec.template.spec.containers[0].ports[0].hostPortt',
    'spec.template.spec.containers[0].imagee',
    'spec.foo',
    'spec.bar',
  ]);
});

test('custom resources honor preserve-unknown-fields and embedded resources', () => {
  schemas.setCustom(customResourceSchemas({
    group: 'stable.example.com', version: 'v1', kind: 'CronTab', listKind: 'CronTabList', plural: 'crontabs',
    openAPIV3Schema: {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            cron: { type: 'string' },
            free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { known: { type: 'object', properties: { a: { type: 'string' } } } } },
            template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object', properties: { x: { type: 'string' } } } } },
            labels: { type: 'object', additionalProperties: { type: 'string' } },
          },
        },
      },
    },
  }));
  const obj = {
    apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'c', labels: { a: 'b' } },
    spec: {
      cron: '* * * * *',
      free: { anything: 1, known: { a: 'x', b: 'unknown under a typed child' } },
      template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', bogus: 1 }, spec: { x: 'y', z: 1 } },
      labels: { whatever: 'v' },
      extra: true,
    },
  };
  assert.deepEqual(unknownFields(obj, 'com.example.stable.v1.CronTab', schemas), [
    'spec.free.known.b',
    'spec.template.metadata.bogus',
    'spec.template.spec.z',
    'spec.extra',
  ]);
  schemas.removeCustom(['com.example.stable.v1.CronTab', 'com.example.stable.v1.CronTabList']);
});

test('duplicate keys are found in the raw JSON with their paths', () => {
  const raw = '{"spec":{"replicas":1,"replicas":2,"template":{"spec":{"containers":[{"name":"a"},{"name":"b","name":"c"}]}}},"spec2":"x\\"y"}';
  assert.deepEqual(duplicateFields(raw), ['spec.replicas', 'spec.template.spec.containers[1].name']);
  assert.deepEqual(duplicateFields('{"a":1,"b":[1,2,{"c":{}}]}'), []);
  assert.deepEqual(duplicateFields('{"a":'), []);
});

test('strict decoding texts match Kubernetes', () => {
  const raw = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"dataa":{},"data":{},"data":{}}';
  const problems = strictDecodingProblems(JSON.parse(raw), 'io.k8s.api.core.v1.ConfigMap', schemas, raw);
  assert.deepEqual(problems, ['duplicate field "data"', 'unknown field "dataa"']);
  const err = strictBodyError('ConfigMap', 'v1', problems);
  assert.equal(err.code, 400);
  assert.equal(err.reason, 'BadRequest');
  assert.equal(err.message, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: duplicate field "data", unknown field "dataa"');
  const patchErr = strictPatchError('{"a":1}', ['unknown field "a"']).toStatus();
  assert.equal(patchErr.code, 422);
  assert.equal(patchErr.message, ' "" is invalid: patch: Invalid value: "{\\"a\\":1}": strict decoding error: unknown field "a"');
  assert.equal(patchErr.details?.causes?.[0]?.field, 'patch');
  assert.deepEqual(fieldValidationWarnings(['unknown field "spec.foo"']), ['299 - "unknown field \\"spec.foo\\""']);
});
