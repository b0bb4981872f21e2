/**
 * CriClient against a real containerd 1.6 in a temp dir (see testkit.ts).
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CriClient } from './client.ts';
import { CriError, isNotFound } from './errors.ts';
import { until } from '../../test/lib/until.ts';
import { runtimeMissing, startTestRuntime, type TestRuntime } from './testkit.ts';

describe('CriClient on a real containerd', { skip: runtimeMissing }, () => {
  let runtime: TestRuntime;
  let client: CriClient;

  before(async () => {
    runtime = await startTestRuntime();
    client = runtime.client;
  });

  after(() => runtime?.stop());

  it('waits for the runtime to start, then reads its version', async () => {
    const version = runtime.version;
    assert.equal(version.runtimeName, 'containerd');
    assert.equal(version.runtimeApiVersion, 'v1');
    assert.match(version.runtimeVersion, /^\d+\.\d+/);
    assert.deepEqual(await client.version(), version);
  });

  it('reports the runtime ready and the network not (no CNI config here)', async () => {
    const { status } = await client.status();
    const conditions = Object.fromEntries(status!.conditions.map((c) => [c.type, c.status]));
    assert.equal(conditions.RuntimeReady, true);
    assert.equal(conditions.NetworkReady, false);
  });

  it('answers an empty image, not an error, for an image it does not have', async () => {
    const answer = await client.imageStatus({ image: { image: 'tsk.local/never-imported:1' } });
    assert.equal(answer.image, null);
  });

  it('fails a pull from an unreachable registry with a CriError of its own, not a deadline', async () => {
    await assert.rejects(
      client.pullImage({ image: { image: '127.0.0.1:1/nothing/here:1' } }),
      (err: unknown) => err instanceof CriError && err.code !== 'DeadlineExceeded' && err.rpc === 'ImageService/PullImage' && /127\.0\.0\.1:1/.test(err.details),
    );
  });

  it('lists no sandboxes, containers or images on a fresh runtime', async () => {
    assert.deepEqual((await client.listPodSandbox()).items, []);
    assert.deepEqual((await client.listContainers({ filter: { state: { state: 'CONTAINER_RUNNING' } } })).containers, []);
    assert.deepEqual((await client.listImages()).images, []);
  });

  it('tells "not found" apart', async () => {
    const unknownId = 'f'.repeat(64);
    await assert.rejects(client.containerStatus({ containerId: unknownId }), (err: unknown) => isNotFound(err));
    await assert.rejects(client.podSandboxStatus({ podSandboxId: unknownId }), (err: unknown) => isNotFound(err));
    // Removal of what is not there is done, as the CRI requires.
    await client.removeContainer({ containerId: unknownId });
    await client.removePodSandbox({ podSandboxId: unknownId });
  });

  it('reports the image filesystem', async () => {
    const { imageFilesystems } = await client.imageFsInfo();
    assert.ok(imageFilesystems.length >= 1);
    assert.ok(imageFilesystems[0]!.fsId!.mountpoint.startsWith(runtime.tmp), imageFilesystems[0]!.fsId!.mountpoint);
  });

  it('fails calls after close with Unavailable', async () => {
    const other = CriClient.connect(`unix://${runtime.containerd.address}`);
    assert.equal((await other.version()).runtimeName, 'containerd');
    other.close();
    await assert.rejects(other.version(), (err: unknown) => err instanceof CriError && err.code === 'Unavailable');
  });
  it('serves again on the same client once a killed containerd is restarted', async () => {
    const killed = runtime.containerd.pid!;
    process.kill(killed, 'SIGKILL');
    await until('ManagedContainerd to restart containerd', async () => (runtime.containerd.pid !== killed && runtime.containerd.restarts === 1) || undefined);
    assert.equal((await client.waitForReady(60_000)).runtimeName, 'containerd');
    assert.deepEqual((await client.listPodSandbox()).items, []);
  });
});

describe('CriClient without a runtime', () => {
  it('gives up waiting with the last failure', async () => {
    const client = CriClient.connect(path.join(os.tmpdir(), `tsk-cri-absent-${process.pid}.sock`));
    try {
      await assert.rejects(client.waitForReady(300), (err: unknown) => err instanceof CriError && err.code === 'Unavailable' && /not ready after 300 ms/.test(err.details));
    } finally {
      client.close();
    }
  });
});
