import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { until } from '../../../test/lib/until.ts';
import { Harness, makePod } from './testing/harness.ts';

// Probe "seconds" are 10 ms in the harness.
let h: Harness;
afterEach(() => h?.close());

const wokenFor = (uid: string, count = 1) => until(`${count} probe wake-ups`, async () => (h.probeWakeups.filter((u) => u === uid).length >= count ? true : undefined), 10_000);

test('a failing liveness probe: one Unhealthy event per failure, and after failureThreshold the container is restarted', async () => {
  h = new Harness();
  h.runtime.exec = (_name, cmd) => (cmd[0] === 'alive' ? { exitCode: 1, stdout: 'boom' } : { exitCode: 0 });
  const uid = h.add(makePod('live', { containers: [{ name: 'c', image: 'busybox:1.36', livenessProbe: { exec: { command: ['alive'] }, periodSeconds: 1, failureThreshold: 3, terminationGracePeriodSeconds: 5 } }] })).metadata.uid!;
  await h.reconcile(uid);
  await wokenFor(uid);
  assert.deepEqual(h.eventsOf('Unhealthy'), ['Liveness probe failed: boom', 'Liveness probe failed: boom', 'Liveness probe failed: boom']);
  await h.reconcile(uid);
  assert.deepEqual(h.eventsOf('Killing'), ['Container c failed liveness probe, will be restarted']);
  assert.ok(h.runtime.calls.includes('stopContainer c 5'), 'the probe\'s own grace period');
  const c = h.containerStatus(uid, 'c');
  assert.equal(c.restartCount, 1);
  assert.ok(c.state.running);
  assert.equal(c.lastState.terminated.exitCode, 137);
});

test('readiness decides ready and the Ready condition, both ways', async () => {
  h = new Harness();
  let ready = false;
  h.runtime.exec = () => (ready ? { exitCode: 0 } : { exitCode: 1, stdout: 'not yet' });
  const uid = h.add(makePod('ready', { containers: [{ name: 'c', image: 'busybox:1.36', readinessProbe: { exec: { command: ['check'] }, periodSeconds: 1 } }] })).metadata.uid!;
  await h.reconcile(uid);
  assert.equal(h.containerStatus(uid, 'c').ready, false, 'not ready before the first success');
  assert.equal(h.condition(uid, 'Ready')?.status, 'False');
  assert.equal(h.condition(uid, 'ContainersReady')?.message, 'containers with unready status: [c]');
  ready = true;
  await wokenFor(uid);
  await h.reconcile(uid);
  assert.equal(h.containerStatus(uid, 'c').ready, true);
  assert.equal(h.condition(uid, 'Ready')?.status, 'True');
  ready = false;
  await wokenFor(uid, 2);
  await h.reconcile(uid);
  assert.equal(h.condition(uid, 'Ready')?.status, 'False');
  assert.ok(h.eventsOf('Unhealthy').includes('Readiness probe failed: not yet'));
});

test('a startup probe holds liveness and readiness back until it passes', async () => {
  h = new Harness();
  let startedUp = false;
  h.runtime.exec = (_name, cmd) => (cmd[0] === 'startup' ? { exitCode: startedUp ? 0 : 1 } : { exitCode: 0 });
  const uid = h.add(
    makePod('slow', {
      containers: [{ name: 'c', image: 'busybox:1.36', startupProbe: { exec: { command: ['startup'] }, periodSeconds: 1, failureThreshold: 1000 }, livenessProbe: { exec: { command: ['live'] }, periodSeconds: 1 } }],
    }),
  ).metadata.uid!;
  await h.reconcile(uid);
  await until('startup probed a few times', async () => (h.runtime.calls.filter((c) => c === 'exec c startup').length >= 3 ? true : undefined), 10_000);
  assert.equal(h.runtime.calls.includes('exec c live'), false);
  assert.equal(h.containerStatus(uid, 'c').started, false);
  startedUp = true;
  await wokenFor(uid);
  await h.reconcile(uid);
  assert.equal(h.containerStatus(uid, 'c').started, true);
  assert.equal(h.containerStatus(uid, 'c').ready, true);
  await until('liveness probed', async () => (h.runtime.calls.includes('exec c live') ? true : undefined), 10_000);
});

test('a startup probe that fails for good restarts the container', async () => {
  h = new Harness();
  h.runtime.exec = () => ({ exitCode: 1 });
  const uid = h.add(makePod('never-up', { containers: [{ name: 'c', image: 'busybox:1.36', startupProbe: { exec: { command: ['startup'] }, periodSeconds: 1, failureThreshold: 2 } }] })).metadata.uid!;
  await h.reconcile(uid);
  await wokenFor(uid);
  await h.reconcile(uid);
  assert.deepEqual(h.eventsOf('Killing'), ['Container c failed startup probe, will be restarted']);
  assert.equal(h.containerStatus(uid, 'c').restartCount, 1);
});

test('a failed postStart hook kills the container, which restartPolicy then restarts', async () => {
  h = new Harness();
  h.runtime.exec = () => ({ exitCode: 2, stdout: 'no config' });
  const uid = h.add(makePod('hook', { containers: [{ name: 'c', image: 'busybox:1.36', lifecycle: { postStart: { exec: { command: ['setup'] } } } }] })).metadata.uid!;
  await h.reconcile(uid);
  assert.deepEqual(h.eventsOf('FailedPostStartHook'), [`PostStartHook failed for Container "c" in Pod "hook_default(${uid})": no config`]);
  assert.ok(h.runtime.calls.indexOf('exec c setup') < h.runtime.calls.indexOf('stopContainer c 30'));
  assert.ok(h.containerStatus(uid, 'c').state.terminated);
  await h.reconcile(uid);
  assert.equal(h.containerStatus(uid, 'c').restartCount, 1);
});
