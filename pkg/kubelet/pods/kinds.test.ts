/** Containers beside the regular ones: sidecars (restartable init containers) and ephemeral containers. */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { Harness, makePod, sleeper } from './testing/harness.ts';

let h: Harness;
afterEach(() => h?.close());

const sidecar = (name: string) => sleeper(name, { restartPolicy: 'Always' });

test('a sidecar starts, then the next init container and the containers follow while it keeps running', async () => {
  h = new Harness();
  const uid = h.add(makePod('side', { restartPolicy: 'Never', initContainers: [sidecar('proxy'), sleeper('setup')], containers: [sleeper('main')] })).metadata.uid!;
  await h.reconcile(uid);
  assert.deepEqual(h.runtime.calls, ['runPodSandbox default/side', 'createContainer proxy', 'startContainer proxy']);
  await h.reconcile(uid);
  assert.deepEqual(h.runtime.calls.slice(3), ['createContainer setup', 'startContainer setup']);
  h.runtime.exitContainer('setup', 0);
  await h.reconcile(uid);
  assert.deepEqual(h.runtime.calls.slice(5), ['createContainer main', 'startContainer main']);
  assert.equal(h.pod(uid).status.phase, 'Running');
  assert.equal(h.condition(uid, 'Initialized')?.status, 'True');
  assert.equal(h.condition(uid, 'Ready')?.status, 'True');
  const proxy = h.containerStatus(uid, 'proxy');
  assert.ok(proxy.state.running);
  assert.equal(proxy.ready, true);
  assert.equal(proxy.started, true);
});

test('a sidecar that exits is restarted even in a restartPolicy Never pod, and its readiness counts for the pod', async () => {
  h = new Harness();
  const uid = h.add(makePod('side', { restartPolicy: 'Never', initContainers: [sidecar('proxy')], containers: [sleeper('main')] })).metadata.uid!;
  await h.reconcile(uid);
  await h.reconcile(uid);
  h.runtime.exitContainer('proxy', 1);
  await h.reconcile(uid);
  assert.equal(h.containerStatus(uid, 'proxy').restartCount, 1);
  assert.ok(h.containerStatus(uid, 'proxy').state.running);
  h.runtime.exitContainer('proxy', 1);
  await h.reconcile(uid);
  assert.equal(h.containerStatus(uid, 'proxy').state.waiting.reason, 'CrashLoopBackOff');
  assert.equal(h.condition(uid, 'ContainersReady')?.message, 'containers with unready status: [proxy]');
  assert.equal(h.pod(uid).status.phase, 'Running', 'main still runs');
  // The containers are not held back by a sidecar in back-off.
  const always = h.add(makePod('always', { initContainers: [sidecar('proxy2')], containers: [sleeper('main2')] })).metadata.uid!;
  await h.reconcile(always);
  await h.reconcile(always);
  h.runtime.exitContainer('proxy2', 1);
  await h.reconcile(always);
  h.runtime.exitContainer('proxy2', 1);
  h.runtime.exitContainer('main2', 1);
  await h.reconcile(always);
  assert.equal(h.containerStatus(always, 'proxy2').state.waiting.reason, 'CrashLoopBackOff');
  assert.equal(h.containerStatus(always, 'main2').restartCount, 1);
  assert.ok(h.containerStatus(always, 'main2').state.running);
});

test('once the containers of a Never pod are done, the pod succeeds and its sidecar is stopped', async () => {
  h = new Harness();
  const uid = h.add(makePod('job', { restartPolicy: 'Never', initContainers: [sidecar('proxy')], containers: [sleeper('main')] })).metadata.uid!;
  await h.reconcile(uid);
  await h.reconcile(uid);
  h.runtime.exitContainer('main', 0);
  await h.reconcile(uid);
  assert.equal(h.pod(uid).status.phase, 'Succeeded');
  assert.ok(h.runtime.calls.includes('stopContainer proxy 30'));
  assert.ok(h.runtime.calls.includes('stopPodSandbox job'));
});

test('on deletion the containers stop before their sidecars', async () => {
  h = new Harness();
  const uid = h.add(makePod('order', { initContainers: [sidecar('proxy')], containers: [sleeper('a'), sleeper('b')] })).metadata.uid!;
  await h.reconcile(uid);
  await h.reconcile(uid);
  h.runtime.calls.length = 0;
  h.delete(uid);
  await h.reconcile(uid);
  const stops = h.runtime.calls.filter((c) => c.startsWith('stopContainer')).map((c) => c.split(' ')[1]);
  assert.deepEqual(stops, ['a', 'b', 'proxy']);
  assert.deepEqual(h.deleted, [uid]);
});

test('an ephemeral container (kubectl debug) starts once, targets another container PID namespace, and is reported apart', async () => {
  h = new Harness();
  const uid = h.add(makePod('debugged', { containers: [sleeper('app')] })).metadata.uid!;
  await h.reconcile(uid);
  const pod = h.pod(uid);
  h.pods.set(uid, { ...pod, spec: { ...pod.spec, ephemeralContainers: [sleeper('debugger', { targetContainerName: 'app', stdin: true, tty: true })] } });
  await h.reconcile(uid);
  const config = h.runtime.latest('debugger')!.config;
  assert.deepEqual(config.linux!.securityContext!.namespaceOptions, { network: 'POD', pid: 'TARGET', ipc: 'POD', targetId: h.runtime.latest('app')!.id });
  assert.equal(config.tty, true);
  const status = h.pod(uid).status;
  assert.ok(status.ephemeralContainerStatuses[0].state.running);
  assert.deepEqual(status.containerStatuses.map((c: { name: string }) => c.name), ['app']);
  h.runtime.exitContainer('debugger', 0);
  await h.reconcile(uid);
  assert.equal(h.runtime.calls.filter((c) => c === 'createContainer debugger').length, 1, 'never restarted');
  assert.equal(h.pod(uid).status.phase, 'Running');
});
