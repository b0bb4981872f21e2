/**
 * The pod workers (pkg/kubelet/pods PodManager) against a real API server (dist/tsk) and a
 * real containerd with tsk's pause image and a busybox image built from /bin/busybox, with
 * kubectl as the witness. Pods use the host network: this test sets up no CNI.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '../pkg/client/client.ts';
import { EventRecorder } from '../pkg/client/events.ts';
import { importImages } from '../pkg/containerd/import.ts';
import { pauseImageArchive, pauseImageName } from '../pkg/containerd/pause.ts';
import { runtimeMissing, startTestRuntime, type TestRuntime } from '../pkg/cri/testkit.ts';
import { PodManager } from '../pkg/kubelet/pods/manager.ts';
import type { RuntimeService } from '../pkg/kubelet/runtime.ts';
import { clusterPerFile, freePort } from './lib/cluster.ts';
import { buildBusyboxImage } from './lib/images.ts';
import { until } from './lib/until.ts';

const IMAGE = 'tsk.local/busybox:kubelet-test';
const NODE = 'node1';
const NODE_IP = '127.0.0.1';
const CGROUP_ROOT = `/tsk-kubelet-test-${process.pid}`;

/** The pod workers remove pods' cgroups; the QoS parents under the test's root are the test's to remove. */
function removeTestCgroups(): void {
  const mount = '/sys/fs/cgroup';
  const hierarchies = fs.existsSync(path.join(mount, 'cgroup.controllers')) ? [mount] : fs.readdirSync(mount).map((d) => path.join(mount, d));
  for (const h of hierarchies) {
    for (const dir of ['burstable', 'besteffort', '']) {
      try {
        fs.rmdirSync(path.join(h, CGROUP_ROOT, dir));
      } catch {
        // absent, or not empty (then the assertion below tells)
      }
    }
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

describe('pod workers on a real containerd', { skip: runtimeMissing }, () => {
  let runtime: TestRuntime;
  let client: Client;
  let dataDir: string;
  let manager: PodManager;
  // Registered before the cluster's own hooks: the pod workers stop before the API server does.
  after(async () => {
    manager?.stop();
    client?.close();
    await runtime?.stop();
    removeTestCgroups();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const { cluster, ok } = clusterPerFile();

  const startManager = () => {
    // CriClient is the RuntimeService the pod workers declare: this assignment is the type check.
    const cri: RuntimeService = runtime.client;
    manager = new PodManager({
      client,
      nodeName: NODE,
      nodeIP: NODE_IP,
      runtime: cri,
      volumes: { setUp: async () => new Map(), tearDown: async () => {} },
      env: { envFor: async (_pod, c) => ((c.env ?? []) as { name: string; value?: string }[]).map((e) => ({ key: e.name, value: e.value ?? '' })) },
      recorder: new EventRecorder(client, { component: 'kubelet', host: NODE }),
      dataDir,
      clusterDns: '10.43.0.10',
      clusterDomain: 'cluster.local',
      cgroupRoot: CGROUP_ROOT,
    });
    return manager.start();
  };

  before(async () => {
    runtime = await startTestRuntime(pauseImageName());
    const { ctr, snapshotter } = runtime.containerd;
    await importImages(ctr, pauseImageArchive(), snapshotter);
    await importImages(ctr, buildBusyboxImage({ name: IMAGE, dir: runtime.tmp }), snapshotter);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-kubelet-pods-'));
    client = Client.fromKubeconfig(cluster().kubeconfig);
    await ok(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: NODE } }));
    await startManager();
  });


  const createPod = (name: string, spec: Json) =>
    ok(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: NODE, hostNetwork: true, terminationGracePeriodSeconds: 2, ...spec } }));
  const getPod = async (name: string): Promise<Json> => JSON.parse(await ok(['get', 'pod', name, '-o', 'json']));
  const podWhere = (name: string, what: string, test: (pod: Json) => boolean) =>
    until(`pod ${name} ${what}`, async () => {
      const pod = await getPod(name);
      return test(pod) ? pod : undefined;
    });
  const eventsOf = async (name: string) => JSON.parse(await ok(['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'json'])).items as Json[];
  const container = (image = IMAGE, command = ['sleep', '3600'], extra: Json = {}) => ({ name: 'main', image, imagePullPolicy: 'IfNotPresent', command, ...extra });

  let sleeperId = '';

  it('runs a pod: Running and Ready, with a containerd container ID the runtime knows and the node address', async () => {
    await createPod('sleeper', { containers: [container()] });
    const pod = await podWhere('sleeper', 'is Ready', (p) => p.status?.conditions?.some((c: Json) => c.type === 'Ready' && c.status === 'True'));
    assert.equal(pod.status.phase, 'Running');
    assert.equal(pod.status.podIP, NODE_IP);
    assert.equal(pod.status.hostIP, NODE_IP);
    const status = pod.status.containerStatuses[0];
    assert.match(status.containerID, /^containerd:\/\/[0-9a-f]{64}$/);
    assert.match(status.imageID, /sha256:[0-9a-f]{64}/);
    sleeperId = status.containerID.slice('containerd://'.length);
    const { status: inRuntime } = await runtime.client.containerStatus({ containerId: sleeperId });
    assert.equal(inRuntime!.state, 'CONTAINER_RUNNING');
    assert.equal(inRuntime!.labels['io.kubernetes.pod.uid'], pod.metadata.uid);
    const log = path.join(dataDir, 'agent', 'logs', 'pods', `default_sleeper_${pod.metadata.uid}`, 'main', '0.log');
    assert.equal(inRuntime!.logPath, log);
    const reasons = (await eventsOf('sleeper')).map((e) => e.reason);
    for (const r of ['Pulled', 'Created', 'Started']) assert.ok(reasons.includes(r), `${r} in ${reasons}`);
  });

  it('resources become cgroup limits the container sees', async () => {
    const limits = { cpu: '250m', memory: '64Mi' };
    await createPod('limited', { containers: [container(IMAGE, ['sleep', '3600'], { resources: { limits, requests: limits } })] });
    const pod = await podWhere('limited', 'runs', (p) => p.status?.phase === 'Running');
    assert.equal(pod.status.qosClass, 'Guaranteed');
    const containerId = pod.status.containerStatuses[0].containerID.slice('containerd://'.length);
    const read = async (file: string) => {
      const res = await runtime.client.execSync({ containerId, cmd: ['cat', file], timeout: 10 });
      return res.exitCode === 0 ? Buffer.from(res.stdout).toString().trim() : undefined;
    };
    // cgroup v2 files first, then v1's.
    const memory = (await read('/sys/fs/cgroup/memory.max')) ?? (await read('/sys/fs/cgroup/memory/memory.limit_in_bytes'));
    assert.equal(memory, String(64 * 2 ** 20));
    const cpu = (await read('/sys/fs/cgroup/cpu.max')) ?? (await read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'));
    assert.match(cpu ?? '', /^25000( 100000)?$/);
  });

  it('a restarted agent adopts the running container instead of starting another', async () => {
    manager.stop();
    // start() resolves after the first relist queued every pod the runtime holds; idle() after they were reconciled.
    await startManager();
    await manager.idle();
    const pod = await getPod('sleeper');
    assert.equal((await runtime.client.listContainers({ filter: { labelSelector: { 'io.kubernetes.pod.uid': pod.metadata.uid } } })).containers.length, 1);
    assert.equal(pod.status.containerStatuses[0].containerID, `containerd://${sleeperId}`);
    assert.equal(pod.status.containerStatuses[0].restartCount, 0);
  });

  it('init containers run to completion first; an HTTP readiness probe on the pod address makes the pod Ready', async () => {
    const port = await freePort();
    await createPod('served', {
      initContainers: [{ ...container(IMAGE, ['true']), name: 'init' }],
      containers: [container(IMAGE, ['httpd', '-f', '-p', `${NODE_IP}:${port}`, '-h', '/etc'], { readinessProbe: { httpGet: { path: '/passwd', port }, periodSeconds: 1 } })],
    });
    const pod = await podWhere('served', 'is Ready', (p) => p.status?.conditions?.some((c: Json) => c.type === 'Ready' && c.status === 'True'));
    assert.equal(pod.status.initContainerStatuses[0].state.terminated.reason, 'Completed');
    const ready = pod.status.conditions.find((c: Json) => c.type === 'Ready');
    assert.equal(ready.reason, undefined, 'the reason of the earlier False is gone');
    assert.equal(ready.message, undefined);
    assert.equal(pod.status.containerStatuses[0].ready, true);
    assert.ok(Date.parse(pod.status.initContainerStatuses[0].state.terminated.finishedAt) <= Date.parse(pod.status.containerStatuses[0].state.running.startedAt));
  });

  it('restartPolicy Never: a container exiting 3 fails the pod with its exit code and termination message', async () => {
    await createPod('fails', { restartPolicy: 'Never', containers: [container(IMAGE, ['sh', '-c', 'echo oops > /dev/termination-log; exit 3'])] });
    const pod = await podWhere('fails', 'is Failed', (p) => p.status?.phase === 'Failed');
    const terminated = pod.status.containerStatuses[0].state.terminated;
    assert.equal(terminated.exitCode, 3);
    assert.equal(terminated.reason, 'Error');
    assert.equal(terminated.message, 'oops\n');
  });

  it('restartPolicy Always: a crashing container is restarted, then waits in CrashLoopBackOff', async () => {
    await createPod('crash', { containers: [container(IMAGE, ['sh', '-c', 'exit 1'])] });
    const pod = await podWhere('crash', 'is in CrashLoopBackOff', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff');
    const status = pod.status.containerStatuses[0];
    assert.ok(status.restartCount >= 1);
    assert.equal(status.lastState.terminated.exitCode, 1);
    assert.ok((await eventsOf('crash')).some((e) => e.reason === 'BackOff'));
  });

  it('a failing liveness probe restarts the container, with Unhealthy events', async () => {
    await createPod('unhealthy', { containers: [container(IMAGE, ['sleep', '3600'], { livenessProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 1 } })] });
    await podWhere('unhealthy', 'restarted', (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
    const events = await eventsOf('unhealthy');
    assert.ok(events.some((e) => e.reason === 'Unhealthy' && e.message.startsWith('Liveness probe failed')));
    assert.ok(events.some((e) => e.reason === 'Killing' && e.message === 'Container main failed liveness probe, will be restarted'));
  });

  it('an image the node lacks and cannot pull: ErrImagePull / ImagePullBackOff with events, the agent carrying on', async () => {
    await createPod('noimage', { containers: [container('tsk.local/absent:1')] });
    const pod = await podWhere('noimage', 'waits for its image', (p) => ['ErrImagePull', 'ImagePullBackOff'].includes(p.status?.containerStatuses?.[0]?.state?.waiting?.reason));
    assert.equal(pod.status.phase, 'Pending');
    const events = await eventsOf('noimage');
    assert.ok(events.some((e) => e.reason === 'Failed' && e.message.startsWith('Failed to pull image "tsk.local/absent:1"')));
  });

  it('a deleted pod is stopped, removed from the API, and its containers removed from the runtime', async () => {
    const uid = (await getPod('sleeper')).metadata.uid;
    await ok(['delete', 'pod', 'sleeper', '--wait=true', '--timeout=60s']);
    await until('the runtime holds nothing of the pod', async () => {
      const { containers } = await runtime.client.listContainers({ filter: { labelSelector: { 'io.kubernetes.pod.uid': uid } } });
      const { items } = await runtime.client.listPodSandbox({ filter: { labelSelector: { 'io.kubernetes.pod.uid': uid } } });
      return containers.length === 0 && items.length === 0 ? true : undefined;
    });
  });

  it('once every pod is deleted, nothing of them is left: no container, no sandbox, no pod cgroup', async () => {
    await ok(['delete', 'pods', '--all', '--wait=true', '--timeout=60s']);
    await until('the runtime is empty', async () => {
      const { containers } = await runtime.client.listContainers({});
      const { items } = await runtime.client.listPodSandbox({});
      return containers.length === 0 && items.length === 0 ? true : undefined;
    });
    const left = fs.readdirSync('/sys/fs/cgroup').flatMap((h) =>
      ['burstable', 'besteffort', ''].flatMap((qos) => {
        const dir = path.join('/sys/fs/cgroup', h, CGROUP_ROOT, qos);
        return fs.existsSync(dir) ? fs.readdirSync(dir).filter((d) => d.startsWith('pod')).map((d) => path.join(dir, d)) : [];
      }),
    );
    assert.deepEqual(left, []);
  });
});
