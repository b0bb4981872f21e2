/**
 * `dist/tsk simulate` against a test cluster: simulated nodes whose bound pods become Running
 * and Ready. Resolves once every node is registered (simulate logs it after creating them
 * Ready); stop() is SIGTERM (heartbeats stop, nodes stay), kill() SIGKILL. Killed by PID when
 * the test file ends, like every process test/lib/tsk.ts starts.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TestCluster } from './cluster.ts';
import { startTsk, type TskProcess } from './tsk.ts';

export interface SimulateOptions {
  nodes: number;
  /** Default `sim-`: nodes sim-0, sim-1, … */
  namePrefix?: string;
  extraArgs?: string[];
  /** How long registration may take (default 60 s; 1,000 nodes on a busy machine take longer). */
  readyWithinMs?: number;
}

export interface SimulateProcess {
  process: TskProcess;
  /** The node names, in order. */
  nodeNames: string[];
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>;
}

export function joinToken(cluster: TestCluster): string {
  return fs.readFileSync(path.join(cluster.dataDir, 'server', 'node-token'), 'utf8').trim();
}

export async function startSimulate(cluster: TestCluster, opts: SimulateOptions): Promise<SimulateProcess> {
  const prefix = opts.namePrefix ?? 'sim-';
  const args = ['simulate', '--server', cluster.url, '--token', joinToken(cluster), '--nodes', String(opts.nodes), '--name-prefix', prefix, ...(opts.extraArgs ?? [])];
  const proc = startTsk(args);
  try {
    await proc.waitForLog(/registered \d+ nodes/, opts.readyWithinMs ?? 60_000);
  } catch (err) {
    await proc.kill();
    throw err;
  }
  return {
    process: proc,
    nodeNames: Array.from({ length: opts.nodes }, (_, i) => `${prefix}${i}`),
    stop: async () => {
      proc.signal('SIGTERM');
      await proc.exited;
    },
    kill: () => proc.kill(),
  };
}
