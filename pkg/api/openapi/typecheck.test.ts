import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpenApiSchemas } from './resolver.ts';
import { typeMismatch } from './typecheck.ts';

const schemas = new OpenApiSchemas();

function deployment(replicas: unknown, port: unknown = 80): unknown {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: port }], resources: { limits: { cpu: '1', memory: 1000 } } }] },
      },
    },
  };
}

test('a well-typed object has no mismatch (quantities as numbers, int-or-string ports included)', () => {
  assert.equal(typeMismatch(deployment(2), 'io.k8s.api.apps.v1.Deployment', schemas), undefined);
  const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80, targetPort: 'http' }, { port: 81, targetPort: 8081 }] } };
  assert.equal(typeMismatch(svc, 'io.k8s.api.core.v1.Service', schemas), undefined);
  assert.equal(typeMismatch({ ...deployment(null) as object }, 'io.k8s.api.apps.v1.Deployment', schemas), undefined, 'null fits anything, as in Go');
});

test('wrong types are reported in encoding/json words with the Go struct and field path', () => {
  assert.equal(typeMismatch(deployment('x'), 'io.k8s.api.apps.v1.Deployment', schemas), 'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32');
  assert.equal(typeMismatch(deployment(1.5), 'io.k8s.api.apps.v1.Deployment', schemas), 'json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32');
  assert.equal(typeMismatch(deployment(1, '80'), 'io.k8s.api.apps.v1.Deployment', schemas), 'json: cannot unmarshal string into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32');
  assert.equal(typeMismatch({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 1 } }, 'io.k8s.api.core.v1.ConfigMap', schemas), 'json: cannot unmarshal number into Go struct field ConfigMap.data of type string');
  assert.equal(typeMismatch({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: 'x' } }, 'io.k8s.api.core.v1.ConfigMap', schemas), 'json: cannot unmarshal string into Go struct field ObjectMeta.metadata.labels of type map[string]string');
});
