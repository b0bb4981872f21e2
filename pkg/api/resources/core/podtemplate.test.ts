import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorMessage } from '../../../apiserver/errors.ts';
import { defaultPodSpec, defaultPodTemplateSpec, imageTag, validatePodSpec, validatePodTemplateSpec } from './podtemplate.ts';

const messages = (errs: Parameters<typeof fieldErrorMessage>[0][]) => errs.map(fieldErrorMessage);

/** What `kubectl create deployment web --image=nginx --port=80` puts in the template. */
const deploymentTemplate = () => ({
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80 }], resources: {} }] },
});

test('image tags decide the pull policy', () => {
  assert.equal(imageTag('nginx'), 'latest');
  assert.equal(imageTag('nginx:1.27'), '1.27');
  assert.equal(imageTag('localhost:5000/app'), 'latest');
  assert.equal(imageTag('localhost:5000/app:v2'), 'v2');
  assert.equal(imageTag('busybox@sha256:abc'), '');
});

test('template defaults are the ones kubectl get -o yaml shows', () => {
  const t = deploymentTemplate();
  defaultPodTemplateSpec(t);
  assert.deepEqual(t.spec, {
    containers: [
      {
        name: 'nginx',
        image: 'nginx',
        imagePullPolicy: 'Always',
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        resources: {},
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
      },
    ],
    dnsPolicy: 'ClusterFirst',
    restartPolicy: 'Always',
    schedulerName: 'default-scheduler',
    securityContext: {},
    terminationGracePeriodSeconds: 30,
  });
  assert.deepEqual(validatePodTemplateSpec(t, 'spec.template'), []);
});

test('probes, volumes, quantities and host network get their defaults', () => {
  const spec: Record<string, any> = {
    hostNetwork: true,
    serviceAccount: 'builder',
    containers: [
      {
        name: 'app',
        image: 'app:1.0',
        ports: [{ containerPort: 8080 }],
        livenessProbe: { httpGet: { port: 8080 } },
        resources: { limits: { cpu: '1000m', memory: '1024Mi' }, requests: { cpu: '0.5' } },
        env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
      },
    ],
    volumes: [{ name: 'scratch' }, { name: 'conf', configMap: { name: 'app' } }],
  };
  defaultPodSpec(spec);
  const c = spec.containers[0];
  assert.equal(c.imagePullPolicy, 'IfNotPresent');
  assert.deepEqual(c.ports, [{ containerPort: 8080, protocol: 'TCP', hostPort: 8080 }]);
  assert.deepEqual(c.livenessProbe, { httpGet: { port: 8080, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  assert.deepEqual(c.resources, { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } });
  assert.equal(c.env[0].valueFrom.fieldRef.apiVersion, 'v1');
  assert.deepEqual(spec.volumes, [{ name: 'scratch', emptyDir: {} }, { name: 'conf', configMap: { name: 'app', defaultMode: 420 } }]);
  assert.equal(spec.serviceAccountName, 'builder');
  assert.deepEqual(validatePodSpec(spec), []);
});

test('validation messages for common mistakes', () => {
  const spec: Record<string, any> = {
    containers: [
      { name: 'web', image: '', ports: [{ containerPort: 70000, name: 'HTTP' }], volumeMounts: [{ name: 'missing', mountPath: '/data' }] },
      { name: 'web', image: 'nginx', resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } },
    ],
    restartPolicy: 'Sometimes',
    tolerations: [{ operator: 'Equal', value: 'x' }],
  };
  defaultPodSpec(spec);
  assert.deepEqual(messages(validatePodSpec(spec)), [
    'spec.containers[0].image: Required value',
    'spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
    'spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain at least one letter (a-z)',
    'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
    'spec.containers[0].volumeMounts[0].name: Not found: "missing"',
    'spec.containers[1].name: Duplicate value: "web"',
    'spec.containers[1].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
    'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
  ]);
  assert.deepEqual(messages(validatePodSpec({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' })), ['spec.containers: Required value']);
});

test('templates refuse ephemeral containers and report labels under the template path', () => {
  const t: Record<string, any> = deploymentTemplate();
  t.metadata.labels = { app: '-web' };
  t.spec.ephemeralContainers = [{ name: 'debug', image: 'busybox' }];
  defaultPodTemplateSpec(t);
  const text = messages(validatePodTemplateSpec(t, 'spec.template'));
  assert.match(text[0]!, /^spec\.template\.labels: Invalid value: "-web": a valid label must be/);
  assert.equal(text.at(-1), 'spec.template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template');
});

test('unparseable quantities are reported, not thrown', () => {
  const spec: Record<string, any> = { containers: [{ name: 'a', image: 'a', resources: { limits: { cpu: 'lots' } } }] };
  defaultPodSpec(spec);
  assert.deepEqual(messages(validatePodSpec(spec)), [
    "spec.containers[0].resources.limits[cpu]: Invalid value: \"lots\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
  ]);
});
