import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../types.ts';
import { context, create, update } from '../test-helpers.ts';
import { deployments } from './deployment.ts';
import { replicasets } from './replicaset.ts';
import { daemonsets, TEMPLATE_GENERATION_ANNOTATION } from './daemonset.ts';
import { statefulsets } from './statefulset.ts';
import { controllerrevisions } from './controllerrevision.ts';

/** What `kubectl create deployment web --image=nginx` sends. */
function kubectlDeployment(): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      strategy: {},
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx', resources: {} }] } },
    },
    status: {},
  };
}

test('deployment defaults match what Kubernetes returns', () => {
  const { obj, errors } = create(deployments.strategy, kubectlDeployment());
  assert.deepEqual(errors, []);
  assert.deepEqual(obj.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.equal(obj.spec.revisionHistoryLimit, 10);
  assert.equal(obj.spec.progressDeadlineSeconds, 600);
  assert.equal(obj.spec.template.spec.restartPolicy, 'Always');
  assert.equal(obj.spec.template.spec.containers[0].imagePullPolicy, 'Always');
  assert.deepEqual(obj.status, {});
});

test('deployment without a selector reports both errors kubectl users know', () => {
  const d = kubectlDeployment();
  delete d.spec.selector;
  assert.deepEqual(create(deployments.strategy, d).errors, [
    'spec.selector: Required value',
    'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
  ]);
});

test('deployment rejects negative replicas, zero surge and unavailability, and Never restarts', () => {
  const d = kubectlDeployment();
  d.spec.replicas = -1;
  d.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } };
  d.spec.template.spec.restartPolicy = 'Never';
  assert.deepEqual(create(deployments.strategy, d).errors, [
    'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0',
  ]);
});

test('deployment percentages above 100% and progress deadline not above minReadySeconds are invalid', () => {
  const d = kubectlDeployment();
  d.spec.strategy = { rollingUpdate: { maxUnavailable: '150%' } };
  d.spec.minReadySeconds = 700;
  assert.deepEqual(create(deployments.strategy, d).errors, [
    'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be greater than 100%',
    'spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds',
  ]);
});

test('a deployment selector cannot change', () => {
  const old = create(deployments.strategy, kubectlDeployment()).obj;
  const changed = structuredClone(old);
  changed.spec.selector = { matchLabels: { app: 'web', tier: 'front' } };
  changed.spec.template.metadata.labels.tier = 'front';
  assert.deepEqual(update(deployments.strategy, changed, old).errors, [
    'spec.selector: Invalid value: {"matchLabels":{"app":"web","tier":"front"}}: field is immutable',
  ]);
});

test('deployment updates keep status; status updates keep spec and labels; annotations bump generation', () => {
  const old = create(deployments.strategy, kubectlDeployment()).obj;
  old.metadata.generation = 1;
  old.status = { replicas: 1 };
  const edited = structuredClone(old);
  edited.status = { replicas: 5 };
  edited.metadata.annotations = { note: 'x' };
  const { obj } = update(deployments.strategy, edited, old);
  assert.deepEqual(obj.status, { replicas: 1 });
  assert.equal(obj.metadata.generation, 2);

  const statusWrite = structuredClone(old);
  statusWrite.spec.replicas = 9;
  statusWrite.metadata.labels = { other: 'x' };
  statusWrite.status = { replicas: 1, readyReplicas: 2 };
  const result = update(deployments.strategy, statusWrite, old, context('status'));
  assert.equal(result.obj.spec.replicas, 1);
  assert.deepEqual(result.obj.metadata.labels, { app: 'web' });
  assert.deepEqual(result.errors, ['status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas']);
});

test('replica set: empty selector worded as Kubernetes does, selector immutable', () => {
  const rs: KObject = {
    metadata: { name: 'rs', namespace: 'default' },
    spec: { selector: {}, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
  };
  const created = create(replicasets.strategy, rs);
  assert.equal(created.obj.spec.replicas, 1);
  assert.deepEqual(created.errors, ['spec.selector: Invalid value: {}: empty selector is invalid for deployment']);
  const ok = create(replicasets.strategy, { ...structuredClone(rs), spec: { ...structuredClone(rs.spec), selector: { matchLabels: { a: 'b' } } } }).obj;
  const moved = structuredClone(ok);
  moved.spec.selector = { matchLabels: { a: 'c' } };
  moved.spec.template.metadata.labels = { a: 'c' };
  assert.deepEqual(update(replicasets.strategy, moved, ok).errors, ['spec.selector: Invalid value: {"matchLabels":{"a":"c"}}: field is immutable']);
});

function daemonSet(): KObject {
  return {
    metadata: { name: 'agent', namespace: 'kube-system' },
    spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image: 'agent:1' }] } } },
  };
}

test('daemon set defaults and the template generation annotation', () => {
  const { obj, errors } = create(daemonsets.strategy, daemonSet());
  assert.deepEqual(errors, []);
  assert.deepEqual(obj.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  assert.equal(obj.spec.revisionHistoryLimit, 10);
  assert.equal(obj.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION], '1');
  const edited = structuredClone(obj);
  edited.spec.template.spec.containers[0].image = 'agent:2';
  assert.equal(update(daemonsets.strategy, edited, obj).obj.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION], '2');
  const relabelled = structuredClone(obj);
  relabelled.spec.minReadySeconds = 5;
  assert.equal(update(daemonsets.strategy, relabelled, obj).obj.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION], '1');
});

test('daemon set rolling update may not surge and be unavailable at once', () => {
  const ds = daemonSet();
  ds.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } };
  assert.deepEqual(create(daemonsets.strategy, ds).errors, ['spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero']);
});

function statefulSet(): KObject {
  return {
    metadata: { name: 'db', namespace: 'default' },
    spec: {
      serviceName: 'db',
      selector: { matchLabels: { app: 'db' } },
      template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'postgres' }] } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
  };
}

test('stateful set defaults, including its claim templates', () => {
  const { obj, errors } = create(statefulsets.strategy, statefulSet());
  assert.deepEqual(errors, []);
  assert.equal(obj.spec.podManagementPolicy, 'OrderedReady');
  assert.deepEqual(obj.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
  assert.deepEqual(obj.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
  const claim = obj.spec.volumeClaimTemplates[0];
  assert.equal(claim.kind, 'PersistentVolumeClaim');
  assert.equal(claim.spec.volumeMode, 'Filesystem');
  assert.deepEqual(claim.status, { phase: 'Pending' });
  assert.equal(statefulsets.strategy.nameRule, 'dns1123-label');
});

test('stateful set updates may touch only the updatable fields', () => {
  const old = create(statefulsets.strategy, statefulSet()).obj;
  const scaled = structuredClone(old);
  scaled.spec.replicas = 3;
  assert.deepEqual(update(statefulsets.strategy, scaled, old).errors, []);
  const renamed = structuredClone(old);
  renamed.spec.serviceName = 'other';
  assert.deepEqual(update(statefulsets.strategy, renamed, old).errors, [
    "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
  ]);
});

test('controller revisions need data, which never changes', () => {
  assert.deepEqual(create(controllerrevisions.strategy, { metadata: { name: 'r' }, revision: 1 }).errors, ['data: Required value: data is mandatory']);
  const old: KObject = { metadata: { name: 'r' }, revision: 1, data: { a: 1 } };
  assert.deepEqual(update(controllerrevisions.strategy, { ...old, data: { a: 2 } }, old).errors, ['data: Invalid value: {"a":2}: field is immutable']);
});
