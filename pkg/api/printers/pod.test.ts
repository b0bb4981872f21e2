import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KObject } from '../types.ts';
import { podPrinter } from './pod.ts';
import { ago, now } from './testing.ts';

function pod(fields: { metadata?: object; spec?: object; status?: object }): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-7d4b9c8f5-x2x7q', namespace: 'default', creationTimestamp: ago(300), ...fields.metadata },
    spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }], nodeName: 'node-1', ...fields.spec },
    status: fields.status ?? {},
  };
}

const running = { running: { startedAt: ago(290) } };

test('columns: NAME READY STATUS RESTARTS AGE, then IP NODE NOMINATED NODE READINESS GATES with -o wide', () => {
  assert.deepEqual(
    podPrinter.columns.map((c) => [c.name, c.type, c.priority]),
    [
      ['Name', 'string', 0],
      ['Ready', 'string', 0],
      ['Status', 'string', 0],
      ['Restarts', 'string', 0],
      ['Age', 'string', 0],
      ['IP', 'string', 1],
      ['Node', 'string', 1],
      ['Nominated Node', 'string', 1],
      ['Readiness Gates', 'string', 1],
    ],
  );
  assert.equal(podPrinter.columns[0].format, 'name');
});

test('a running, ready pod', () => {
  const p = pod({
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      podIP: '10.42.0.5',
      podIPs: [{ ip: '10.42.0.5' }],
      containerStatuses: [{ name: 'nginx', ready: true, started: true, restartCount: 0, state: running }],
    },
  });
  assert.deepEqual(podPrinter.row(p, now), ['web-7d4b9c8f5-x2x7q', '1/1', 'Running', '0', '5m', '10.42.0.5', 'node-1', '<none>', '<none>']);
});

test('a pending pod not yet scheduled', () => {
  const p = pod({ spec: { nodeName: undefined }, status: { phase: 'Pending' } });
  assert.deepEqual(podPrinter.row(p, now), ['web-7d4b9c8f5-x2x7q', '0/1', 'Pending', '0', '5m', '<none>', '<none>', '<none>', '<none>']);
});

test('a crash-looping container shows the waiting reason and when it last restarted', () => {
  const p = pod({
    status: {
      phase: 'Running',
      containerStatuses: [
        {
          name: 'nginx',
          ready: false,
          restartCount: 4,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 1m20s restarting failed container' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(30) } },
        },
      ],
    },
  });
  assert.deepEqual(podPrinter.row(p, now).slice(1, 4), ['0/1', 'CrashLoopBackOff', '4 (30s ago)']);
});

test('terminated containers without a reason print the exit code or signal', () => {
  const exit = pod({ status: { phase: 'Running', containerStatuses: [{ name: 'nginx', state: { terminated: { exitCode: 137 } } }] } });
  assert.equal(podPrinter.row(exit, now)[2], 'ExitCode:137');
  const signal = pod({ status: { phase: 'Running', containerStatuses: [{ name: 'nginx', state: { terminated: { exitCode: 0, signal: 9 } } }] } });
  assert.equal(podPrinter.row(signal, now)[2], 'Signal:9');
});

test('a pod being deleted is Terminating, unless its phase is final', () => {
  const status = { phase: 'Running', containerStatuses: [{ name: 'nginx', ready: true, state: running }] };
  const deleting = pod({ metadata: { deletionTimestamp: ago(5) }, status });
  assert.deepEqual(podPrinter.row(deleting, now).slice(1, 3), ['1/1', 'Terminating']);
  const done = pod({ metadata: { deletionTimestamp: ago(5) }, status: { phase: 'Succeeded' } });
  assert.equal(podPrinter.row(done, now)[2], 'Succeeded');
});

test('a pod of a lost node being deleted is Unknown', () => {
  const p = pod({ metadata: { deletionTimestamp: ago(5) }, status: { phase: 'Running', reason: 'NodeLost' } });
  assert.equal(podPrinter.row(p, now)[2], 'Unknown');
});

test('a completed pod shows Completed and marks its row', () => {
  const p = pod({
    status: {
      phase: 'Succeeded',
      containerStatuses: [{ name: 'nginx', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
    },
  });
  assert.deepEqual(podPrinter.row(p, now).slice(1, 4), ['0/1', 'Completed', '0']);
  assert.deepEqual(podPrinter.rowConditions(p), [
    { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
  ]);
  const failed = pod({ status: { phase: 'Failed' } });
  assert.equal(podPrinter.rowConditions(failed)?.[0].reason, 'Failed');
  assert.equal(podPrinter.rowConditions(pod({ status: { phase: 'Running' } })), undefined);
});

test('a completed container beside a running one reads Running or NotReady', () => {
  const statuses = [
    { name: 'main', ready: true, state: running },
    { name: 'job', ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
  ];
  const spec = { containers: [{ name: 'main' }, { name: 'job' }] };
  const ready = pod({ spec, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: statuses } });
  assert.deepEqual(podPrinter.row(ready, now).slice(1, 3), ['1/2', 'Running']);
  const notReady = pod({ spec, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: statuses } });
  assert.equal(podPrinter.row(notReady, now)[2], 'NotReady');
});

const twoInits = { initContainers: [{ name: 'migrate' }, { name: 'warm-cache' }] };

test('init containers: Init:N/M while they run, Init:<reason> when they fail', () => {
  const first = pod({
    spec: twoInits,
    status: {
      phase: 'Pending',
      initContainerStatuses: [
        { name: 'migrate', state: running },
        { name: 'warm-cache', state: { waiting: { reason: 'PodInitializing' } } },
      ],
      containerStatuses: [{ name: 'nginx', state: { waiting: { reason: 'PodInitializing' } } }],
    },
  });
  assert.deepEqual(podPrinter.row(first, now).slice(1, 4), ['0/1', 'Init:0/2', '0']);

  const second = pod({
    spec: twoInits,
    status: {
      phase: 'Pending',
      initContainerStatuses: [
        { name: 'migrate', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        { name: 'warm-cache', state: running },
      ],
    },
  });
  assert.equal(podPrinter.row(second, now)[2], 'Init:1/2');

  const crashing = pod({
    spec: twoInits,
    status: {
      phase: 'Pending',
      initContainerStatuses: [
        {
          name: 'migrate',
          restartCount: 3,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(120) } },
        },
        { name: 'warm-cache', state: { waiting: { reason: 'PodInitializing' } } },
      ],
    },
  });
  assert.deepEqual(podPrinter.row(crashing, now).slice(1, 4), ['0/1', 'Init:CrashLoopBackOff', '3 (2m ago)']);

  const error = pod({
    spec: twoInits,
    status: { phase: 'Pending', initContainerStatuses: [{ name: 'migrate', state: { terminated: { exitCode: 2, reason: 'Error' } } }] },
  });
  assert.equal(podPrinter.row(error, now)[2], 'Init:Error');
  const exit = pod({
    spec: twoInits,
    status: { phase: 'Pending', initContainerStatuses: [{ name: 'migrate', state: { terminated: { exitCode: 2 } } }] },
  });
  assert.equal(podPrinter.row(exit, now)[2], 'Init:ExitCode:2');
});

test('sidecar init containers count towards READY and RESTARTS', () => {
  const p = pod({
    spec: { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }],
      initContainerStatuses: [
        {
          name: 'proxy',
          started: true,
          ready: true,
          restartCount: 1,
          state: running,
          lastState: { terminated: { exitCode: 1, finishedAt: ago(600) } },
        },
      ],
      containerStatuses: [{ name: 'nginx', ready: true, restartCount: 0, state: running }],
    },
  });
  assert.deepEqual(podPrinter.row(p, now).slice(1, 4), ['2/2', 'Running', '1 (10m ago)']);
});

test('scheduling gates, readiness gates and the first pod IP', () => {
  const gated = pod({
    spec: { nodeName: undefined },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] },
  });
  assert.equal(podPrinter.row(gated, now)[2], 'SchedulingGated');

  const gates = pod({
    spec: { readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }] },
    status: {
      phase: 'Running',
      podIPs: [{ ip: 'fd00::5' }, { ip: '10.42.0.5' }],
      nominatedNodeName: 'node-2',
      conditions: [{ type: 'example.com/lb', status: 'True' }, { type: 'example.com/dns', status: 'False' }],
    },
  });
  assert.deepEqual(podPrinter.row(gates, now).slice(5), ['fd00::5', 'node-1', 'node-2', '1/2']);
});
