import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { templatePatch } from '../history/revision.ts';
import { claimsFor } from './identity.ts';
import { planStatefulSet, setStatus, type Action, type SetView } from './plan.ts';

const NOW = Date.parse('2026-01-01T00:00:00Z');

function statefulSet(spec: KObject['spec'] = {}, image = 'v2'): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'default', uid: 'sts-uid', generation: 1 },
    spec: {
      replicas: 3,
      serviceName: 'nginx',
      podManagementPolicy: 'OrderedReady',
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }], volumes: [{ name: 'www', emptyDir: {} }] } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      volumeClaimTemplates: [{ metadata: { name: 'www', labels: { tier: 'data' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      ...spec,
    },
  };
}

const revision = (name: string, image: string): KObject => ({ metadata: { name }, data: templatePatch(statefulSet({}, image)), revision: 1 });
const OLD = revision('web-old', 'v1');
const NEW = revision('web-new', 'v2');

function pod(ordinal: number, opts: { rev?: KObject; ready?: boolean; terminating?: boolean; phase?: string } = {}): KObject {
  const rev = opts.rev ?? NEW;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `web-${ordinal}`, namespace: 'default', uid: `uid-${ordinal}-${rev.metadata.name}`, labels: { 'controller-revision-hash': rev.metadata.name! }, ...(opts.terminating ? { deletionTimestamp: new Date(NOW).toISOString() } : {}) },
    spec: {},
    status: { phase: opts.phase ?? 'Running', conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True', lastTransitionTime: new Date(NOW - 1000).toISOString() }] },
  };
}

const view = (set: KObject, pods: KObject[], current = NEW, claims: string[] = []): SetView => ({ set, pods, currentRevision: current, updateRevision: NEW, now: NOW, claimExists: (k) => claims.includes(k) });
const describeActions = (actions: Action[]) => actions.map((a) => `${a.kind} ${a.pod.metadata.name}`);

describe('statefulset ordering', () => {
  it('OrderedReady creates one pod at a time, each after its predecessors are Running and Ready', () => {
    const set = statefulSet();
    assert.deepEqual(describeActions(planStatefulSet(view(set, [])).actions), ['create web-0']);
    assert.deepEqual(describeActions(planStatefulSet(view(set, [pod(0, { ready: false })])).actions), []);
    assert.deepEqual(describeActions(planStatefulSet(view(set, [pod(0)])).actions), ['create web-1']);
    assert.deepEqual(describeActions(planStatefulSet(view(set, [pod(0), pod(2)])).actions), ['create web-1']);
  });

  it('Parallel creates every missing pod at once', () => {
    const set = statefulSet({ podManagementPolicy: 'Parallel' });
    assert.deepEqual(describeActions(planStatefulSet(view(set, [pod(1, { ready: false })])).actions), ['create web-0', 'create web-2']);
  });

  it('scales down from the highest ordinal, one at a time, after the rest is healthy', () => {
    const set = statefulSet({ replicas: 1 });
    assert.deepEqual(describeActions(planStatefulSet(view(set, [pod(0), pod(1), pod(2)])).actions), ['delete web-2']);
    assert.deepEqual(describeActions(planStatefulSet(view(set, [pod(0), pod(1), pod(2, { terminating: true })])).actions), []);
    assert.deepEqual(describeActions(planStatefulSet(view(statefulSet({ replicas: 1, podManagementPolicy: 'Parallel' }), [pod(0), pod(1), pod(2)])).actions), ['delete web-2', 'delete web-1']);
  });

  it('replaces a finished pod under its own name', () => {
    const plan = planStatefulSet(view(statefulSet(), [pod(0, { phase: 'Failed' }), pod(1)]));
    assert.deepEqual(describeActions(plan.actions), ['delete web-0']);
    assert.deepEqual(describeActions(planStatefulSet(view(statefulSet(), [pod(1)])).actions), ['create web-0']);
  });

  it('honours ordinals.start', () => {
    const set = statefulSet({ ordinals: { start: 5 }, replicas: 2 });
    assert.deepEqual(describeActions(planStatefulSet(view(set, [pod(5)])).actions), ['create web-6']);
    assert.deepEqual(describeActions(planStatefulSet(view(set, [pod(5), pod(6), pod(0)])).actions), ['delete web-0']);
  });
});

describe('statefulset rolling update', () => {
  it('updates from the highest ordinal down to the partition, waiting for each to be ready', () => {
    const set = statefulSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } });
    const old = [0, 1, 2].map((i) => pod(i, { rev: OLD }));
    assert.deepEqual(describeActions(planStatefulSet(view(set, old, OLD)).actions), ['delete web-2']);
    assert.deepEqual(describeActions(planStatefulSet(view(set, [old[0]!, old[1]!, pod(2, { ready: false })], OLD)).actions), []);
    assert.deepEqual(describeActions(planStatefulSet(view(set, [old[0]!, old[1]!, pod(2)], OLD)).actions), ['delete web-1']);
    assert.deepEqual(describeActions(planStatefulSet(view(set, [old[0]!, pod(1), pod(2)], OLD)).actions), []);
  });

  it('recreates a pod below the partition from the current revision, above it from the update revision', () => {
    const set = statefulSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } });
    const below = planStatefulSet(view(set, [pod(1, { rev: OLD }), pod(2)], OLD)).actions[0]!;
    assert.equal(below.pod.metadata.name, 'web-0');
    assert.equal(below.pod.metadata.labels!['controller-revision-hash'], 'web-old');
    assert.equal(below.pod.spec.containers[0].image, 'v1');
    const above = planStatefulSet(view(set, [pod(0, { rev: OLD }), pod(1, { rev: OLD })], OLD)).actions[0]!;
    assert.deepEqual([above.pod.metadata.name, above.pod.metadata.labels!['controller-revision-hash'], above.pod.spec.containers[0].image], ['web-2', 'web-new', 'v2']);
  });

  it('OnDelete never deletes pods for an update', () => {
    const set = statefulSet({ updateStrategy: { type: 'OnDelete' } });
    assert.deepEqual(planStatefulSet(view(set, [0, 1, 2].map((i) => pod(i, { rev: OLD })), OLD)).actions, []);
  });
});

describe('statefulset identity and status', () => {
  it('gives each pod its name, hostname, subdomain, labels and claims', () => {
    const action = planStatefulSet(view(statefulSet(), [])).actions[0]!;
    assert.equal(action.kind, 'create');
    const p = action.pod;
    assert.deepEqual([p.spec.hostname, p.spec.subdomain], ['web-0', 'nginx']);
    assert.deepEqual(p.metadata.labels, { app: 'web', 'statefulset.kubernetes.io/pod-name': 'web-0', 'apps.kubernetes.io/pod-index': '0', 'controller-revision-hash': 'web-new' });
    assert.deepEqual(p.spec.volumes, [{ name: 'www', persistentVolumeClaim: { claimName: 'www-web-0' } }]);
    if (action.kind !== 'create') return;
    assert.deepEqual(action.claims.map((c) => [c.metadata.name, c.metadata.labels, c.metadata.ownerReferences]), [['www-web-0', { tier: 'data', app: 'web' }, undefined]]);
  });

  it('makes only missing claims: before a new pod, and again for a Pending pod that lost one', () => {
    const create = planStatefulSet(view(statefulSet(), [], NEW, ['default/www-web-0'])).actions[0]!;
    assert.deepEqual([create.kind, create.kind === 'delete' ? undefined : create.claims], ['create', []]);
    const pending = planStatefulSet(view(statefulSet(), [pod(0, { phase: 'Pending', ready: false })])).actions;
    assert.deepEqual(pending.map((a) => `${a.kind} ${a.pod.metadata.name} ${a.kind === 'delete' ? '' : a.claims.map((c) => c.metadata.name)}`), ['claims web-0 www-web-0']);
    assert.deepEqual(planStatefulSet(view(statefulSet(), [pod(0, { phase: 'Pending', ready: false })], NEW, ['default/www-web-0'])).actions, []);
  });

  it('owns claims by the set only when whenDeleted is Delete', () => {
    const set = statefulSet({ persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' } });
    assert.deepEqual(claimsFor(set, 1)[0]!.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'sts-uid' }]);
  });

  it('counts replicas by revision and completes a finished rolling update', () => {
    const status = setStatus(view(statefulSet(), [pod(0, { rev: OLD }), pod(1), pod(2, { ready: false })], OLD), 0);
    assert.deepEqual(status, { observedGeneration: 1, replicas: 3, readyReplicas: 2, currentReplicas: 1, updatedReplicas: 2, availableReplicas: 2, currentRevision: 'web-old', updateRevision: 'web-new', collisionCount: 0 });
    const done = setStatus(view(statefulSet(), [pod(0), pod(1), pod(2)], OLD), 0);
    assert.deepEqual([done.currentRevision, done.currentReplicas], ['web-new', 3]);
  });
});
