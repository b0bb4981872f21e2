import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../types.ts';
import { podGracePeriodSeconds, podResource, podQOSClass, POD_UPDATE_FORBIDDEN } from './pod.ts';
import { ctx, messages } from './testkit.ts';

const { strategy } = podResource();

/** What `kubectl run web --image=nginx` sends. */
const runPod = (): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', labels: { run: 'web' } },
  spec: { containers: [{ name: 'web', image: 'nginx', resources: {} }], dnsPolicy: 'ClusterFirst', restartPolicy: 'Always' },
  status: {},
});

function create(pod: KObject): KObject {
  strategy.defaults!(pod);
  void strategy.prepareForCreate!(pod, ctx());
  return pod;
}

test('a kubectl run pod gets the defaults and status Kubernetes gives it', () => {
  const pod = create(runPod());
  assert.deepEqual(strategy.validate!(pod, ctx()), []);
  assert.equal(pod.spec.containers[0].imagePullPolicy, 'Always');
  assert.equal(pod.spec.containers[0].terminationMessagePath, '/dev/termination-log');
  assert.equal(pod.spec.containers[0].terminationMessagePolicy, 'File');
  assert.equal(pod.spec.enableServiceLinks, true);
  assert.equal(pod.spec.schedulerName, 'default-scheduler');
  assert.equal(pod.spec.serviceAccountName, 'default');
  assert.equal(pod.spec.serviceAccount, 'default');
  assert.equal(pod.spec.terminationGracePeriodSeconds, 30);
  assert.equal(pod.spec.priority, undefined, 'priority is the Priority admission plugin\'s');
  assert.deepEqual(pod.spec.securityContext, {});
  assert.deepEqual(pod.status, { phase: 'Pending', qosClass: 'BestEffort' });
  assert.equal(strategy.gracefulDeletion, true);
});

test('requests default to limits, and QoS follows Kubernetes rules', () => {
  const pod = runPod();
  pod.spec.containers[0].resources = { limits: { cpu: '500m', memory: '128Mi' } };
  create(pod);
  assert.deepEqual(pod.spec.containers[0].resources.requests, { cpu: '500m', memory: '128Mi' });
  assert.equal(pod.status.qosClass, 'Guaranteed');
  assert.equal(podQOSClass({ containers: [{ resources: { requests: { cpu: '100m' } } }] }), 'Burstable');
  assert.equal(podQOSClass({ containers: [{ resources: { limits: { cpu: '1' }, requests: { cpu: '1' } } }] }), 'Burstable');
  assert.equal(podQOSClass({ containers: [{}, { resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } } }] }), 'Burstable');
});

test('pod updates: images may change, other spec fields may not', () => {
  const old = create(runPod());
  const changedImage = structuredClone(old);
  changedImage.spec.containers[0].image = 'nginx:1.27';
  void strategy.prepareForUpdate!(changedImage, old, ctx());
  assert.deepEqual(strategy.validateUpdate!(changedImage, old, ctx()), []);

  const changedPorts = structuredClone(old);
  changedPorts.spec.containers[0].ports = [{ containerPort: 80, protocol: 'TCP' }];
  const errs = strategy.validateUpdate!(changedPorts, old, ctx());
  assert.equal(errs.length, 1);
  assert.equal(errs[0]!.field, 'spec');
  assert.ok(messages(errs)[0]!.startsWith(`spec: Forbidden: ${POD_UPDATE_FORBIDDEN}\n`));
  assert.match(messages(errs)[0]!, /spec\.containers\[0\]\.ports/);

  const added = structuredClone(old);
  added.spec.tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }];
  assert.deepEqual(strategy.validateUpdate!(added, old, ctx()), []);
});

test('a main-resource write keeps status, a status write keeps spec', () => {
  const old = create(runPod());
  old.status = { phase: 'Running', podIP: '10.42.0.5' };
  const write = structuredClone(old);
  write.status = { phase: 'Failed' };
  void strategy.prepareForUpdate!(write, old, ctx());
  assert.equal(write.status.phase, 'Running');
  const statusWrite = structuredClone(old);
  statusWrite.spec.nodeName = 'elsewhere';
  statusWrite.status.phase = 'Succeeded';
  void strategy.prepareForUpdate!(statusWrite, old, ctx({ subresource: 'status' }));
  assert.equal(statusWrite.spec.nodeName, undefined);
  assert.equal(statusWrite.status.phase, 'Succeeded');
});

test('ephemeral containers: refused on create, added through their subresource only', () => {
  const pod = runPod();
  pod.spec.ephemeralContainers = [{ name: 'debug', image: 'busybox' }];
  create(pod);
  assert.ok(messages(strategy.validate!(pod, ctx())).includes('spec.ephemeralContainers: Forbidden: cannot be set on create'));
  const old = create(runPod());
  const write = structuredClone(old);
  write.spec.ephemeralContainers = [{ name: 'debug', image: 'busybox', imagePullPolicy: 'Always', terminationMessagePolicy: 'File' }];
  write.spec.containers[0].image = 'ignored';
  void strategy.prepareForUpdate!(write, old, ctx({ subresource: 'ephemeralcontainers' }));
  assert.equal(write.spec.containers[0].image, 'nginx');
  assert.deepEqual(strategy.validateUpdate!(write, old, ctx({ subresource: 'ephemeralcontainers' })), []);
});

test('field selectors read what the scheduler and kubelets select on', () => {
  const def = podResource();
  const pod = create(runPod());
  assert.equal(def.fieldSelectors!['spec.nodeName']!(pod), '');
  pod.spec.nodeName = 'node-1';
  pod.status.podIPs = [{ ip: '10.42.0.9' }];
  assert.equal(def.fieldSelectors!['spec.nodeName']!(pod), 'node-1');
  assert.equal(def.fieldSelectors!['status.podIP']!(pod), '10.42.0.9');
  assert.equal(def.fieldSelectors!['spec.hostNetwork']!(pod), 'false');
  assert.deepEqual(def.subresources, ['attach', 'binding', 'ephemeralcontainers', 'eviction', 'exec', 'log', 'portforward', 'proxy', 'resize', 'status']);
});

test('deletion grace: none for unscheduled or finished pods', () => {
  const pod = create(runPod());
  assert.equal(podGracePeriodSeconds(pod), 0);
  pod.spec.nodeName = 'node-1';
  assert.equal(podGracePeriodSeconds(pod), 30);
  assert.equal(podGracePeriodSeconds(pod, 5), 5);
  pod.status.phase = 'Succeeded';
  assert.equal(podGracePeriodSeconds(pod, 5), 0);
});
