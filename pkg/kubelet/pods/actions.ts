/**
 * The handlers probes and lifecycle hooks share: exec in the container (CRI ExecSync), an HTTP
 * GET, a TCP connect and a gRPC health check to the pod, and sleep. Each answers success or
 * failure with the output Kubernetes reports in its events ("HTTP probe failed with
 * statuscode: 500", "dial tcp 10.42.0.7:80: connect: connection refused"); `error` is for what
 * is wrong with the handler itself (a named port the container does not have, a runtime that
 * does not answer).
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { RuntimeService } from '../runtime.ts';
import { grpcHealthCheck } from './grpcprobe.ts';
import type { ContainerSpec } from './labels.ts';

export type ActionResult = { outcome: 'success' | 'failure'; output: string } | { outcome: 'error'; output: string };

export interface ActionTarget {
  runtime: RuntimeService;
  containerId: string;
  container: ContainerSpec;
  /** Where httpGet and tcpSocket go unless the handler names a host. */
  podIP: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = Record<string, any>;

const PROBE_USER_AGENT = 'kube-probe/1.33';

/** A port given by number or by the name of one of the container's ports. */
export function resolvePort(port: unknown, container: ContainerSpec): number {
  if (typeof port === 'number') return port;
  if (typeof port === 'string' && /^\d+$/.test(port)) return Number(port);
  const named = ((container.ports ?? []) as { name?: string; containerPort: number }[]).find((p) => p.name === port);
  if (!named) throw new Error(`couldn't find port: ${String(port)} in ${container.name}`);
  return named.containerPort;
}

function dialError(host: string, port: number, err: NodeJS.ErrnoException): string {
  if (err.code === 'ECONNREFUSED') return `dial tcp ${host}:${port}: connect: connection refused`;
  if (err.code === 'ETIMEDOUT' || err.message === 'timeout') return `dial tcp ${host}:${port}: i/o timeout`;
  if (err.code === 'EHOSTUNREACH') return `dial tcp ${host}:${port}: connect: no route to host`;
  return `dial tcp ${host}:${port}: ${err.message}`;
}

async function execAction(handler: Handler, target: ActionTarget, timeoutMs: number): Promise<ActionResult> {
  const cmd = (handler.command as string[] | undefined) ?? [];
  try {
    const res = await target.runtime.execSync({ containerId: target.containerId, cmd, timeout: Math.ceil(timeoutMs / 1000) });
    const output = Buffer.concat([Buffer.from(res.stdout ?? []), Buffer.from(res.stderr ?? [])]).toString('utf8');
    return { outcome: (res.exitCode ?? 0) === 0 ? 'success' : 'failure', output };
  } catch (err) {
    const message = (err as Error).message;
    if (/deadline|timeout|timed out/i.test(message)) return { outcome: 'failure', output: `command ${JSON.stringify(cmd.join(' '))} timed out` };
    return { outcome: 'error', output: message };
  }
}

function httpGetAction(handler: Handler, target: ActionTarget, timeoutMs: number): Promise<ActionResult> {
  const scheme = String(handler.scheme ?? 'HTTP').toLowerCase();
  const host = (handler.host as string | undefined) || target.podIP;
  const port = resolvePort(handler.port, target.container);
  const pathPart = String(handler.path ?? '/');
  const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${pathPart.startsWith('/') ? '' : '/'}${pathPart}`;
  const headers: Record<string, string> = { 'user-agent': PROBE_USER_AGENT, accept: '*/*' };
  for (const h of (handler.httpHeaders ?? []) as { name: string; value: string }[]) headers[h.name.toLowerCase()] = h.value;
  return new Promise((resolve) => {
    const lib = scheme === 'https' ? https : http;
    const req = lib.get(url, { headers, timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(code >= 200 && code < 400 ? { outcome: 'success', output: '' } : { outcome: 'failure', output: `HTTP probe failed with statuscode: ${code}` });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'TIMEOUT' ? 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)' : dialError(host, port, err);
      resolve({ outcome: 'failure', output: `Get ${JSON.stringify(url)}: ${why}` });
    });
  });
}

function tcpAction(handler: Handler, target: ActionTarget, timeoutMs: number): Promise<ActionResult> {
  const host = (handler.host as string | undefined) || target.podIP;
  const port = resolvePort(handler.port, target.container);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ outcome: 'success', output: '' });
    });
    socket.once('timeout', () => socket.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    socket.once('error', (err: NodeJS.ErrnoException) => resolve({ outcome: 'failure', output: dialError(host, port, err) }));
  });
}

/** Runs whichever handler `holder` carries (exec, httpGet, tcpSocket, grpc or sleep). */
export async function runAction(holder: Handler, target: ActionTarget, timeoutMs: number): Promise<ActionResult> {
  try {
    if (holder.exec) return await execAction(holder.exec, target, timeoutMs);
    if (holder.httpGet) return await httpGetAction(holder.httpGet, target, timeoutMs);
    if (holder.tcpSocket) return await tcpAction(holder.tcpSocket, target, timeoutMs);
    if (holder.grpc) return await grpcHealthCheck(target.podIP, Number(holder.grpc.port), String(holder.grpc.service ?? ''), timeoutMs);
    if (holder.sleep) {
      await new Promise((r) => setTimeout(r, Math.min(Number(holder.sleep.seconds ?? 0) * 1000, timeoutMs)));
      return { outcome: 'success', output: '' };
    }
    return { outcome: 'error', output: 'no handler (exec, httpGet, tcpSocket, grpc, sleep) given' };
  } catch (err) {
    return { outcome: 'error', output: (err as Error).message };
  }
}
