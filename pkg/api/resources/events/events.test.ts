import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../types.ts';
import { create, update } from '../test-helpers.ts';
import { coreToEventV1, eventsV1, eventV1ToCore } from './event.ts';

/** An event as client-go's events.k8s.io recorder writes it. */
function newEvent(): KObject {
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: 'web.17a', namespace: 'default' },
    eventTime: '2026-01-02T03:04:05.000000Z',
    reportingController: 'tsk.io/scheduler',
    reportingInstance: 'tsk-server',
    action: 'Binding',
    reason: 'Scheduled',
    regarding: { kind: 'Pod', namespace: 'default', name: 'web', apiVersion: 'v1' },
    note: 'Successfully assigned default/web to node-1',
    type: 'Normal',
  };
}

test('events.k8s.io/v1 and core/v1 events convert both ways without loss', () => {
  const stored = eventV1ToCore(newEvent());
  assert.equal(stored.apiVersion, 'v1');
  assert.equal(stored.message, 'Successfully assigned default/web to node-1');
  assert.deepEqual(stored.involvedObject, newEvent().regarding);
  assert.equal(stored.reportingComponent, 'tsk.io/scheduler');
  assert.deepEqual(coreToEventV1(stored), newEvent());

  const legacy: KObject = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'x', namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' },
    reason: 'Pulled',
    message: 'pulled',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: '2026-01-02T03:04:05Z',
    lastTimestamp: '2026-01-02T03:04:05Z',
    count: 3,
    type: 'Normal',
  };
  const view = coreToEventV1(legacy);
  assert.deepEqual([view.deprecatedCount, view.deprecatedSource, view.note], [3, { component: 'kubelet', host: 'node-1' }, 'pulled']);
  assert.deepEqual(eventV1ToCore(view), legacy);
});

test('events.k8s.io writes need the new fields and leave the deprecated ones unset', () => {
  assert.deepEqual(create(eventsV1.strategy, eventV1ToCore(newEvent())).errors, []);
  const bad = eventV1ToCore({ ...newEvent(), eventTime: undefined, reportingController: undefined, type: 'Odd', deprecatedCount: 2 });
  assert.deepEqual(create(eventsV1.strategy, bad).errors, [
    'eventTime: Required value',
    'type: Invalid value: "": has invalid value: Odd',
    'count: Invalid value: "": needs to be unset',
  ]);
});

test('only the series of an event may change', () => {
  const old = eventV1ToCore(newEvent());
  const next = { ...structuredClone(old), series: { count: 2, lastObservedTime: '2026-01-02T03:05:00.000000Z' } };
  assert.deepEqual(update(eventsV1.strategy, next, old).errors, []);
  const renoted = { ...structuredClone(old), message: 'changed' };
  assert.deepEqual(update(eventsV1.strategy, renoted, old).errors, ['message: Invalid value: "changed": field is immutable']);
});
