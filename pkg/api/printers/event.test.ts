import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventPrinter } from './event.ts';
import { ago, now } from './testing.ts';

test('Event columns: LAST SEEN TYPE REASON OBJECT MESSAGE, more with -o wide, Name last', () => {
  assert.deepEqual(
    eventPrinter.columns.map((c) => `${c.name}:${c.priority}`),
    ['Last Seen:0', 'Type:0', 'Reason:0', 'Object:0', 'Subobject:1', 'Source:1', 'Message:0', 'First Seen:1', 'Count:1', 'Name:1'],
  );
});

test('a core/v1 event from the kubelet', () => {
  const event = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web-1.17c2', namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'web-1', fieldPath: 'spec.containers{nginx}' },
    reason: 'BackOff',
    message: 'Back-off restarting failed container nginx in pod web-1\n',
    source: { component: 'kubelet', host: 'pi-1' },
    firstTimestamp: ago(600),
    lastTimestamp: ago(20),
    count: 7,
    type: 'Warning',
  };
  assert.deepEqual(eventPrinter.row(event, now), [
    '20s',
    'Warning',
    'BackOff',
    'pod/web-1',
    'spec.containers{nginx}',
    'kubelet, pi-1',
    'Back-off restarting failed container nginx in pod web-1',
    '10m',
    7,
    'web-1.17c2',
  ]);
});

test('new-style events: eventTime, series, reporting controller, count 1', () => {
  const single = {
    apiVersion: 'v1',
    metadata: { name: 'e1' },
    involvedObject: { kind: 'Node' },
    eventTime: ago(75),
    reportingComponent: 'tsk-scheduler',
    reportingInstance: 'server-1',
    reason: 'Scheduled',
    message: 'ok',
    type: 'Normal',
  };
  assert.deepEqual(eventPrinter.row(single, now), ['75s', 'Normal', 'Scheduled', 'node', '', 'tsk-scheduler, server-1', 'ok', '75s', 1, 'e1']);
  const series = { ...single, series: { count: 4, lastObservedTime: ago(3) } };
  assert.deepEqual([eventPrinter.row(series, now)[0], eventPrinter.row(series, now)[8]], ['3s', 4]);
  assert.equal(eventPrinter.row({ metadata: { name: 'e' } }, now)[0], '<unknown>');
});

test('events.k8s.io/v1 events read through their core field names', () => {
  const event = {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: 'web.1' },
    regarding: { kind: 'Deployment', name: 'web' },
    note: 'Scaled up replica set web-7d4 to 3',
    reason: 'ScalingReplicaSet',
    type: 'Normal',
    eventTime: null,
    deprecatedSource: { component: 'deployment-controller' },
    deprecatedFirstTimestamp: ago(300),
    deprecatedLastTimestamp: ago(300),
    deprecatedCount: 1,
    reportingController: 'deployment-controller',
  };
  assert.deepEqual(eventPrinter.row(event, now), [
    '5m', 'Normal', 'ScalingReplicaSet', 'deployment/web', '', 'deployment-controller', 'Scaled up replica set web-7d4 to 3', '5m', 1, 'web.1',
  ]);
});
