/**
 * The API client every control-plane component and simulated node uses: JSON over one
 * HTTP/2 session (opened on first use, opened again after it dies), so thousands of clients
 * in one process cost one TLS connection each and no per-request sockets.
 */
import http2 from 'node:http2';
import type { KObject } from '../api/types.ts';
import { ClientError } from './errors.ts';
import { loadKubeconfig, type ClientCredentials } from './kubeconfig.ts';
import { withQuery } from './paths.ts';
import { guardSession, type ServerList } from './servers.ts';
import { WatchStream, type WatchEvent } from './watch.ts';

export { ClientError, isClientError, isExpired, type Status } from './errors.ts';
export { loadKubeconfig, type ClientCredentials } from './kubeconfig.ts';
export { resourcePath, type ResourceRef } from './paths.ts';
export type { WatchEvent } from './watch.ts';

export interface ClientOptions {
  /** Sent as User-Agent, so server logs and audit name the component. */
  userAgent?: string;
  /** Per request, not for watches (default 60 s). */
  requestTimeoutMs?: number;
  /**
   * The API servers of an HA cluster: connections go to the list's current one and a failed
   * connection moves to the next (credentials.server is then unused).
   */
  servers?: ServerList;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export interface WatchOptions {
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface WriteOptions {
  fieldManager?: string;
  dryRun?: 'All';
}

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: 'All';
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface ObjectList<T extends KObject = KObject> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

export class Client {
  private session: http2.ClientHttp2Session | undefined;
  private closed = false;
  private token: string | undefined;

  constructor(readonly credentials: ClientCredentials, private readonly options: ClientOptions = {}) {
    this.token = credentials.token;
  }

  /** Replaces the bearer token for later requests (a refreshed service-account token). */
  setToken(token: string): void {
    this.token = token;
  }

  /**
   * Replaces the client certificate (a renewed one). The API server refuses a certificate past
   * its notAfter even on an open connection, so the session that presented the old one is
   * retired: its open streams (watches) run to their end, new requests go out on a new session.
   */
  setClientCertificate(cert: string, key: string): void {
    this.credentials.cert = cert;
    this.credentials.key = key;
    const old = this.session;
    this.session = undefined;
    old?.close();
  }

  static fromKubeconfig(file: string, options: ClientOptions & { context?: string } = {}): Client {
    return new Client(loadKubeconfig(file, options.context), options);
  }

  get<T extends KObject = KObject>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  list<T extends KObject = KObject>(path: string, opts: ListOptions = {}): Promise<ObjectList<T>> {
    return this.request<ObjectList<T>>('GET', withQuery(path, { ...opts }));
  }

  create<T extends KObject = KObject>(path: string, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.request<T>('POST', withQuery(path, { ...opts }), JSON.stringify(obj));
  }

  update<T extends KObject = KObject>(path: string, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.request<T>('PUT', withQuery(path, { ...opts }), JSON.stringify(obj));
  }

  /** `apply` needs opts.fieldManager; `force` takes conflicting fields over. */
  patch<T extends KObject = KObject>(path: string, body: unknown, patchType: PatchType = 'merge', opts: WriteOptions & { force?: boolean } = {}): Promise<T> {
    return this.request<T>('PATCH', withQuery(path, { ...opts }), typeof body === 'string' ? body : JSON.stringify(body), PATCH_CONTENT_TYPE[patchType]);
  }

  /** Answers the object (still terminating, with finalizers) or a Status once it is gone. */
  delete<T extends KObject = KObject>(path: string, opts: DeleteOptions = {}): Promise<T> {
    const body = Object.keys(opts).length ? JSON.stringify({ apiVersion: 'v1', kind: 'DeleteOptions', ...opts }) : undefined;
    return this.request<T>('DELETE', path, body);
  }

  /** Events arrive as the server sends them; `stop()` ends the iteration. ERROR events are yielded as they come. */
  watch<T extends KObject = KObject>(path: string, opts: WatchOptions = {}): WatchStream<T> {
    const stream = this.connect().request(this.headers('GET', withQuery(path, { watch: 1, ...opts })), { endStream: true });
    return new WatchStream<T>(stream);
  }

  /** Closes the session; later calls open a new one unless `close` was final. */
  close(): void {
    this.closed = true;
    this.session?.close();
    this.session = undefined;
  }

  /** Any method, any path; JSON in, JSON out; non-2xx throws ClientError. */
  request<T>(method: string, path: string, body?: string, contentType = 'application/json'): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let stream: http2.ClientHttp2Stream;
      try {
        const headers = this.headers(method, path);
        if (body !== undefined) headers['content-type'] = contentType;
        stream = this.connect().request(headers, { endStream: body === undefined });
      } catch (err) {
        reject(ClientError.connection(err));
        return;
      }
      let code = 0;
      const chunks: Buffer[] = [];
      stream.setTimeout(this.options.requestTimeoutMs ?? 60_000, () => stream.close(http2.constants.NGHTTP2_CANCEL));
      stream.on('response', (h) => (code = Number(h[':status'])));
      stream.on('data', (d: Buffer) => chunks.push(d));
      stream.on('error', (err) => reject(ClientError.connection(err)));
      stream.on('close', () => {
        if (code === 0) return reject(ClientError.connection(new Error(`${method} ${path}: no answer`)));
        const text = Buffer.concat(chunks).toString('utf8');
        if (code < 200 || code >= 300) return reject(ClientError.fromResponse(code, text));
        try {
          resolve((text ? JSON.parse(text) : {}) as T);
        } catch (err) {
          reject(new ClientError(code, { message: `${method} ${path}: answer is not JSON: ${(err as Error).message}` }));
        }
      });
      if (body !== undefined) stream.end(body);
    });
  }

  private headers(method: string, path: string): http2.OutgoingHttpHeaders {
    const headers: http2.OutgoingHttpHeaders = { ':method': method, ':path': path, accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (this.options.userAgent) headers['user-agent'] = this.options.userAgent;
    return headers;
  }

  private connect(): http2.ClientHttp2Session {
    if (this.closed) throw new Error('client is closed');
    const current = this.session;
    if (current && !current.closed && !current.destroyed) return current;
    const { ca, cert, key } = this.credentials;
    const servers = this.options.servers;
    const server = servers?.current() ?? this.credentials.server;
    // Small requests must not wait on Nagle (the server sets TCP_NODELAY for the same reason).
    const session = http2.connect(server, { ca, cert, key, noDelay: true } as http2.SecureClientSessionOptions);
    // Failures reach the streams; the session itself is replaced on next use (with a server list, by the next server's).
    session.on('error', () => servers?.failed(server));
    if (servers) guardSession(session, server);
    const forget = () => {
      if (this.session === session) this.session = undefined;
    };
    session.on('close', forget);
    session.on('goaway', forget);
    this.session = session;
    return session;
  }
}
