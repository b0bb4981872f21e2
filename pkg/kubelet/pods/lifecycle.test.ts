import assert from 'node:assert/strict';
import fs from 'node:fs';
import { afterEach, test } from 'node:test';
import { Harness, makePod, sleeper } from './testing/harness.ts';

let h: Harness;
afterEach(() => h?.close());


test('a pod gets its sandbox, then its containers in spec order, and reports Running with IDs, IPs and conditions', async () => {
  h = new Harness();
  const pod = h.add(makePod('web', { containers: [sleeper('a'), sleeper('b')] }));
  const uid = pod.metadata.uid!;
  assert.equal(await h.reconcile(uid), true);
  assert.deepEqual(h.runtime.calls, ['runPodSandbox default/web', 'createContainer a', 'startContainer a', 'createContainer b', 'startContainer b']);
  const status = h.pod(uid).status;
  assert.equal(status.phase, 'Running');
  assert.equal(status.podIP, '10.42.0.1');
  assert.deepEqual(status.podIPs, [{ ip: '10.42.0.1' }]);
  assert.equal(status.hostIP, '192.168.1.10');
  assert.equal(status.qosClass, 'BestEffort');
  assert.ok(status.startTime);
  const a = h.containerStatus(uid, 'a');
  assert.match(a.containerID, /^containerd:\/\/container\d+$/);
  assert.equal(a.containerID, `containerd://${h.runtime.latest('a')!.id}`);
  assert.deepEqual(Object.keys(a.state), ['running']);
  assert.equal(a.restartCount, 0);
  assert.equal(a.ready, true);
  assert.equal(a.started, true);
  assert.equal(a.image, 'busybox:1.36');
  assert.equal(a.imageID, 'sha256:busybox136');
  for (const type of ['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready']) assert.equal(h.condition(uid, type)?.status, 'True', type);
  assert.deepEqual(h.eventsOf('Started'), ['Started container a', 'Started container b']);
});

test('the sandbox and container configs carry the pod: hostname, DNS, log paths, labels, cgroup parent, resources, security context', async () => {
  h = new Harness();
  const pod = h.add(
    makePod('web', {
      securityContext: { runAsUser: 1000, fsGroup: 2000 },
      containers: [
        sleeper('app', {
          args: ['$(GREETING) world', '$$(GREETING)', '$(UNSET)'],
          workingDir: '/srv',
          env: [{ name: 'GREETING', value: 'hello' }],
          ports: [{ containerPort: 80, hostPort: 8080 }],
          resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
          securityContext: { runAsUser: 1001, readOnlyRootFilesystem: true, capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] }, allowPrivilegeEscalation: false },
        }),
      ],
    }),
  );
  h.mounts.set('app', [{ containerPath: '/data', hostPath: '/var/lib/x', readonly: true }]);
  const uid = pod.metadata.uid!;
  await h.reconcile(uid);
  const sandbox = [...h.runtime.sandboxes.values()][0]!.config;
  assert.equal(sandbox.hostname, 'web');
  assert.deepEqual(sandbox.metadata, { name: 'web', namespace: 'default', uid, attempt: 0 });
  assert.deepEqual(sandbox.dnsConfig, { servers: ['10.43.0.10'], searches: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'lan'], options: ['ndots:5'] });
  assert.equal(sandbox.logDirectory, `${h.dataDir}/agent/logs/pods/default_web_${uid}`);
  assert.deepEqual(sandbox.portMappings, [{ protocol: 'TCP', containerPort: 80, hostPort: 8080 }]);
  assert.equal(sandbox.labels!['io.kubernetes.pod.uid'], uid);
  assert.equal(sandbox.linux!.cgroupParent, `/kubepods/burstable/pod${uid}`);
  assert.deepEqual(sandbox.linux!.securityContext!.namespaceOptions, { network: 'POD', pid: 'CONTAINER', ipc: 'POD' });
  assert.deepEqual(sandbox.linux!.securityContext!.supplementalGroups, [2000]);
  const config = h.runtime.latest('app')!.config;
  assert.deepEqual(config.args, ['hello world', '$(GREETING)', '$(UNSET)']);
  assert.equal(config.workingDir, '/srv');
  assert.deepEqual(config.envs, [{ key: 'GREETING', value: 'hello' }]);
  const hostsFile = `${h.dataDir}/agent/pods/${uid}/etc-hosts`;
  assert.deepEqual(config.mounts, [
    { containerPath: '/data', hostPath: '/var/lib/x', readonly: true },
    { containerPath: '/etc/hosts', hostPath: hostsFile, readonly: false, selinuxRelabel: false, propagation: 'PROPAGATION_PRIVATE' },
    { containerPath: '/dev/termination-log', hostPath: `${h.dataDir}/agent/pods/${uid}/containers/app/0`, readonly: false, selinuxRelabel: false, propagation: 'PROPAGATION_PRIVATE' },
  ]);
  const hosts = fs.readFileSync(hostsFile, 'utf8');
  assert.ok(hosts.startsWith('# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n'), hosts);
  assert.ok(hosts.endsWith('\n10.42.0.1\tweb\n'), hosts);
  assert.equal(config.logPath, 'app/0.log');
  assert.equal(config.image.image, 'sha256:busybox136');
  assert.deepEqual(config.linux!.resources, { cpuShares: 256, cpuPeriod: 100000, cpuQuota: 50000, memoryLimitInBytes: 128 * 2 ** 20, oomScoreAdj: 1000 - Math.floor((1000 * 64) / 8192) });
  const sc = config.linux!.securityContext!;
  assert.deepEqual(sc.runAsUser, { value: 1001 });
  assert.equal(sc.readonlyRootfs, true);
  assert.equal(sc.noNewPrivs, true);
  assert.deepEqual(sc.capabilities, { addCapabilities: ['NET_ADMIN'], dropCapabilities: ['ALL'] });
  assert.ok(sc.maskedPaths!.includes('/proc/kcore'));
});

test('init containers run one at a time, in order, before any container; the pod stays Pending meanwhile', async () => {
  h = new Harness();
  const uid = h.add(makePod('init', { initContainers: [sleeper('one'), sleeper('two')], containers: [sleeper('main')] })).metadata.uid!;
  await h.reconcile(uid);
  assert.deepEqual(h.runtime.calls, ['runPodSandbox default/init', 'createContainer one', 'startContainer one']);
  assert.equal(h.pod(uid).status.phase, 'Pending');
  assert.equal(h.condition(uid, 'Initialized')?.message, 'containers with incomplete status: [one two]');
  assert.equal(h.containerStatus(uid, 'two').state.waiting.reason, 'PodInitializing');
  assert.equal(h.containerStatus(uid, 'main').state.waiting.reason, 'PodInitializing');
  await h.reconcile(uid);
  assert.equal(h.runtime.calls.length, 3, 'nothing starts while "one" runs');
  h.runtime.exitContainer('one', 0);
  await h.reconcile(uid);
  assert.deepEqual(h.runtime.calls.slice(3), ['createContainer two', 'startContainer two']);
  h.runtime.exitContainer('two', 0);
  await h.reconcile(uid);
  assert.deepEqual(h.runtime.calls.slice(5), ['createContainer main', 'startContainer main']);
  assert.equal(h.pod(uid).status.phase, 'Running');
  assert.equal(h.condition(uid, 'Initialized')?.status, 'True');
  const one = h.containerStatus(uid, 'one');
  assert.equal(one.state.terminated.reason, 'Completed');
  assert.equal(one.ready, true);
});

test('a failed init container fails a restartPolicy Never pod and is retried with back-off otherwise', async () => {
  h = new Harness();
  const never = h.add(makePod('never', { restartPolicy: 'Never', initContainers: [sleeper('init')], containers: [sleeper('main')] })).metadata.uid!;
  await h.reconcile(never);
  h.runtime.exitContainer('init', 3);
  await h.reconcile(never);
  assert.equal(h.pod(never).status.phase, 'Failed');
  assert.equal(h.runtime.calls.filter((c) => c === 'createContainer init').length, 1);
  assert.equal(h.runtime.calls.includes('createContainer main'), false);
  assert.ok(h.runtime.calls.includes('stopPodSandbox never'), 'a finished pod keeps no sandbox running');
  await h.reconcile(never);
  assert.deepEqual(h.tornDown, [never], 'volumes are torn down once');

  const always = h.add(makePod('always', { initContainers: [sleeper('init2')], containers: [sleeper('main2')] })).metadata.uid!;
  await h.reconcile(always);
  h.runtime.exitContainer('init2', 1);
  await h.reconcile(always);
  assert.equal(h.runtime.calls.filter((c) => c === 'createContainer init2').length, 2, 'first failure restarts at once');
  h.runtime.exitContainer('init2', 1);
  const again = await h.reconcile(always);
  assert.equal(typeof again, 'number');
  assert.equal(h.containerStatus(always, 'init2').state.waiting.reason, 'CrashLoopBackOff');
  assert.equal(h.pod(always).status.phase, 'Pending');
});

test('restartPolicy Always restarts an exited container, then backs off 10 s, 20 s, … (CrashLoopBackOff) with lastState', async () => {
  h = new Harness();
  const pod = h.add(makePod('crash', { containers: [sleeper('c')] }));
  const uid = pod.metadata.uid!;
  await h.reconcile(uid);
  h.advance(1000);
  h.runtime.exitContainer('c', 1);
  assert.equal(await h.reconcile(uid), true);
  assert.equal(h.containerStatus(uid, 'c').restartCount, 1, 'the first exit restarts at once');
  assert.equal(h.containerStatus(uid, 'c').lastState.terminated.exitCode, 1);
  assert.equal(h.runtime.latest('c')!.config.logPath, 'c/1.log');

  h.advance(1000);
  h.runtime.exitContainer('c', 2);
  const wait = await h.reconcile(uid);
  assert.equal(wait, 10_000);
  let c = h.containerStatus(uid, 'c');
  assert.equal(c.state.waiting.reason, 'CrashLoopBackOff');
  assert.equal(c.state.waiting.message, `back-off 10s restarting failed container=c pod=crash_default(${uid})`);
  assert.equal(c.lastState.terminated.exitCode, 2);
  assert.equal(c.lastState.terminated.reason, 'Error');
  assert.equal(c.restartCount, 1);
  assert.equal(h.pod(uid).status.phase, 'Running', 'a crash-looping container keeps an Always pod Running');
  assert.equal(h.condition(uid, 'Ready')?.status, 'False');
  assert.deepEqual(h.eventsOf('BackOff'), [`Back-off restarting failed container c in pod crash_default(${uid})`]);

  h.advance(10_000);
  assert.equal(await h.reconcile(uid), true);
  c = h.containerStatus(uid, 'c');
  assert.equal(c.restartCount, 2);
  assert.ok(c.state.running);
  h.advance(1000);
  h.runtime.exitContainer('c', 2);
  assert.equal(await h.reconcile(uid), 20_000, 'the back-off doubled');
  assert.equal(h.containerStatus(uid, 'c').state.waiting.message, `back-off 20s restarting failed container=c pod=crash_default(${uid})`);
});

test('the back-off starts again from 10 s after a container ran for more than ten minutes', async () => {
  h = new Harness();
  const uid = h.add(makePod('long', { containers: [sleeper('c')] })).metadata.uid!;
  await h.reconcile(uid);
  for (let i = 0; i < 3; i++) {
    h.runtime.exitContainer('c', 1);
    const wait = await h.reconcile(uid);
    if (typeof wait === 'number') {
      h.advance(wait);
      await h.reconcile(uid);
    }
  }
  h.advance(11 * 60_000);
  h.runtime.exitContainer('c', 1);
  assert.equal(await h.reconcile(uid), true, 'restarted at once');
  h.runtime.exitContainer('c', 1);
  assert.equal(await h.reconcile(uid), 10_000);
});

test('restartPolicy OnFailure restarts failures only; Never restarts nothing; phases follow', async () => {
  h = new Harness();
  const ok = h.add(makePod('ok', { restartPolicy: 'OnFailure', containers: [sleeper('job')] })).metadata.uid!;
  await h.reconcile(ok);
  h.runtime.exitContainer('job', 1);
  await h.reconcile(ok);
  assert.equal(h.containerStatus(ok, 'job').restartCount, 1);
  h.runtime.exitContainer('job', 0);
  await h.reconcile(ok);
  assert.equal(h.pod(ok).status.phase, 'Succeeded');
  assert.equal(h.containerStatus(ok, 'job').state.terminated.reason, 'Completed');
  assert.equal(h.condition(ok, 'Ready')?.reason, 'PodCompleted');
  assert.equal(h.runtime.calls.filter((c) => c === 'createContainer job').length, 2);

  const never = h.add(makePod('never', { restartPolicy: 'Never', containers: [sleeper('a'), sleeper('b')] })).metadata.uid!;
  await h.reconcile(never);
  h.runtime.exitContainer('a', 0);
  await h.reconcile(never);
  assert.equal(h.pod(never).status.phase, 'Running', 'b still runs');
  h.runtime.exitContainer('b', 1);
  await h.reconcile(never);
  assert.equal(h.pod(never).status.phase, 'Failed');
  await h.reconcile(never);
  assert.equal(h.runtime.calls.filter((c) => c === 'createContainer b').length, 1);
});

test('a sandbox that died is re-created with the next attempt and its containers restarted; a Never pod that ran is not', async () => {
  h = new Harness();
  const uid = h.add(makePod('sb', { containers: [sleeper('c')] })).metadata.uid!;
  await h.reconcile(uid);
  const first = [...h.runtime.sandboxes.values()][0]!;
  first.state = 'SANDBOX_NOTREADY';
  await h.reconcile(uid);
  assert.deepEqual(h.eventsOf('SandboxChanged'), ['Pod sandbox changed, it will be killed and re-created.']);
  const sandboxes = [...h.runtime.sandboxes.values()].filter((s) => s.config.metadata.uid === uid);
  assert.equal(sandboxes.at(-1)!.config.metadata.attempt, 1);
  assert.equal(h.containerStatus(uid, 'c').restartCount, 1);
  assert.ok(h.containerStatus(uid, 'c').state.running);

  const never = h.add(makePod('nv', { restartPolicy: 'Never', containers: [sleeper('n')] })).metadata.uid!;
  await h.reconcile(never);
  [...h.runtime.sandboxes.values()].find((s) => s.config.metadata.uid === never)!.state = 'SANDBOX_NOTREADY';
  h.runtime.exitContainer('n', 137);
  await h.reconcile(never);
  assert.equal(h.runtime.calls.filter((c) => c === 'runPodSandbox default/nv').length, 1);
  assert.equal(h.pod(never).status.phase, 'Failed');
});

test('a changed container spec (new image) restarts the container', async () => {
  h = new Harness();
  const uid = h.add(makePod('img', { containers: [sleeper('c')] })).metadata.uid!;
  await h.reconcile(uid);
  const pod = h.pod(uid);
  h.runtime.images.set('busybox:1.37', 'sha256:busybox137');
  h.pods.set(uid, { ...pod, spec: { ...pod.spec, containers: [sleeper('c', { image: 'busybox:1.37' })] } });
  await h.reconcile(uid);
  assert.deepEqual(h.eventsOf('Killing'), ['Container c definition changed, will be restarted']);
  const c = h.containerStatus(uid, 'c');
  assert.equal(c.image, 'busybox:1.37');
  assert.equal(c.imageID, 'sha256:busybox137');
  assert.equal(c.restartCount, 1);
});

test('past spec.activeDeadlineSeconds the pod is stopped and Failed with DeadlineExceeded', async () => {
  h = new Harness();
  const uid = h.add(makePod('deadline', { activeDeadlineSeconds: 60, containers: [sleeper('c')] })).metadata.uid!;
  assert.equal(await h.reconcile(uid), 60_000);
  h.advance(60_000);
  assert.equal(await h.reconcile(uid), true);
  const status = h.pod(uid).status;
  assert.equal(status.phase, 'Failed');
  assert.equal(status.reason, 'DeadlineExceeded');
  assert.equal(status.message, 'Pod was active on the node longer than the specified deadline');
  assert.ok(h.containerStatus(uid, 'c').state.terminated);
  assert.ok(h.runtime.calls.includes('stopPodSandbox deadline'));
  assert.deepEqual(h.eventsOf('DeadlineExceeded'), ['Pod was active on the node longer than the specified deadline']);
});

test('old dead instances are removed, keeping the newest two per container', async () => {
  h = new Harness();
  const uid = h.add(makePod('gc', { containers: [sleeper('c')] })).metadata.uid!;
  await h.reconcile(uid);
  for (let i = 0; i < 4; i++) {
    h.runtime.exitContainer('c', 1);
    const wait = await h.reconcile(uid);
    if (typeof wait === 'number') {
      h.advance(wait);
      await h.reconcile(uid);
    }
  }
  const left = [...h.runtime.containers.values()].filter((c) => c.config.metadata.name === 'c');
  assert.equal(left.length, 2);
  assert.deepEqual(left.map((c) => c.config.metadata.attempt).sort(), [3, 4]);
});
