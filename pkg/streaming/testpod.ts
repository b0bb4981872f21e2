/**
 * For tests: a real containerd (pkg/cri's test runtime) running one host-network pod whose
 * container serves "pong" over HTTP on a free loopback port, so exec, attach and
 * port-forward have something to reach.
 */
import { randomUUID } from 'node:crypto';
import { importImages } from '../containerd/import.ts';
import { pauseImageArchive, pauseImageName } from '../containerd/pause.ts';
import { startTestRuntime, type TestRuntime } from '../cri/testkit.ts';
import type { PodSandboxConfig } from '../cri/types.ts';
import { buildBusyboxImage } from '../../test/lib/images.ts';
import { freePort } from '../../test/lib/cluster.ts';

export interface TestPod {
  runtime: TestRuntime;
  podSandboxId: string;
  containerId: string;
  /** Where the container's httpd listens (host network: on the host's loopback too). */
  httpPort: number;
}

export async function startTestPod(): Promise<TestPod> {
  const runtime = await startTestRuntime(pauseImageName());
  const image = 'tsk.local/busybox:streaming-test';
  const { ctr, snapshotter } = runtime.containerd;
  await importImages(ctr, pauseImageArchive(), snapshotter);
  await importImages(ctr, buildBusyboxImage({ name: image, dir: runtime.tmp }), snapshotter);
  const sandboxConfig: PodSandboxConfig = {
    metadata: { name: 'streaming-test', uid: randomUUID(), namespace: 'default', attempt: 0 },
    logDirectory: `${runtime.tmp}/pods`,
    linux: { securityContext: { namespaceOptions: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } } },
  };
  const { podSandboxId } = await runtime.client.runPodSandbox({ config: sandboxConfig });
  const httpPort = await freePort();
  const script = `mkdir -p /tmp/www && echo pong > /tmp/www/index.html && exec httpd -f -p 127.0.0.1:${httpPort} -h /tmp/www`;
  const { containerId } = await runtime.client.createContainer({
    podSandboxId,
    sandboxConfig,
    config: { metadata: { name: 'main', attempt: 0 }, image: { image }, command: ['sh', '-c', script], logPath: 'main.log' },
  });
  await runtime.client.startContainer({ containerId });
  return { runtime, podSandboxId, containerId, httpPort };
}
