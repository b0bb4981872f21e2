/** What keeps a container from starting: images, environment, volumes, security checks, a command that cannot run. */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { pullPolicy } from './images.ts';
import { Harness, makePod, sleeper } from './testing/harness.ts';

let h: Harness;
afterEach(() => h?.close());

test('the default pull policy is Always for :latest and untagged images, IfNotPresent otherwise', () => {
  assert.equal(pullPolicy({ name: 'a', image: 'busybox' }), 'Always');
  assert.equal(pullPolicy({ name: 'a', image: 'busybox:latest' }), 'Always');
  assert.equal(pullPolicy({ name: 'a', image: 'localhost:5000/busybox' }), 'Always');
  assert.equal(pullPolicy({ name: 'a', image: 'localhost:5000/busybox:1.36' }), 'IfNotPresent');
  assert.equal(pullPolicy({ name: 'a', image: 'busybox@sha256:abc' }), 'IfNotPresent');
  assert.equal(pullPolicy({ name: 'a', image: 'busybox', imagePullPolicy: 'Never' }), 'Never');
});

test('IfNotPresent uses a present image without pulling', async () => {
  h = new Harness();
  const uid = h.add(makePod('p', { containers: [{ name: 'c', image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent' }] })).metadata.uid!;
  await h.reconcile(uid);
  assert.equal(h.runtime.calls.some((c) => c.startsWith('pullImage')), false);
  assert.deepEqual(h.eventsOf('Pulled'), ['Container image "busybox:1.36" already present on machine']);
});

test('a missing image that cannot be pulled: ErrImagePull, then ImagePullBackOff until the back-off ends, the agent carrying on', async () => {
  h = new Harness();
  const uid = h.add(makePod('p', { containers: [{ name: 'c', image: 'missing:1' }] })).metadata.uid!;
  const wait = await h.reconcile(uid);
  assert.equal(wait, 10_000);
  let c = h.containerStatus(uid, 'c');
  assert.equal(c.state.waiting.reason, 'ErrImagePull');
  assert.match(c.state.waiting.message, /no registry/);
  assert.equal(h.pod(uid).status.phase, 'Pending');
  assert.deepEqual(h.eventsOf('Pulling'), ['Pulling image "missing:1"']);
  assert.deepEqual(h.eventsOf('Failed'), ['Failed to pull image "missing:1": failed to resolve reference: no registry', 'Error: ErrImagePull']);

  h.advance(3000);
  assert.equal(await h.reconcile(uid), 7000);
  c = h.containerStatus(uid, 'c');
  assert.equal(c.state.waiting.reason, 'ImagePullBackOff');
  assert.equal(c.state.waiting.message, 'Back-off pulling image "missing:1"');
  assert.equal(h.runtime.calls.filter((x) => x.startsWith('pullImage')).length, 1, 'no pull during the back-off');

  // The image becomes pullable: the next try after the back-off starts the container.
  h.runtime.pullError = undefined;
  h.advance(7000);
  assert.equal(await h.reconcile(uid), true);
  assert.ok(h.containerStatus(uid, 'c').state.running);
  assert.match(h.eventsOf('Pulled')[0]!, /^Successfully pulled image "missing:1" in \d+\.\d{3}s/);
});

test('policy Never with a missing image: ErrImageNeverPull, no pull', async () => {
  h = new Harness();
  const uid = h.add(makePod('p', { containers: [{ name: 'c', image: 'missing:1', imagePullPolicy: 'Never' }] })).metadata.uid!;
  await h.reconcile(uid);
  const c = h.containerStatus(uid, 'c');
  assert.equal(c.state.waiting.reason, 'ErrImageNeverPull');
  assert.equal(c.state.waiting.message, 'Container image "missing:1" is not present with pull policy of Never');
  assert.deepEqual(h.eventsOf('ErrImageNeverPull'), ['Container image "missing:1" is not present with pull policy of Never']);
  assert.equal(h.runtime.calls.some((x) => x.startsWith('pullImage')), false);
});

test('policy Always with no registry runs the image the node has, with a warning', async () => {
  h = new Harness();
  const uid = h.add(makePod('p', { containers: [{ name: 'c', image: 'busybox:latest' }] })).metadata.uid!;
  await h.reconcile(uid);
  assert.ok(h.containerStatus(uid, 'c').state.running);
  assert.deepEqual(h.eventsOf('Failed'), ['Failed to pull image "busybox:latest": failed to resolve reference: no registry; using the image present on the node']);
});

test('an environment that cannot be resolved: CreateContainerConfigError, retried', async () => {
  h = new Harness();
  const uid = h.add(makePod('p', { containers: [{ name: 'c', image: 'busybox:1.36', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'missing', key: 'k' } } }] }] })).metadata.uid!;
  assert.equal(typeof (await h.reconcile(uid)), 'number');
  const c = h.containerStatus(uid, 'c');
  assert.equal(c.state.waiting.reason, 'CreateContainerConfigError');
  assert.equal(c.state.waiting.message, 'configmap "missing" not found');
  assert.deepEqual(h.eventsOf('Failed'), ['Error: configmap "missing" not found']);
});

test('volumes that cannot be set up keep the pod ContainerCreating, with no sandbox, until they can', async () => {
  h = new Harness();
  h.volumeError = new Error('MountVolume.SetUp failed for volume "cfg" : configmap "cfg" not found');
  const uid = h.add(makePod('p', { containers: [{ name: 'c', image: 'busybox:1.36' }] })).metadata.uid!;
  assert.equal(typeof (await h.reconcile(uid)), 'number');
  assert.equal(h.containerStatus(uid, 'c').state.waiting.reason, 'ContainerCreating');
  assert.deepEqual(h.runtime.calls, []);
  h.volumeError = undefined;
  await h.reconcile(uid);
  assert.ok(h.containerStatus(uid, 'c').state.running);
});

test('runAsNonRoot: refused for an image running as root or as a non-numeric user, allowed with a non-root runAsUser or image user', async () => {
  h = new Harness();
  h.runtime.images.set('app:1', 'sha256:app1');
  h.runtime.imageUsers.set('named:1', { username: 'nobody' });
  h.runtime.images.set('named:1', 'sha256:named1');
  h.runtime.imageUsers.set('numeric:1', { uid: 1000 });
  h.runtime.images.set('numeric:1', 'sha256:numeric1');
  const pod = h.add(
    makePod('nonroot', {
      securityContext: { runAsNonRoot: true },
      containers: [
        { name: 'root', image: 'app:1' },
        { name: 'named', image: 'named:1' },
        { name: 'zero', image: 'numeric:1', securityContext: { runAsUser: 0 } },
        { name: 'numeric', image: 'numeric:1' },
        { name: 'set', image: 'app:1', securityContext: { runAsUser: 1000 } },
      ],
    }),
  );
  const uid = pod.metadata.uid!;
  await h.reconcile(uid);
  const where = (c: string) => `(pod: "nonroot_default(${uid})", container: ${c})`;
  const waiting = (c: string) => h.containerStatus(uid, c).state.waiting;
  assert.deepEqual(waiting('root'), { reason: 'CreateContainerConfigError', message: `container has runAsNonRoot and image will run as root ${where('root')}` });
  assert.equal(waiting('named').message, `container has runAsNonRoot and image has non-numeric user (nobody), cannot verify user is non-root ${where('named')}`);
  assert.equal(waiting('zero').message, `container's runAsUser breaks non-root policy ${where('zero')}`);
  assert.ok(h.containerStatus(uid, 'numeric').state.running);
  assert.ok(h.containerStatus(uid, 'set').state.running);
});

test('a command that cannot start: RunContainerError, then StartError in lastState with back-off; a Never pod fails', async () => {
  h = new Harness();
  const uid = h.add(makePod('nocmd', { containers: [sleeper('c', { command: ['missing-command'] })] })).metadata.uid!;
  assert.equal(typeof (await h.reconcile(uid)), 'number');
  let c = h.containerStatus(uid, 'c');
  assert.equal(c.state.waiting.reason, 'RunContainerError');
  assert.match(c.state.waiting.message, /executable file not found/);
  assert.equal(c.lastState.terminated.reason, 'StartError');
  await h.reconcile(uid);
  await h.reconcile(uid);
  c = h.containerStatus(uid, 'c');
  assert.equal(c.state.waiting.reason, 'CrashLoopBackOff');

  const never = h.add(makePod('nocmd-never', { restartPolicy: 'Never', containers: [sleeper('n', { command: ['missing-command'] })] })).metadata.uid!;
  await h.reconcile(never);
  await h.reconcile(never);
  assert.equal(h.pod(never).status.phase, 'Failed');
  assert.equal(h.containerStatus(never, 'n').state.terminated.reason, 'StartError');
});

test('a sandbox the runtime cannot make: FailedCreatePodSandBox, the pod reported ContainerCreating, retried with back-off', async () => {
  h = new Harness();
  h.runtime.sandboxError = new Error('failed to setup network for sandbox: cni plugin not initialized');
  const uid = h.add(makePod('nonet', { containers: [sleeper('c')] })).metadata.uid!;
  assert.equal(await h.reconcile(uid), 1000);
  assert.deepEqual(h.eventsOf('FailedCreatePodSandBox'), ['Failed to create pod sandbox: failed to setup network for sandbox: cni plugin not initialized']);
  assert.equal(h.pod(uid).status.phase, 'Pending');
  assert.equal(h.containerStatus(uid, 'c').state.waiting.reason, 'ContainerCreating');
  assert.equal(h.condition(uid, 'PodReadyToStartContainers')?.status, 'False');
  assert.equal(await h.reconcile(uid), 1000, 'no new attempt during the back-off');
  assert.equal(h.runtime.calls.filter((c) => c.startsWith('runPodSandbox')).length, 1);
  h.advance(1000);
  assert.equal(await h.reconcile(uid), 2000, 'the back-off doubles');
  h.runtime.sandboxError = undefined;
  h.advance(2000);
  assert.equal(await h.reconcile(uid), true);
  assert.ok(h.containerStatus(uid, 'c').state.running);
});
