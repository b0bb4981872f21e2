/**
 * The node's pod range comes from the control plane: the node IPAM controller sets the Node's
 * spec.podCIDR soon after the kubelet registers it. The agent waits for it here before it
 * writes the CNI config (cni.ts), as k3s's flannel waits for its node's podCIDR.
 */
import type { KObject } from '../api/types.ts';
import type { Client } from '../client/client.ts';
import { isClientError } from '../client/errors.ts';
import { logger } from '../log/log.ts';
import { NetworkError } from './errors.ts';

const log = logger('network');

/** Only what the wait needs, so tests and other callers can hand in a narrower client. */
export type NodeReader = Pick<Client, 'get' | 'watch'>;

export interface WaitForPodCidrOptions {
  /** Aborting ends the wait with a NetworkError('no-pod-cidr'). */
  signal?: AbortSignal;
  /** Pause before looking again after the Node was missing or the server did not answer (1 s). */
  retryMs?: number;
}

interface NodeSpec {
  podCIDR?: string;
}

function podCidrOf(node: KObject): string | undefined {
  const cidr = (node.spec as NodeSpec | undefined)?.podCIDR;
  return typeof cidr === 'string' && cidr !== '' ? cidr : undefined;
}

/** Worth waiting out: the Node not registered yet, a server starting or overloaded. */
function isTransient(err: unknown): boolean {
  return isClientError(err) && (err.reason === 'NotFound' || err.code === 0 || err.code === 429 || err.code >= 500);
}

function aborted(nodeName: string): NetworkError {
  return new NetworkError('no-pod-cidr', `stopped waiting for node ${nodeName} to get a podCIDR`);
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Watches the one Node from `resourceVersion`; undefined when the watch ends without a podCIDR. */
async function watchForPodCidr(client: NodeReader, nodeName: string, resourceVersion: string, signal: AbortSignal | undefined): Promise<string | undefined> {
  const stream = client.watch('/api/v1/nodes', { fieldSelector: `metadata.name=${nodeName}`, resourceVersion, timeoutSeconds: 300 });
  const stop = () => stream.stop();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    for await (const event of stream) {
      if (event.type === 'ADDED' || event.type === 'MODIFIED') {
        const cidr = podCidrOf(event.object);
        if (cidr) return cidr;
      } else if (event.type !== 'BOOKMARK') {
        // Deleted, or an ERROR (history gone): start over from a fresh read.
        return undefined;
      }
    }
    return undefined;
  } catch (err) {
    log.debug(`watch of node ${nodeName} ended: ${(err as Error).message}`);
    return undefined;
  } finally {
    signal?.removeEventListener('abort', stop);
    stream.stop();
  }
}

/**
 * Resolves with the Node's spec.podCIDR once it is set: reads the Node, then watches it from
 * that read. A missing Node or an unreachable server is waited out; other refusals (say,
 * Forbidden) are thrown, since waiting would not fix them.
 */
export async function waitForPodCidr(client: NodeReader, nodeName: string, options: WaitForPodCidrOptions = {}): Promise<string> {
  const { signal, retryMs = 1_000 } = options;
  const path = `/api/v1/nodes/${encodeURIComponent(nodeName)}`;
  let announced = false;
  for (;;) {
    if (signal?.aborted) throw aborted(nodeName);
    let resourceVersion: string | undefined;
    try {
      const node = await client.get(path);
      const cidr = podCidrOf(node);
      if (cidr) return cidr;
      resourceVersion = node.metadata.resourceVersion;
    } catch (err) {
      if (!isTransient(err)) throw err;
      log.debug(`node ${nodeName} not readable yet: ${(err as Error).message}`);
    }
    if (!announced) {
      log.info(`waiting for node ${nodeName} to get a podCIDR from the control plane`);
      announced = true;
    }
    const cidr = resourceVersion ? await watchForPodCidr(client, nodeName, resourceVersion, signal) : undefined;
    if (cidr) return cidr;
    await pause(retryMs, signal);
  }
}
