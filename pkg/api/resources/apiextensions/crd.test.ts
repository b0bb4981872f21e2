import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../types.ts';
import { context, create, update } from '../test-helpers.ts';
import { customresourcedefinitions } from './crd.ts';

const strategy = customresourcedefinitions.strategy;

/** The CronTab example of the Kubernetes documentation. */
function cronTabs(): KObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'crontabs.stable.example.com' },
    spec: {
      group: 'stable.example.com',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { cronSpec: { type: 'string' }, replicas: { type: 'integer' } } } } } },
          subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
        },
      ],
      scope: 'Namespaced',
      names: { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', shortNames: ['ct'] },
    },
  };
}

test('CRD defaults and the recorded storage version', () => {
  const { obj, errors } = create(strategy, cronTabs());
  assert.deepEqual(errors, []);
  assert.equal(obj.spec.names.listKind, 'CronTabList');
  assert.deepEqual(obj.spec.conversion, { strategy: 'None' });
  assert.deepEqual(obj.status, { acceptedNames: { plural: '', kind: '' }, storedVersions: ['v1'] });
  const noSingular = cronTabs();
  delete noSingular.spec.names.singular;
  assert.equal(create(strategy, noSingular).obj.spec.names.singular, 'crontab');
});

test('CRD name, group, scope, versions and schema errors', () => {
  const crd = cronTabs();
  crd.metadata.name = 'crontabs';
  crd.spec.group = 'example';
  crd.spec.scope = 'Global';
  crd.spec.versions.push({ name: 'V2', served: true, storage: true });
  assert.deepEqual(create(strategy, crd).errors, [
    'metadata.name: Invalid value: "crontabs": must be spec.names.plural+"."+spec.group',
    'spec.group: Invalid value: "example": should be a domain with at least one dot',
    'spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"',
    `spec.versions[1].name: Invalid value: "V2": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
    'spec.versions[1].schema.openAPIV3Schema: Required value: schemas are required',
    `spec.versions: Invalid value: ${JSON.stringify(crd.spec.versions)}: must have exactly one version marked as storage version`,
    'status.storedVersions: Invalid value: {"name":"V2","served":true,"storage":true}: must have the storage version V2',
  ]);
});

test('adding a storage version keeps the old one in storedVersions; group and plural never change', () => {
  const old = create(strategy, cronTabs()).obj;
  const next = structuredClone(old);
  next.spec.versions[0].storage = false;
  next.spec.versions.push({ ...structuredClone(old.spec.versions[0]), name: 'v2', storage: true });
  const result = update(strategy, next, old);
  assert.deepEqual(result.errors, []);
  assert.deepEqual(result.obj.status.storedVersions, ['v1', 'v2']);

  const renamed = structuredClone(old);
  renamed.spec.names.plural = 'crons';
  renamed.metadata.name = 'crons.stable.example.com';
  assert.deepEqual(update(strategy, renamed, old).errors, ['spec.names.plural: Invalid value: "crons": field is immutable']);
});

test('status writes keep the spec; conversion webhooks need a client config', () => {
  const old = create(strategy, cronTabs()).obj;
  const status = structuredClone(old);
  status.spec.scope = 'Cluster';
  status.status.conditions = [{ type: 'Established', status: 'True' }];
  const result = update(strategy, status, old, context('status'));
  assert.equal(result.obj.spec.scope, 'Namespaced');
  assert.deepEqual(result.errors, []);
  const webhook = cronTabs();
  webhook.spec.conversion = { strategy: 'Webhook' };
  assert.deepEqual(create(strategy, webhook).errors, [
    'spec.conversion.webhook.clientConfig: Required value: required when strategy is set to Webhook',
    'spec.conversion.webhook.conversionReviewVersions: Invalid value: []: must include at least one of v1, v1beta1',
  ]);
});
