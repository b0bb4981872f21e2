import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPodSpec, validatePodSpec } from './podtemplate.ts';
import { messages } from './testkit.ts';

function check(containers: unknown[], extra: Record<string, unknown> = {}): string[] {
  const spec: Record<string, any> = { containers, ...extra };
  defaultPodSpec(spec);
  return messages(validatePodSpec(spec));
}

test('environment: names and sources', () => {
  assert.deepEqual(
    check([
      {
        name: 'a',
        image: 'a',
        env: [
          { name: '' },
          { name: 'A=B', value: 'x' },
          { name: 'FROM', value: 'x', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } },
          { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.hostname' } } },
        ],
      },
    ]),
    [
      'spec.containers[0].env[0].name: Required value',
      "spec.containers[0].env[1].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
      'spec.containers[0].env[2].valueFrom: Invalid value: "": may not be specified when `value` is not empty',
      'spec.containers[0].env[3].valueFrom.fieldRef.fieldPath: Unsupported value: "spec.hostname": supported values: "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"',
    ],
  );
});

test('probes: one handler, success threshold 1 for liveness', () => {
  assert.deepEqual(
    check([
      {
        name: 'a',
        image: 'a',
        livenessProbe: { successThreshold: 2, exec: { command: ['true'] } },
        readinessProbe: { tcpSocket: { port: 'http' }, httpGet: { port: 80 } },
        startupProbe: {},
      },
    ]),
    [
      'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
      'spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type',
      'spec.containers[0].startupProbe: Required value: must specify a handler type',
    ],
  );
});

test('init containers: probes only on sidecars, names shared with regular containers', () => {
  const errors = check([{ name: 'app', image: 'a' }], {
    initContainers: [
      { name: 'app', image: 'b', readinessProbe: { exec: { command: ['x'] } } },
      { name: 'sidecar', image: 'c', restartPolicy: 'Always', readinessProbe: { exec: { command: ['x'] } } },
    ],
  });
  assert.deepEqual(errors, [
    'spec.initContainers[0].name: Duplicate value: "app"',
    'spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
  ]);
});

test('resource quantities are rounded up to milli units and extended resources must be whole', () => {
  const spec: Record<string, any> = {
    containers: [{ name: 'a', image: 'a', resources: { limits: { cpu: '1n', 'example.com/gpu': '500m' }, requests: { memory: '-1' } } }],
  };
  defaultPodSpec(spec);
  assert.equal(spec.containers[0].resources.limits.cpu, '1m');
  assert.deepEqual(messages(validatePodSpec(spec)), [
    'spec.containers[0].resources.limits[example.com/gpu]: Invalid value: "500m": must be an integer',
    'spec.containers[0].resources.requests[memory]: Invalid value: "-1": must be greater than or equal to 0',
  ]);
});

test('volumes: unique names and one source each', () => {
  assert.deepEqual(
    check([{ name: 'a', image: 'a' }], {
      volumes: [
        { name: 'data', emptyDir: {}, hostPath: { path: '/x' } },
        { name: 'data', secret: {} },
      ],
    }),
    [
      'spec.volumes[0].emptyDir: Forbidden: may not specify more than 1 volume type',
      'spec.volumes[1].name: Duplicate value: "data"',
      'spec.volumes[1].secret.secretName: Required value',
    ],
  );
});
