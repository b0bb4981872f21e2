import assert from 'node:assert/strict';
import fs from 'node:fs';
import { afterEach, test } from 'node:test';
import { until } from '../../../test/lib/until.ts';
import { Harness, makePod, sleeper } from './testing/harness.ts';

let h: Harness;
afterEach(() => h?.close());


test('a deleted pod: preStop hook, then SIGTERM with the rest of its grace period, final status, volumes torn down, then the final DELETE', async () => {
  h = new Harness();
  const uid = h.add(makePod('bye', { terminationGracePeriodSeconds: 45, containers: [sleeper('a', { lifecycle: { preStop: { exec: { command: ['sh', '-c', 'drain'] } } } }), sleeper('b')] })).metadata.uid!;
  await h.reconcile(uid);
  h.runtime.calls.length = 0;
  h.delete(uid);
  assert.equal(await h.reconcile(uid), true);
  const calls = h.runtime.calls;
  assert.ok(calls.indexOf('exec a sh -c drain') < calls.indexOf('stopContainer a 45'), calls.join(', '));
  assert.ok(calls.includes('stopContainer b 45'));
  assert.ok(calls.includes('stopPodSandbox bye'));
  assert.deepEqual(h.eventsOf('Killing'), ['Stopping container a', 'Stopping container b']);
  assert.deepEqual(h.tornDown, [uid]);
  assert.deepEqual(h.deleted, [uid]);
  const final = h.statusWrites.at(-1)!;
  assert.equal(final.phase, 'Failed', 'containers killed by a signal fail the pod');
  assert.equal(final.containerStatuses[0].state.terminated.exitCode, 137);
  assert.equal(final.conditions.find((c: { type: string }) => c.type === 'Ready').status, 'False');
  // The informer then loses the pod: what is left in the runtime is removed.
  assert.equal(await h.reconcile(uid), true);
  assert.equal([...h.runtime.containers.values()].length, 0);
  assert.equal(h.runtime.sandboxes.size, 0);
});

test('the deletion grace period wins over the spec and a short one still gives 2 s; containers that exit 0 on SIGTERM succeed', async () => {
  h = new Harness();
  h.runtime.stopExitCode = 0;
  const uid = h.add(makePod('quick', { containers: [sleeper('a')] })).metadata.uid!;
  await h.reconcile(uid);
  h.delete(uid, 1);
  await h.reconcile(uid);
  assert.ok(h.runtime.calls.includes('stopContainer a 2'), h.runtime.calls.join(', '));
  assert.equal(h.statusWrites.at(-1)!.phase, 'Succeeded');
});

test('deleted again with less grace (or force-deleted) while its containers are being stopped, a pod is stopped at once', async () => {
  h = new Harness();
  h.runtime.holdStops = true;
  const uid = h.add(makePod('stubborn', { containers: [sleeper('a')] })).metadata.uid!;
  await h.reconcile(uid);
  h.delete(uid, 30);
  const terminating = h.reconcile(uid);
  await until('the first stop', async () => (h.runtime.calls.includes('stopContainer a 30') ? true : undefined));
  await h.workers.expedite(uid, 40);
  assert.equal(h.runtime.calls.filter((c) => c.startsWith('stopContainer')).length, 1, 'a longer grace period changes nothing');
  await h.workers.expedite(uid, 0);
  assert.equal(await terminating, true);
  assert.ok(h.runtime.calls.includes('stopContainer a 0'));
  assert.deepEqual(h.deleted, [uid]);
});

test('deleting a pod cancels the image pull it waits for', async () => {
  h = new Harness();
  h.runtime.holdPulls = true;
  const uid = h.add(makePod('pulling', { containers: [{ name: 'c', image: 'missing:1' }] })).metadata.uid!;
  const syncing = h.reconcile(uid);
  await until('the pull', async () => (h.runtime.calls.includes('pullImage missing:1') ? true : undefined));
  h.delete(uid);
  h.workers.cancelPulls(uid);
  await syncing;
  assert.equal(await h.reconcile(uid), true);
  assert.deepEqual(h.deleted, [uid]);
});

test('a pod deleted before it ever ran is deleted without a sandbox; its containers are reported as never located', async () => {
  h = new Harness();
  const uid = h.add(makePod('early', { containers: [sleeper('a')] })).metadata.uid!;
  h.delete(uid);
  await h.reconcile(uid);
  assert.deepEqual(h.runtime.calls, []);
  assert.deepEqual(h.deleted, [uid]);
  assert.equal(h.statusWrites.at(-1)!.containerStatuses[0].state.terminated.reason, 'ContainerStatusUnknown');
});

test('what runs for a pod the API no longer has is stopped at once (1 s) and removed, with its logs', async () => {
  h = new Harness();
  const uid = h.add(makePod('orphan', { containers: [sleeper('a')] })).metadata.uid!;
  await h.reconcile(uid);
  const logDirectory = `${h.dataDir}/agent/logs/pods/default_orphan_${uid}`;
  assert.ok(fs.existsSync(`${logDirectory}/a`));
  h.pods.delete(uid);
  h.runtime.calls.length = 0;
  assert.equal(await h.reconcile(uid), true);
  assert.deepEqual(h.runtime.calls, ['stopContainer a 1', 'stopPodSandbox orphan', 'removeContainer a', 'removePodSandbox orphan']);
  assert.deepEqual(h.tornDown, [uid]);
  assert.equal(fs.existsSync(logDirectory), false);
  assert.equal(h.eventsOf('Killing').length, 0, 'no pod to record events on');
});

test('a restarted agent adopts running containers: nothing is re-created, restart counts and readiness carry over', async () => {
  h = new Harness();
  const uid = h.add(makePod('keep', { containers: [sleeper('a', { readinessProbe: { exec: { command: ['ready'] }, initialDelaySeconds: 1000 } })] })).metadata.uid!;
  await h.reconcile(uid);
  h.runtime.exitContainer('a', 1);
  await h.reconcile(uid);
  // Mark it ready in the API, as a probe would have.
  const pod = h.pod(uid);
  h.pods.set(uid, { ...pod, status: { ...pod.status, containerStatuses: pod.status.containerStatuses.map((s: object) => ({ ...s, ready: true })) } });
  const before = h.runtime.calls.length;
  const restarted = new Harness({ restartOf: h });
  try {
    await restarted.reconcile(uid);
  } finally {
    restarted.close();
  }
  assert.deepEqual(h.runtime.calls.slice(before), [], 'no create, start or stop');
  const a = h.containerStatus(uid, 'a');
  assert.equal(a.restartCount, 1);
  assert.ok(a.state.running);
  assert.equal(a.ready, true, 'readiness is kept until a probe says otherwise');
  assert.equal(a.lastState.terminated.exitCode, 1);
});


test('termination messages: what the container wrote to its termination log, or its log tail with FallbackToLogsOnError', async () => {
  h = new Harness();
  const uid = h.add(makePod('msg', { restartPolicy: 'Never', containers: [sleeper('wrote'), sleeper('logged', { terminationMessagePolicy: 'FallbackToLogsOnError' }), sleeper('quiet')] })).metadata.uid!;
  await h.reconcile(uid);
  const hostPathOf = (name: string) => h.runtime.latest(name)!.config.mounts!.find((m) => m.containerPath === '/dev/termination-log')!.hostPath;
  fs.writeFileSync(hostPathOf('wrote'), 'config file missing');
  const logDirectory = `${h.dataDir}/agent/logs/pods/default_msg_${uid}`;
  fs.writeFileSync(`${logDirectory}/logged/0.log`, '2026-01-01T00:00:00.000000000Z stdout F starting\n2026-01-01T00:00:01.000000000Z stderr P panic: \n2026-01-01T00:00:01.000000000Z stderr F boom\n');
  h.runtime.exitContainer('wrote', 1);
  h.runtime.exitContainer('logged', 2);
  h.runtime.exitContainer('quiet', 3);
  await h.reconcile(uid);
  assert.equal(h.containerStatus(uid, 'wrote').state.terminated.message, 'config file missing');
  assert.equal(h.containerStatus(uid, 'logged').state.terminated.message, 'starting\npanic: boom\n');
  assert.equal(h.containerStatus(uid, 'quiet').state.terminated.message, undefined);
});

test('a pod deleted while the agent was down, with no containers left, still has its volumes torn down (once)', async () => {
  h = new Harness();
  h.uidsOnDisk = ['gone-while-down'];
  assert.equal(await h.reconcile('gone-while-down'), true);
  assert.deepEqual(h.tornDown, ['gone-while-down']);
  h.uidsOnDisk = [];
  assert.equal(await h.reconcile('gone-while-down'), true);
  assert.deepEqual(h.tornDown, ['gone-while-down'], 'nothing on disk: nothing to tear down');
});
