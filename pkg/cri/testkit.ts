/**
 * For tests: a real containerd in a temp dir (pkg/containerd's ManagedContainerd: own root,
 * state, socket and runc root) with a CriClient on it, and a teardown that leaves no pod,
 * shim or runc process behind.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { findExecutable } from '../containerd/ctr.ts';
import { ManagedContainerd } from '../containerd/process.ts';
import { CriClient } from './client.ts';
import type { VersionResponse } from './types.ts';

/** Why a test against a real containerd cannot run here, or false. */
export const runtimeMissing: string | false = !findExecutable('containerd') ? 'containerd not installed' : process.getuid?.() !== 0 ? 'needs root' : false;

export interface TestRuntime {
  tmp: string;
  containerd: ManagedContainerd;
  client: CriClient;
  /** The port of containerd's streaming server (exec, attach, port-forward URLs). */
  streamServerPort: number;
  /** What waitForReady resolved with, called before containerd started. */
  version: VersionResponse;
  /** Removes every sandbox (and so its containers and shims), stops containerd, deletes tmp. */
  stop(): Promise<void>;
}

/** A free loopback port for containerd's streaming server (the default 10010 may be taken). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Starts containerd with an empty CNI conf dir (so host-network pods only) and connects. */
export async function startTestRuntime(sandboxImage = 'tsk.local/pause:cri-test'): Promise<TestRuntime> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-cri-'));
  const cniConfDir = path.join(tmp, 'cni', 'net.d');
  fs.mkdirSync(cniConfDir, { recursive: true });
  const streamServerPort = await freePort();
  const containerd = new ManagedContainerd({ dir: path.join(tmp, 'containerd'), sandboxImage, streamServerPort, cniConfDir, stopGraceMs: 5_000 });
  // As in the agent, the client exists before the runtime does: waitForReady bridges the start.
  const client = CriClient.connect(containerd.address);
  const ready = client.waitForReady(60_000);
  await containerd.start();
  const version = await ready;
  return {
    tmp,
    containerd,
    client,
    streamServerPort,
    version,
    async stop() {
      try {
        const cleaner = CriClient.connect(containerd.address);
        for (const sandbox of (await cleaner.listPodSandbox()).items) {
          await cleaner.stopPodSandbox({ podSandboxId: sandbox.id });
          await cleaner.removePodSandbox({ podSandboxId: sandbox.id });
        }
        cleaner.close();
      } finally {
        client.close();
        await containerd.stop();
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    },
  };
}
