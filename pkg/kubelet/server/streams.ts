/**
 * /exec, /attach and /portForward: the runtime hands out a URL on its streaming server (CRI
 * Exec, Attach, PortForward) and the client's upgrade is bridged to it, whatever kubectl
 * speaks (WebSocket channels or SPDY for exec/attach; SPDY tunnelled in WebSocket or plain
 * SPDY for port-forward); pkg/streaming does the protocol work.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { CriClient } from '../../cri/client.ts';
import { bridgePortForward } from '../../streaming/portforward.ts';
import { bridgeRemoteCommand, type RemoteCommandOptions } from '../../streaming/remotecommand.ts';
import { queryFlag } from './containerlogs.ts';
import { hasContainer, KubeletApiError, podOrNotFound, readySandbox, runningContainer, type PodSource } from './containers.ts';

export type StreamKind = 'exec' | 'attach' | 'portForward';

/** The streams asked for; a terminal merges stderr into stdout, as the kubelet decides. */
export function remoteCommandOptions(query: URLSearchParams): RemoteCommandOptions {
  const tty = queryFlag(query, 'tty');
  const options = { stdin: queryFlag(query, 'stdin'), stdout: queryFlag(query, 'stdout'), stderr: queryFlag(query, 'stderr') && !tty, tty };
  if (!options.stdin && !options.stdout && !queryFlag(query, 'stderr')) {
    throw new KubeletApiError(400, 'you must specify at least 1 of stdin, stdout, stderr');
  }
  return options;
}

/**
 * Serves one stream upgrade; `segments` are the path's parts after the kind:
 * namespace, pod, [uid,] container (port-forward: namespace, pod[, uid]).
 */
export async function serveStream(
  deps: { runtime: CriClient; pods: PodSource },
  kind: StreamKind,
  segments: string[],
  query: URLSearchParams,
  upgrade: { req: http.IncomingMessage; socket: Duplex; head: Buffer },
): Promise<void> {
  const { runtime } = deps;
  const [namespace, podName] = segments;
  if (!namespace || !podName || segments.length > (kind === 'portForward' ? 3 : 4)) throw new KubeletApiError(404, '404 page not found');
  const pod = await podOrNotFound(deps.pods, namespace, podName, 'pod does not exist');
  const { req, socket, head } = upgrade;
  if (kind === 'portForward') {
    const podSandboxId = await readySandbox(runtime, pod);
    const port = query.getAll('port').map(Number).filter((p) => Number.isInteger(p) && p > 0);
    const { url } = await runtime.portForward({ podSandboxId, port });
    return bridgePortForward(req, socket, head, { url });
  }
  const container = segments[segments.length - 1]!;
  if (segments.length < 3 || !hasContainer(pod, container)) throw new KubeletApiError(404, `container not found ("${container}")`);
  const options = remoteCommandOptions(query);
  const { id: containerId } = await runningContainer(runtime, pod, container);
  let url: string;
  if (kind === 'exec') {
    const cmd = query.getAll('command');
    if (cmd.length === 0) throw new KubeletApiError(400, 'you must specify a command');
    ({ url } = await runtime.exec({ containerId, cmd, ...options }));
  } else {
    ({ url } = await runtime.attach({ containerId, ...options }));
  }
  return bridgeRemoteCommand(req, socket, head, { url }, options);
}
