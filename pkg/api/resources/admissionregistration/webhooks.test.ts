import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../types.ts';
import { create } from '../test-helpers.ts';
import { admissionRegistrationResources } from './webhooks.ts';

const [mutating, validating] = admissionRegistrationResources();

function config(): KObject {
  return {
    metadata: { name: 'policy' },
    webhooks: [
      {
        name: 'check.example.com',
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        clientConfig: { service: { namespace: 'default', name: 'hook' } },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
      },
    ],
  };
}

test('webhook defaults as Kubernetes applies them', () => {
  const { obj, errors } = create(mutating!.strategy, config());
  assert.deepEqual(errors, []);
  const hook = obj.webhooks[0];
  assert.deepEqual(
    [hook.failurePolicy, hook.matchPolicy, hook.namespaceSelector, hook.objectSelector, hook.timeoutSeconds, hook.reinvocationPolicy, hook.rules[0].scope, hook.clientConfig.service.port],
    ['Fail', 'Equivalent', {}, {}, 10, 'Never', '*', 443],
  );
  assert.equal(create(validating!.strategy, config()).obj.webhooks[0].reinvocationPolicy, undefined);
  assert.deepEqual(mutating!.categories, ['api-extensions']);
});

test('webhook validation: names, side effects, review versions, client config, timeouts', () => {
  const c = config();
  c.webhooks[0] = { name: 'check', timeoutSeconds: 60, clientConfig: { url: 'http://x.example.com/' }, rules: [] };
  c.webhooks.push({ ...structuredClone(config().webhooks[0]), name: 'check' });
  assert.deepEqual(create(validating!.strategy, c).errors, [
    'webhooks[0].name: Invalid value: "check": should be a domain with at least three segments separated by dots',
    'webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun',
    'webhooks[0].timeoutSeconds: Invalid value: 60: the timeout value must be between 1 and 30 seconds',
    'webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1',
    'webhooks[0].clientConfig.url: Invalid value: "http://x.example.com/": \'https\' is the only allowed URL scheme',
    'webhooks[1].name: Invalid value: "check": should be a domain with at least three segments separated by dots',
    'webhooks[1].name: Duplicate value: "check"',
  ]);
});
