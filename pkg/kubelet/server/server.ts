/**
 * The kubelet's HTTPS API on --kubelet-port, with the node's serving certificate. Only the API
 * server (its kubelet-client certificate) and system:masters get in: callers authenticate with
 * a certificate from the cluster's client CA (401 without one), anyone else is refused (403).
 * Paths as the real kubelet spells them: /healthz, /pods, /containerLogs/…, /metrics/resource
 * (what metrics-server and so `kubectl top` read), and the upgrades /exec/…, /attach/…,
 * /portForward/….
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { ADMIN_GROUP, KUBELET_CLIENT_USER } from '../../auth/serverpki.ts';
import type { CriClient } from '../../cri/client.ts';
import { logger } from '../../log/log.ts';
import { PROMETHEUS_TEXT, formatResourceMetrics } from '../stats/prometheus.ts';
import { collectResourceMetrics } from '../stats/resource.ts';
import { refuseUpgrade } from '../../streaming/upgrade.ts';
import { serveContainerLogs } from './containerlogs.ts';
import { KubeletApiError, type PodSource } from './containers.ts';
import { serveStream, type StreamKind } from './streams.ts';

const log = logger('kubelet-server');

export interface KubeletServerOptions {
  port: number;
  /** Default: every address, as the kubelet listens. */
  host?: string;
  serving: { cert: string; key: string };
  /** The CA client certificates must come from; without it every caller is refused. */
  clientCa?: string;
  runtime: CriClient;
  pods: PodSource;
}

export interface KubeletServer {
  address: AddressInfo;
  /** Serves new connections with this certificate (a renewed one); open connections keep theirs. */
  setServing(serving: { cert: string; key: string }): void;
  close(): Promise<void>;
}

const STREAM_KINDS = new Set<string>(['exec', 'attach', 'portForward']);

/** 401/403 as the kubelet answers them, or undefined for a caller it serves. */
function refusal(socket: TLSSocket, method: string): KubeletApiError | undefined {
  if (!socket.authorized) return new KubeletApiError(401, 'Unauthorized');
  const subject = socket.getPeerCertificate().subject ?? {};
  const user = String(subject.CN ?? '');
  const groups = ([] as string[]).concat(subject.O ?? []);
  if (user === KUBELET_CLIENT_USER || groups.includes(ADMIN_GROUP)) return undefined;
  const verb = method === 'GET' ? 'get' : 'create';
  return new KubeletApiError(403, `Forbidden (user=${user}, verb=${verb}, resource=nodes, subresource(s)=[proxy])`);
}

/** The path's parts, decoded, and its query. */
function parse(url: string | undefined): { segments: string[]; query: URLSearchParams } {
  const parsed = new URL(url ?? '/', 'https://kubelet');
  return { segments: parsed.pathname.split('/').filter((s) => s !== '').map(decodeURIComponent), query: parsed.searchParams };
}

function reply(res: http.ServerResponse, code: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(code, { 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

function errorCode(err: unknown): { code: number; message: string } {
  if (err instanceof KubeletApiError) return { code: err.code, message: err.message };
  return { code: 500, message: (err as Error)?.message ?? String(err) };
}

export async function startKubeletServer(options: KubeletServerOptions): Promise<KubeletServer> {
  const deps = { runtime: options.runtime, pods: options.pods };
  const server = https.createServer({
    cert: options.serving.cert,
    key: options.serving.key,
    requestCert: options.clientCa !== undefined,
    rejectUnauthorized: false,
    ...(options.clientCa !== undefined ? { ca: options.clientCa } : {}),
  });

  const serve = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const denied = refusal(req.socket as TLSSocket, req.method ?? 'GET');
    if (denied) throw denied;
    const { segments, query } = parse(req.url);
    const [first, ...rest] = segments;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      if (STREAM_KINDS.has(first ?? '')) throw new KubeletApiError(400, 'Upgrade request required');
      throw new KubeletApiError(405, 'method not allowed');
    }
    if (first === 'healthz' && rest.length === 0) return reply(res, 200, 'ok');
    if (first === 'pods' && rest.length === 0) {
      return reply(res, 200, JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: await deps.pods.list() }), 'application/json');
    }
    if (first === 'metrics' && rest.length === 1 && rest[0] === 'resource') {
      return reply(res, 200, formatResourceMetrics(await collectResourceMetrics(deps.runtime)), PROMETHEUS_TEXT);
    }
    if (first === 'containerLogs' && rest.length === 3) {
      const [namespace, pod, container] = rest as [string, string, string];
      return serveContainerLogs(deps, { namespace, pod, container }, query, res);
    }
    if (STREAM_KINDS.has(first ?? '')) throw new KubeletApiError(400, 'Upgrade request required');
    throw new KubeletApiError(404, '404 page not found');
  };
  server.on('request', (req, res) => {
    serve(req, res).catch((err: unknown) => {
      const { code, message } = errorCode(err);
      if (code >= 500) log.warn(`${req.method} ${req.url}: ${message}`);
      reply(res, code, message);
    });
  });

  const serveUpgrade = async (req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    const denied = refusal(socket as TLSSocket, req.method ?? 'GET');
    if (denied) throw denied;
    const { segments, query } = parse(req.url);
    const [first, ...rest] = segments;
    if (!STREAM_KINDS.has(first ?? '')) throw new KubeletApiError(404, '404 page not found');
    await serveStream(deps, first as StreamKind, rest, query, { req, socket, head });
  };
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    serveUpgrade(req, socket, head).catch((err: unknown) => {
      const { code, message } = errorCode(err);
      if (code >= 500) log.warn(`${req.method} ${req.url}: ${message}`);
      if (socket.writable) refuseUpgrade(socket, code, message);
    });
  });
  server.on('tlsClientError', () => {});

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const sockets = new Set<Duplex>();
  server.on('secureConnection', (s: Duplex) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    address: server.address() as AddressInfo,
    setServing: (serving) => server.setSecureContext({ cert: serving.cert, key: serving.key, ...(options.clientCa !== undefined ? { ca: options.clientCa } : {}) }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Followed logs and open sessions never end by themselves.
        for (const s of sockets) s.destroy();
      }),
  };
}
