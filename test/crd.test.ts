/**
 * A CustomResourceDefinition and its custom resources through kubectl 1.33: the CRD becomes
 * Established, its resources are served (CRUD, printer columns, schema validation and
 * defaults, status and scale subresources, explain), and deleting it deletes them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterPerFile } from './lib/cluster.ts';

const { cluster, ok } = clusterPerFile();

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  scope: Namespaced
  names: {plural: crontabs, singular: crontab, kind: CronTab, shortNames: [ct]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}
    additionalPrinterColumns:
    - {name: Spec, type: string, jsonPath: .spec.cronSpec}
    - {name: Replicas, type: integer, jsonPath: .spec.replicas}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              cronSpec: {type: string, description: The cron schedule}
              image: {type: string}
              replicas: {type: integer, minimum: 1, default: 1}
          status:
            type: object
            properties:
              replicas: {type: integer}
`;

test('a CRD is established and its resources are served', async () => {
  assert.match(await ok(['apply', '-f', '-'], CRD), /customresourcedefinition.apiextensions.k8s.io\/crontabs.stable.example.com created/);
  await ok(['wait', '--for=condition=established', '--timeout=30s', 'crd/crontabs.stable.example.com']);
  assert.match(await ok(['api-resources', '--api-group=stable.example.com']), /crontabs\s+ct\s+stable.example.com\/v1\s+true\s+CronTab/);

  const cr = 'apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata:\n  name: nightly\nspec:\n  cronSpec: "0 3 * * *"\n  image: busybox\n';
  assert.match(await ok(['apply', '-f', '-'], cr), /crontab.stable.example.com\/nightly created/);
  assert.match(await ok(['get', 'ct']), /^NAME\s+SPEC\s+REPLICAS\s+AGE\nnightly\s+0 3 \* \* \*\s+1\s+/);
  assert.equal(await ok(['get', 'crontab', 'nightly', '-o', 'jsonpath={.spec.replicas}']), '1', 'the schema default applies');

  const invalid = await cluster().kubectl(['apply', '-f', '-'], { input: cr.replace('image: busybox', 'image: busybox\n  replicas: 0') });
  assert.notEqual(invalid.code, 0);
  assert.match(invalid.stderr, /spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1/);

  await ok(['scale', 'crontab', 'nightly', '--replicas=4']);
  assert.equal(await ok(['get', 'crontab', 'nightly', '-o', 'jsonpath={.spec.replicas}']), '4');
  assert.match(await ok(['explain', 'crontab.spec.cronSpec']), /The cron schedule/);
  const unknown = await cluster().kubectl(['apply', '-f', '-'], { input: cr.replace('image: busybox', 'image: busybox\n  colour: red') });
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /unknown field "spec.colour"/);
});

test('deleting the CRD deletes its resources', async () => {
  await ok(['delete', 'crd', 'crontabs.stable.example.com', '--timeout=30s']);
  const r = await cluster().kubectl(['get', 'crontabs']);
  assert.notEqual(r.code, 0);
  // kubectl words it by whether its discovery cache still knew the type.
  assert.match(r.stderr, /the server doesn't have a resource type "crontabs"|Unable to list "stable.example.com\/v1, Resource=crontabs": the server could not find the requested resource/);
});
