/**
 * The HTTPS front door: HTTP/2 and HTTP/1.1 on one TLS port (kubectl speaks HTTP/2; upgrades
 * for exec and port-forward need HTTP/1.1). Every request is authenticated, authorized, then
 * served: health and version to anyone, everything else to who may.
 */
import http2 from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { UserInfo } from '../api/types.ts';
import { logger } from '../log/log.ts';
import { aggregatedVersion, DISCOVERY_V2, DISCOVERY_V2BETA1, type Discovery } from './discovery.ts';
import { ApiError, apiErrors } from './errors.ts';
import type { ApiContext } from './handlers/context.ts';
import type { Request } from './http/body.ts';
import { holdUpgrade } from './http/upgrade.ts';
import { send, sendError, sendText, type Response } from './http/respond.ts';
import { authorizationInfo, BadPathError, parseRequestInfo, type RequestInfo } from './requestinfo.ts';
import { notFoundPath, serveResource } from './router.ts';

const log = logger('apiserver');

export interface Authorizer {
  /** undefined when allowed; the 403 (with Kubernetes' Forbidden text) otherwise. */
  authorize(user: UserInfo, info: RequestInfo): ApiError | undefined;
}

export interface Authenticator {
  /** The user a request comes from, or undefined for an anonymous request. 401 is thrown for bad credentials. */
  authenticate(req: Request, peer: TLSSocket | undefined): Promise<UserInfo | undefined>;
}

/** Extra non-resource handlers (OpenAPI, OIDC discovery) keyed by path prefix. */
export type PathHandler = (req: Request, res: Response, path: string, query: URLSearchParams, user: UserInfo) => Promise<void> | void;

export interface ApiServerOptions {
  host: string;
  port: number;
  tls: { certPem: string; keyPem: string; clientCaPem: string };
  ctx: ApiContext;
  discovery: Discovery;
  authenticator: Authenticator;
  authorizer: Authorizer;
  version: Record<string, string>;
  paths?: Map<string, PathHandler>;
  /** Handlers served before authentication, which check their callers themselves (the supervisor's join-token endpoints). */
  unauthenticatedPaths?: Map<string, PathHandler>;
  /** Impersonate-* headers: the user the request acts as (throws 400/403). */
  impersonate?: (user: UserInfo, req: Request) => UserInfo;
  /** Whether the server is ready to serve (readyz). */
  ready: () => boolean;
}

export interface ApiServer {
  address: AddressInfo;
  /** Serves new connections with this certificate (a renewed one); open connections keep theirs. */
  setTls(tls: ApiServerOptions['tls']): void;
  close(): Promise<void>;
}

const PUBLIC = new Set(['/healthz', '/livez', '/readyz', '/version', '/healthz/ping', '/livez/ping', '/readyz/ping']);

const ANONYMOUS: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

/** The handler whose prefix is the path or one of its parent folders. */
function matchPath(paths: Map<string, PathHandler> | undefined, path: string): PathHandler | undefined {
  for (const [prefix, handler] of paths ?? []) {
    if (path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`)) return handler;
  }
  return undefined;
}

function peerSocket(req: Request): TLSSocket | undefined {
  return req.socket as TLSSocket | undefined;
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const server = http2.createSecureServer({
    allowHTTP1: true,
    cert: opts.tls.certPem,
    key: opts.tls.keyPem,
    ca: opts.tls.clientCaPem,
    requestCert: true,
    rejectUnauthorized: false,
    settings: { maxConcurrentStreams: 1000 },
  });
  const handle = async (req: Request, res: Response): Promise<void> => {
    // The raw path, as Kubernetes routes it: no dot-segment resolution, no host in "//x".
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : target.slice(q + 1));
    if (path.startsWith('//')) {
      send(res, 404, '404 page not found\n', 'text/plain; charset=utf-8');
      return;
    }
    const own = matchPath(opts.unauthenticatedPaths, path);
    if (own) return own(req, res, path, query, ANONYMOUS);
    let info: RequestInfo;
    try {
      info = parseRequestInfo(req.method ?? 'GET', path, query);
    } catch (err) {
      if (err instanceof BadPathError) throw notFoundPath();
      throw err;
    }
    const authenticated = await opts.authenticator.authenticate(req, peerSocket(req));
    if (!authenticated) {
      if (PUBLIC.has(path.replace(/\/+$/, '')) || path.startsWith('/livez/') || path.startsWith('/readyz/') || path.startsWith('/healthz/')) return serveNonResource(opts, req, res, path, query, ANONYMOUS);
      throw apiErrors.unauthorized();
    }
    const user = opts.impersonate ? opts.impersonate(authenticated, req) : authenticated;
    const denied = opts.authorizer.authorize(user, authorizationInfo(info));
    if (denied !== undefined) throw denied;
    if (info.isResourceRequest) return serveResource(opts.ctx, req, res, info, user, query);
    return serveNonResource(opts, req, res, path, query, user);
  };
  const onRequest = (req: Request, res: Response): void => {
    const started = Date.now();
    handle(req, res)
      .catch((err: unknown) => {
        if (!(err instanceof ApiError) || err.code >= 500) log.debug(`${req.method} ${req.url}: ${(err as Error).message}`);
        sendError(res, err);
      })
      .finally(() => log.debug(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`));
  };
  server.on('request', onRequest);
  // HTTP/1.1 upgrades (exec, attach, port-forward) take the same path, answered on their socket.
  server.on('upgrade', (req: import('node:http').IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => onRequest(req, holdUpgrade(req, socket, head)));
  // A TLS or protocol error on one connection must not end the server.
  server.on('tlsClientError', () => {});
  server.on('sessionError', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('secureConnection', (s) => {
    // Small answers must not wait for Nagle's algorithm (a delayed ACK costs tens of ms).
    s.setNoDelay(true);
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    address: server.address() as AddressInfo,
    setTls: (tls) => server.setSecureContext({ cert: tls.certPem, key: tls.keyPem, ca: tls.clientCaPem }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sessions) s.close();
        // Watches never end by themselves: give in-flight requests a moment, then cut.
        setTimeout(() => {
          for (const s of sessions) s.destroy();
          for (const s of sockets) s.destroy();
        }, 1000).unref();
      }),
  };
}

async function serveNonResource(opts: ApiServerOptions, req: Request, res: Response, rawPath: string, query: URLSearchParams, user: UserInfo): Promise<void> {
  // Kubernetes serves /api/ as /api, /version/ as /version (clients generated from OpenAPI ask so).
  const path = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') : rawPath;
  const health = /^\/(healthz|livez|readyz)(\/.*)?$/.exec(path);
  // Health checks answer whatever the method, as their handlers do in Kubernetes.
  if (!health && req.method !== 'GET' && req.method !== 'HEAD') {
    throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
  }
  if (health) {
    const ok = health[1] !== 'readyz' || opts.ready();
    const text = query.has('verbose') ? `[+]ping ok\n[${ok ? '+' : '-'}]api ${ok ? 'ok' : 'not ready'}\n${health[1]} check ${ok ? 'passed' : 'failed'}\n` : ok ? 'ok' : 'not ready';
    sendText(res, ok ? 200 : 503, text);
    return;
  }
  if (path === '/version') {
    send(res, 200, JSON.stringify(opts.version, null, 2));
    return;
  }
  const docs = opts.discovery.docs();
  const aggregated = aggregatedVersion(req.headers.accept);
  if (path === '/api' || path === '/apis') {
    if (aggregated) {
      const body = docs.aggregated[aggregated][path === '/api' ? 'api' : 'apis'];
      send(res, 200, body, aggregated === 'v2' ? DISCOVERY_V2 : DISCOVERY_V2BETA1, { etag: docs.etags[path === '/api' ? 'api' : 'apis'], vary: 'Accept' });
    } else {
      send(res, 200, path === '/api' ? docs.api : docs.apis, 'application/json', { vary: 'Accept' });
    }
    return;
  }
  const group = /^\/apis\/([^/]+)$/.exec(path);
  if (group) {
    const doc = docs.groups.get(group[1]!);
    if (!doc) throw notFoundPath();
    send(res, 200, doc);
    return;
  }
  const gv = /^\/api\/(v1)$/.exec(path) ?? /^\/apis\/([^/]+\/[^/]+)$/.exec(path);
  if (gv) {
    const doc = docs.resourceLists.get(gv[1]!);
    if (!doc) throw notFoundPath();
    send(res, 200, doc);
    return;
  }
  const handler = matchPath(opts.paths, path);
  if (handler) return handler(req, res, path, query, user);
  throw notFoundPath();
}
