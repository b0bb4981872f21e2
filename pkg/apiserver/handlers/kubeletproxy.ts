/**
 * The API server's connection to kubelets: the node's address (InternalIP, ExternalIP, then
 * Hostname, as k3s prefers them) and status.daemonEndpoints.kubeletEndpoint.Port, reached with
 * the API server's kubelet-client certificate, the kubelet's serving certificate checked
 * against the cluster's server CA. Plain requests (logs, node proxy) stream the kubelet's
 * answer back; upgrades (exec, attach, port-forward) are passed through byte for byte, so
 * the kubelet sees the client's own protocol (WebSocket or SPDY) and bridges it to the runtime.
 */
import type http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { KObject } from '../../api/types.ts';
import { join } from '../../streaming/upgradeproxy.ts';
import { ApiError, apiErrors } from '../errors.ts';
import type { Request } from '../http/body.ts';
import type { Response } from '../http/respond.ts';
import type { HeldUpgrade } from '../http/upgrade.ts';

/** What the API server presents to kubelets and trusts them by. */
export interface KubeletClientTls {
  /** The CA kubelets' serving certificates come from. */
  ca: string;
  cert: string;
  key: string;
}

export interface KubeletTarget {
  host: string;
  port: number;
  tls: KubeletClientTls;
}

const ADDRESS_PREFERENCE = ['InternalIP', 'ExternalIP', 'Hostname'];

/** `tsk simulate`'s nodes have no kubelet: their made-up addresses must never be dialled. */
export const SIMULATED_RUNTIME = 'simulated://';

export function kubeletTarget(node: KObject, tlsConfig: KubeletClientTls): KubeletTarget {
  if (String(node.status?.nodeInfo?.containerRuntimeVersion ?? '').startsWith(SIMULATED_RUNTIME)) {
    throw apiErrors.unavailable(`node "${node.metadata.name}" is simulated (tsk simulate): it has no kubelet to proxy to`);
  }
  const addresses = (node.status?.addresses ?? []) as { type: string; address: string }[];
  const address = ADDRESS_PREFERENCE.map((t) => addresses.find((a) => a.type === t)?.address).find(Boolean);
  if (!address) {
    throw apiErrors.internal(`no preferred addresses found; known addresses: [${addresses.map((a) => `{${a.type} ${a.address}}`).join(' ')}]`);
  }
  const port = Number(node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0);
  if (!(port > 0)) throw apiErrors.unavailable(`node "${node.metadata.name}" has no kubelet endpoint yet`);
  return { host: address, port, tls: tlsConfig };
}

function tlsOptions(target: KubeletTarget): tls.ConnectionOptions {
  const { ca, cert, key } = target.tls;
  // Node refuses an IP as SNI; the certificate's IP SANs are checked against the host anyway.
  return { host: target.host, port: target.port, ca, cert, key, ...(net.isIP(target.host) ? {} : { servername: target.host }) };
}

function dialError(target: KubeletTarget, err: Error): ApiError {
  return apiErrors.internal(`error dialing backend: dial tcp ${target.host}:${target.port}: ${err.message}`);
}

/** An answer of the kubelet other than 2xx, as Kubernetes' response checker turns it into a Status. */
function kubeletError(code: number, body: string): ApiError {
  const message = body.trim();
  if (code === 400) return apiErrors.badRequest(message);
  if (code === 500) return apiErrors.internal(message);
  const reason = code === 404 ? 'NotFound' : code === 403 ? 'Forbidden' : code === 401 ? 'Unauthorized' : 'InternalError';
  return new ApiError(code, reason, message, {});
}

/** Streams the body of `answer` into `res` (its head written already) until either side ends; then `done`. */
export function streamBody(answer: http.IncomingMessage, res: Response, done: () => void): void {
  const out = res as unknown as { write(chunk: Buffer): boolean };
  answer.on('data', (c: Buffer) => out.write(c));
  const finish = () => {
    res.end();
    done();
  };
  answer.on('end', finish);
  answer.on('error', finish);
}

/** GETs `path` on the kubelet and streams the answer into `res` until either side ends. */
export function proxyKubeletGet(target: KubeletTarget, path: string, res: Response, contentType = 'text/plain'): Promise<void> {
  return new Promise((resolve, reject) => {
    const upstream = https.request({ ...tlsOptions(target), method: 'GET', path, agent: false }, (answer) => {
      const code = answer.statusCode ?? 500;
      if (code < 200 || code > 206) {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => reject(kubeletError(code, Buffer.concat(chunks).toString('utf8'))));
        answer.on('error', reject);
        return;
      }
      res.writeHead(code, { 'content-type': String(answer.headers['content-type'] ?? contentType), 'cache-control': 'no-cache, private' });
      // A follower must see the answer begin before the first line arrives (HTTP/2 sends headers with the first write).
      const out = res as unknown as { write(chunk: Buffer): boolean; flushHeaders?: () => void };
      if (out.flushHeaders) out.flushHeaders();
      else out.write(Buffer.alloc(0));
      streamBody(answer, res, resolve);
    });
    // The client went away (kubectl logs -f ended): stop reading the kubelet.
    res.on('close', () => upstream.destroy());
    upstream.on('error', (err) => (res.headersSent ? resolve() : reject(dialError(target, err))));
    upstream.end();
  });
}

/**
 * GETs `path` on the kubelet for the API server's own use (resource metrics) and resolves with
 * the whole answer; a kubelet that does not answer within `timeoutMs` is an error.
 */
export function getFromKubelet(target: KubeletTarget, path: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const upstream = https.request({ ...tlsOptions(target), method: 'GET', path, agent: false }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('error', (err) => upstream.destroy(err));
      answer.on('end', () => {
        clearTimeout(timer);
        const body = Buffer.concat(chunks).toString('utf8');
        const code = answer.statusCode ?? 500;
        if (code < 200 || code > 206) reject(kubeletError(code, body));
        else resolve(body);
      });
    });
    const timer = setTimeout(() => upstream.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    upstream.on('error', (err) => {
      clearTimeout(timer);
      reject(dialError(target, err));
    });
    upstream.end();
  });
}

/** Headers that belong to the client's hop or identity, not the kubelet's business. */
function forwarded(name: string): boolean {
  const lower = name.toLowerCase();
  return lower !== 'host' && lower !== 'authorization' && !lower.startsWith('impersonate-');
}

/**
 * Repeats the upgrade request to the kubelet at `path` and joins the two connections: the
 * kubelet's answer (101 or an error) reaches the client as the kubelet wrote it. A kubelet
 * that cannot be reached is an error the caller answers before anything was sent.
 */
export async function proxyKubeletUpgrade(target: KubeletTarget, path: string, req: Request, upgrade: () => HeldUpgrade): Promise<void> {
  const upstream = tls.connect({ ...tlsOptions(target), ALPNProtocols: ['http/1.1'] });
  await new Promise<void>((resolve, reject) => {
    upstream.once('secureConnect', resolve);
    upstream.once('error', (err) => reject(dialError(target, err)));
  });
  const { socket, head } = upgrade();
  const lines = [`${req.method} ${path} HTTP/1.1`, `Host: ${target.host}:${target.port}`];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) if (forwarded(raw[i]!)) lines.push(`${raw[i]}: ${raw[i + 1]}`);
  upstream.write(lines.join('\r\n') + '\r\n\r\n');
  if (head.length > 0) upstream.write(head);
  await join(socket, upstream);
}
