/**
 * GET /containerLogs/{namespace}/{pod}/{container}: the container's CRI log file (or its
 * previous instance's) read as logs.ts says, with the kubelet's refusals: 404 for an unknown
 * pod or container, 400 for one that has not started or has no previous instance.
 */
import type http from 'node:http';
import type { KObject } from '../../api/types.ts';
import type { CriClient } from '../../cri/client.ts';
import { containerInstances, hasContainer, KubeletApiError, podOrNotFound, type PodSource } from './containers.ts';
import { streamLog, type LogOptions } from './logs.ts';

/** strconv.ParseBool's true spellings, as Kubernetes reads boolean query parameters. */
export function queryFlag(query: URLSearchParams, name: string): boolean {
  return ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(query.get(name) ?? '');
}

function queryInt(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  if (!/^-?\d+$/.test(value)) throw new KubeletApiError(400, `invalid ${name} ${JSON.stringify(value)}: not an integer`);
  return Number(value);
}

export function logOptions(query: URLSearchParams, now = Date.now()): LogOptions {
  const sinceSeconds = queryInt(query, 'sinceSeconds');
  const sinceTime = query.get('sinceTime');
  let since: Date | undefined;
  if (sinceSeconds !== undefined) since = new Date(now - sinceSeconds * 1000);
  else if (sinceTime) {
    since = new Date(sinceTime);
    if (Number.isNaN(since.getTime())) throw new KubeletApiError(400, `invalid sinceTime ${JSON.stringify(sinceTime)}: not RFC3339`);
  }
  const tailLines = queryInt(query, 'tailLines');
  const limitBytes = queryInt(query, 'limitBytes');
  return {
    follow: queryFlag(query, 'follow'),
    timestamps: queryFlag(query, 'timestamps'),
    ...(since ? { since } : {}),
    ...(tailLines !== undefined && tailLines >= 0 ? { tailLines } : {}),
    ...(limitBytes !== undefined && limitBytes > 0 ? { limitBytes } : {}),
  };
}

/** Why a container without an instance has no logs yet, in the words of its status. */
function waitingReason(pod: KObject, container: string): string {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])] as { name: string; state?: { waiting?: { reason?: string } } }[];
  return statuses.find((s) => s.name === container)?.state?.waiting?.reason ?? 'ContainerCreating';
}

export async function serveContainerLogs(
  deps: { runtime: CriClient; pods: PodSource },
  names: { namespace: string; pod: string; container: string },
  query: URLSearchParams,
  res: http.ServerResponse,
): Promise<void> {
  const { runtime } = deps;
  const pod = await podOrNotFound(deps.pods, names.namespace, names.pod, `pod "${names.pod}" does not exist`);
  if (!hasContainer(pod, names.container)) throw new KubeletApiError(404, `container "${names.container}" not found in pod "${names.pod}"`);
  const options = logOptions(query);
  const previous = queryFlag(query, 'previous');
  const instances = await containerInstances(runtime, pod, names.container);
  const instance = instances[previous ? 1 : 0];
  if (!instance) {
    throw new KubeletApiError(400, previous
      ? `previous terminated container "${names.container}" in pod "${names.pod}" not found`
      : `container "${names.container}" in pod "${names.pod}" is waiting to start: ${waitingReason(pod, names.container)}`);
  }
  const { status } = await runtime.containerStatus({ containerId: instance.id });
  if (!status?.logPath) throw new KubeletApiError(500, `container "${names.container}" in pod "${names.pod}" has no log file`);
  res.writeHead(200, { 'content-type': 'text/plain' });
  // A follower must see the answer begin before the first line arrives.
  res.flushHeaders();
  const gone = new AbortController();
  res.on('close', () => gone.abort());
  const running = async () => {
    try {
      return (await runtime.containerStatus({ containerId: instance.id })).status?.state === 'CONTAINER_RUNNING';
    } catch {
      return false;
    }
  };
  await streamLog(status.logPath, { ...options, follow: options.follow && !previous }, res, { running, signal: gone.signal });
}
