import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KObject } from '../types.ts';
import {
  controllerRevisionPrinter,
  daemonSetPrinter,
  deploymentPrinter,
  replicaSetPrinter,
  replicationControllerPrinter,
  statefulSetPrinter,
} from './apps.ts';
import { ago, now } from './testing.ts';

const template = {
  metadata: { labels: { app: 'web' } },
  spec: {
    containers: [
      { name: 'nginx', image: 'nginx:1.25' },
      { name: 'exporter', image: 'nginx/nginx-prometheus-exporter:1.1' },
    ],
  },
};

function names(printer: { columns: { name: string; priority: number }[] }): string[] {
  return printer.columns.map((c) => (c.priority ? `${c.name}*` : c.name));
}

test('Deployment: READY ready/desired, UP-TO-DATE, AVAILABLE, and the wide columns', () => {
  const deployment: KObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: ago(2 * 86400 + 3 * 3600) },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web', tier: 'frontend' } },
      template,
    },
    status: { replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2 },
  };
  assert.deepEqual(names(deploymentPrinter), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers*', 'Images*', 'Selector*']);
  assert.deepEqual(deploymentPrinter.row(deployment, now), [
    'web',
    '2/3',
    3,
    2,
    '2d3h',
    'nginx,exporter',
    'nginx:1.25,nginx/nginx-prometheus-exporter:1.1',
    'app=web,tier=frontend',
  ]);
});

test('Deployment scaled to zero with no status yet', () => {
  const deployment: KObject = {
    metadata: { name: 'idle', creationTimestamp: ago(10) },
    spec: { replicas: 0, selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['b', 'a'] }] }, template },
  };
  assert.deepEqual(deploymentPrinter.row(deployment, now).slice(1, 5), ['0/0', 0, 0, '10s']);
  assert.equal(deploymentPrinter.row(deployment, now)[7], 'app in (a,b)');
});

test('ReplicaSet and ReplicationController: DESIRED CURRENT READY as integers', () => {
  const rs: KObject = {
    metadata: { name: 'web-7d4b9c8f5', creationTimestamp: ago(3600) },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web', 'pod-template-hash': '7d4b9c8f5' } }, template },
    status: { replicas: 3, readyReplicas: 1 },
  };
  assert.deepEqual(names(replicaSetPrinter), ['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers*', 'Images*', 'Selector*']);
  assert.deepEqual(replicaSetPrinter.row(rs, now), [
    'web-7d4b9c8f5',
    3,
    3,
    1,
    '60m',
    'nginx,exporter',
    'nginx:1.25,nginx/nginx-prometheus-exporter:1.1',
    'app=web,pod-template-hash=7d4b9c8f5',
  ]);
  const rc: KObject = {
    metadata: { name: 'legacy', creationTimestamp: ago(60) },
    spec: { replicas: 2, selector: { app: 'legacy' }, template },
    status: { replicas: 2, readyReplicas: 2 },
  };
  assert.deepEqual(replicationControllerPrinter.row(rc, now).slice(1, 5), [2, 2, 2, '60s']);
  assert.equal(replicationControllerPrinter.row(rc, now)[7], 'app=legacy');
});

test('DaemonSet: five counters and NODE SELECTOR', () => {
  const ds: KObject = {
    metadata: { name: 'node-exporter', creationTimestamp: ago(8 * 86400) },
    spec: {
      selector: { matchLabels: { app: 'node-exporter' } },
      template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'exporter', image: 'prom/node-exporter' }] } },
    },
    status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
  };
  assert.deepEqual(names(daemonSetPrinter), [
    'Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age', 'Containers*', 'Images*', 'Selector*',
  ]);
  assert.deepEqual(daemonSetPrinter.row(ds, now), [
    'node-exporter', 3, 3, 2, 3, 2, 'kubernetes.io/os=linux', '8d', 'exporter', 'prom/node-exporter', 'app=node-exporter',
  ]);
  const noSelector = { ...ds, spec: { ...ds.spec, template: { spec: { containers: [] } } } };
  assert.equal(daemonSetPrinter.row(noSelector, now)[6], '<none>');
});

test('StatefulSet: READY ready/replicas', () => {
  const sts: KObject = {
    metadata: { name: 'db', creationTimestamp: ago(90) },
    spec: { replicas: 3, template: { spec: { containers: [{ name: 'postgres', image: 'postgres:16' }] } } },
    status: { replicas: 2, readyReplicas: 2 },
  };
  assert.deepEqual(names(statefulSetPrinter), ['Name', 'Ready', 'Age', 'Containers*', 'Images*']);
  assert.deepEqual(statefulSetPrinter.row(sts, now), ['db', '2/3', '90s', 'postgres', 'postgres:16']);
});

test('ControllerRevision: CONTROLLER as kind.group/name of the controlling owner', () => {
  const cr: KObject = {
    metadata: {
      name: 'node-exporter-5d8f7b9c6',
      creationTimestamp: ago(3600 * 5),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'node-exporter', uid: 'u1', controller: true }],
    },
    revision: 2,
  };
  assert.deepEqual(controllerRevisionPrinter.row(cr, now), ['node-exporter-5d8f7b9c6', 'daemonset.apps/node-exporter', 2, '5h']);
  const orphan = { ...cr, metadata: { ...cr.metadata, ownerReferences: [] } };
  assert.equal(controllerRevisionPrinter.row(orphan, now)[1], '<none>');
});
