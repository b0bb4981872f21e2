/**
 * A pod's life through CriClient on a real containerd: tsk's built-in pause image as the
 * sandbox, a busybox image built from /bin/busybox, host network (no CNI here).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { importImages } from '../containerd/import.ts';
import { pauseImageArchive, pauseImageName } from '../containerd/pause.ts';
import { buildBusyboxImage } from '../../test/lib/images.ts';
import { until } from '../../test/lib/until.ts';
import { CriError } from './errors.ts';
import { runtimeMissing, startTestRuntime, type TestRuntime } from './testkit.ts';
import type { PodSandboxConfig } from './types.ts';

const BUSYBOX_IMAGE = 'tsk.local/busybox:cri-test';

describe('a pod through CRI', { skip: runtimeMissing }, () => {
  let runtime: TestRuntime;
  let sandboxConfig: PodSandboxConfig;
  let podSandboxId: string;
  let containerId: string;

  before(async () => {
    runtime = await startTestRuntime(pauseImageName());
    const { ctr, snapshotter } = runtime.containerd;
    await importImages(ctr, pauseImageArchive(), snapshotter);
    await importImages(ctr, buildBusyboxImage({ name: BUSYBOX_IMAGE, dir: runtime.tmp }), snapshotter);
    sandboxConfig = {
      metadata: { name: 'cri-test', uid: randomUUID(), namespace: 'default', attempt: 0 },
      logDirectory: path.join(runtime.tmp, 'pods', 'default_cri-test'),
      labels: { 'io.kubernetes.pod.name': 'cri-test' },
      annotations: { 'tsk.test/kept': 'as given' },
      dnsConfig: { servers: ['10.43.0.10'], searches: ['default.svc.cluster.local'], options: ['ndots:5'] },
      linux: { securityContext: { namespaceOptions: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } } },
    };
    fs.mkdirSync(sandboxConfig.logDirectory!, { recursive: true });
  });

  after(() => runtime?.stop());

  it('has the imported image', async () => {
    const { image } = await runtime.client.imageStatus({ image: { image: BUSYBOX_IMAGE } });
    assert.ok(image);
    assert.match(image.id, /^sha256:[0-9a-f]{64}$/);
    assert.ok(image.repoTags.includes(BUSYBOX_IMAGE));
    assert.ok(image.size > 0);
  });

  it('runs a host-network sandbox', async () => {
    ({ podSandboxId } = await runtime.client.runPodSandbox({ config: sandboxConfig }));
    const { status } = await runtime.client.podSandboxStatus({ podSandboxId });
    assert.equal(status!.state, 'SANDBOX_READY');
    assert.deepEqual(status!.metadata, sandboxConfig.metadata);
    assert.equal(status!.annotations['tsk.test/kept'], 'as given');
    assert.equal(status!.linux?.namespaces?.options?.network, 'NODE');
    assert.ok(status!.createdAt > 0);
    const { items } = await runtime.client.listPodSandbox({ filter: { labelSelector: { 'io.kubernetes.pod.name': 'cri-test' } } });
    assert.deepEqual(items.map((s) => s.id), [podSandboxId]);
  });

  it('creates and starts a container that logs in the CRI format', async () => {
    ({ containerId } = await runtime.client.createContainer({
      podSandboxId,
      sandboxConfig,
      config: {
        metadata: { name: 'sleeper', attempt: 0 },
        image: { image: BUSYBOX_IMAGE },
        command: ['sh', '-c', 'echo started; exec sleep 3600'],
        envs: [{ key: 'GREETING', value: 'hello' }],
        logPath: 'sleeper/0.log',
      },
    }));
    await runtime.client.startContainer({ containerId });
    const { status } = await runtime.client.containerStatus({ containerId });
    assert.equal(status!.state, 'CONTAINER_RUNNING');
    assert.deepEqual(status!.metadata, { name: 'sleeper', attempt: 0 });
    assert.ok(status!.startedAt >= status!.createdAt && status!.createdAt > 0);
    // What the kubelet reports as the container's imageID.
    const { image } = await runtime.client.imageStatus({ image: { image: BUSYBOX_IMAGE } });
    assert.equal(status!.imageRef, image!.id);
    assert.equal(status!.logPath, path.join(sandboxConfig.logDirectory!, 'sleeper/0.log'));
    const { containers } = await runtime.client.listContainers({ filter: { podSandboxId } });
    assert.deepEqual(containers.map((c) => [c.id, c.state]), [[containerId, 'CONTAINER_RUNNING']]);
  });

  it('runs commands in it with their output and exit code', async () => {
    const hi = await runtime.client.execSync({ containerId, cmd: ['echo', 'hi'] });
    assert.equal(hi.stdout.toString(), 'hi\n');
    assert.equal(hi.exitCode, 0);
    const failing = await runtime.client.execSync({ containerId, cmd: ['sh', '-c', 'echo $GREETING >&2; exit 3'], timeout: 10 });
    assert.equal(failing.stderr.toString(), 'hello\n');
    assert.equal(failing.stdout.length, 0);
    assert.equal(failing.exitCode, 3);
    // The container's first line goes to its log (containerd copies it there in its own time),
    // as `<time> stdout F <line>`.
    const logFile = path.join(sandboxConfig.logDirectory!, 'sleeper/0.log');
    const log = await until('the container log', async () => (fs.existsSync(logFile) && fs.readFileSync(logFile, 'utf8')) || undefined);
    assert.match(log, /^\S+ stdout F started\n/);
  });

  it('fails a command past its timeout with DeadlineExceeded, from the runtime', async () => {
    await assert.rejects(
      runtime.client.execSync({ containerId, cmd: ['sleep', '30'], timeout: 1 }),
      (err: unknown) => err instanceof CriError && err.code === 'DeadlineExceeded' && /timeout 1s exceeded/.test(err.details),
    );
  });

  it('cancels a call on its signal', async () => {
    const controller = new AbortController();
    const running = runtime.client.execSync({ containerId, cmd: ['sleep', '30'] }, { signal: controller.signal });
    controller.abort();
    await assert.rejects(running, (err: unknown) => err instanceof CriError && err.code === 'Cancelled');
    await assert.rejects(runtime.client.version({}, { signal: controller.signal }), (err: unknown) => err instanceof CriError && err.code === 'Cancelled');
  });

  it('updates resources and reports stats', async () => {
    await runtime.client.updateContainerResources({ containerId, linux: { memoryLimitInBytes: 64 * 1024 * 1024, cpuShares: 512 } });
    const { status } = await runtime.client.containerStatus({ containerId });
    assert.equal(status!.resources?.linux?.memoryLimitInBytes, 64 * 1024 * 1024);
    assert.equal(status!.resources?.linux?.cpuShares, 512);
    const { stats } = await runtime.client.containerStats({ containerId });
    assert.equal(stats!.attributes!.id, containerId);
    assert.ok(stats!.memory!.workingSetBytes!.value > 0);
    assert.ok(stats!.cpu!.usageCoreNanoSeconds!.value > 0);
  });

  it('passes the container and sandbox settings the kubelet sets (their field numbers reach containerd)', async () => {
    const hostDir = path.join(runtime.tmp, 'volume');
    fs.mkdirSync(hostDir);
    fs.writeFileSync(path.join(hostDir, 'file'), 'from the host\n');
    const { containerId: configured } = await runtime.client.createContainer({
      podSandboxId,
      sandboxConfig,
      config: {
        metadata: { name: 'configured', attempt: 2 },
        image: { image: BUSYBOX_IMAGE },
        command: ['sleep'],
        args: ['3600'],
        workingDir: '/tmp',
        envs: [{ key: 'GREETING', value: 'hello' }],
        mounts: [{ containerPath: '/mnt/volume', hostPath: hostDir, readonly: true }],
        labels: { 'tsk.test/label': 'l' },
        annotations: { 'tsk.test/annotation': 'a' },
        logPath: 'configured/2.log',
        linux: {
          resources: { memoryLimitInBytes: 32 * 1024 * 1024, cpuShares: 256, oomScoreAdj: 900 },
          securityContext: {
            runAsUser: { value: 65534 },
            runAsGroup: { value: 65534 },
            supplementalGroups: [1234],
            readonlyRootfs: true,
            noNewPrivs: true,
            capabilities: { dropCapabilities: ['ALL'], addCapabilities: ['NET_BIND_SERVICE'] },
          },
        },
      },
    });
    await runtime.client.startContainer({ containerId: configured });
    const sh = async (script: string) => {
      const { stdout, stderr, exitCode } = await runtime.client.execSync({ containerId: configured, cmd: ['sh', '-c', script] });
      return `${exitCode} ${stdout}${stderr}`.trim();
    };
    assert.equal(await sh('id'), '0 uid=65534(nobody) gid=65534(nobody) groups=1234,65534(nobody)');
    assert.equal(await sh('echo $PWD $GREETING'), '0 /tmp hello');
    assert.equal(await sh('cat /mnt/volume/file'), '0 from the host');
    assert.match(await sh('touch /mnt/volume/new'), /^1 .*Read-only file system/);
    assert.match(await sh('touch /new'), /^1 .*Read-only file system/);
    // Only NET_BIND_SERVICE (bit 10) in the bounding set.
    assert.match(await sh('grep -E "CapBnd|NoNewPrivs" /proc/self/status'), /CapBnd:\s+0000000000000400\nNoNewPrivs:\s+1$/);
    assert.equal(await sh('cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'), `0 ${32 * 1024 * 1024}`);
    assert.equal(await sh('cat /proc/self/oom_score_adj'), '0 900');
    // The sandbox's DNS settings.
    assert.equal(await sh('cat /etc/resolv.conf'), '0 search default.svc.cluster.local\nnameserver 10.43.0.10\noptions ndots:5');

    const { status } = await runtime.client.containerStatus({ containerId: configured });
    assert.deepEqual(status!.metadata, { name: 'configured', attempt: 2 });
    assert.equal(status!.labels['tsk.test/label'], 'l');
    assert.equal(status!.annotations['tsk.test/annotation'], 'a');
    assert.deepEqual(status!.mounts.map((m) => [m.containerPath, m.hostPath, m.readonly]), [['/mnt/volume', hostDir, true]]);
    await runtime.client.removeContainer({ containerId: configured });
  });

  it('prepares exec, attach and port-forward URLs on the streaming server', async () => {
    const { url } = await runtime.client.exec({ containerId, cmd: ['sh'], stdin: true, stdout: true });
    assert.match(url, new RegExp(`^http://127\\.0\\.0\\.1:${runtime.streamServerPort}/exec/\\S+$`));
    assert.match((await runtime.client.attach({ containerId, stdout: true, stderr: true })).url, /\/attach\//);
    assert.match((await runtime.client.portForward({ podSandboxId, port: [80] })).url, /\/portforward\//);
  });

  it('stops, removes the container and the sandbox', async () => {
    await runtime.client.stopContainer({ containerId, timeout: 5 });
    const { status } = await runtime.client.containerStatus({ containerId });
    assert.equal(status!.state, 'CONTAINER_EXITED');
    assert.ok(status!.finishedAt >= status!.startedAt);
    // sleep died of the SIGTERM (it is not the pid namespace's init: pause is).
    assert.equal(status!.exitCode, 128 + 15);
    assert.equal(status!.reason, 'Error');
    await runtime.client.removeContainer({ containerId });
    await runtime.client.stopPodSandbox({ podSandboxId });
    assert.equal((await runtime.client.podSandboxStatus({ podSandboxId })).status!.state, 'SANDBOX_NOTREADY');
    await runtime.client.removePodSandbox({ podSandboxId });
    assert.deepEqual((await runtime.client.listPodSandbox()).items, []);
    assert.deepEqual((await runtime.client.listContainers()).containers, []);
  });
});
