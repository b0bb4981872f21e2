/**
 * Raw HTTPS against a test cluster, below any client library: HTTP/2 with the admin client
 * certificate (the :path goes out exactly as written, dot segments and double slashes too),
 * and HTTP/1.1 with or without credentials. For tests of what the server does with input no
 * well-behaved client sends.
 */
import fs from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import path from 'node:path';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface RawOptions {
  body?: string | Buffer;
  /** Content-Type of the body. */
  type?: string;
  headers?: Record<string, string>;
  /** Send the body in chunks without a content-length. */
  chunked?: boolean;
}

export interface RawClient {
  /** HTTP/2 with the admin certificate. */
  request(method: string, path: string, opts?: RawOptions): Promise<Reply>;
  /** HTTP/1.1; `credentials: false` sends no client certificate. */
  http1(method: string, path: string, opts?: RawOptions & { credentials?: boolean }): Promise<Reply>;
  close(): void;
}

function tlsFiles(dataDir: string): { ca: Buffer; cert: Buffer; key: Buffer } {
  const dir = path.join(dataDir, 'server', 'tls');
  return {
    ca: fs.readFileSync(path.join(dir, 'server-ca.crt')),
    cert: fs.readFileSync(path.join(dir, 'client-admin.crt')),
    key: fs.readFileSync(path.join(dir, 'client-admin.key')),
  };
}

export function rawClient(url: () => string, dataDir: () => string): RawClient {
  let session: http2.ClientHttp2Session | undefined;
  const connect = (): http2.ClientHttp2Session => {
    if (session && !session.closed && !session.destroyed) return session;
    session = http2.connect(url(), tlsFiles(dataDir()));
    // A refused stream or a server restart must fail the request, not the test process.
    session.on('error', () => {});
    return session;
  };
  return {
    request(method, reqPath, opts = {}) {
      return new Promise((resolve, reject) => {
        const headers: http2.OutgoingHttpHeaders = { ':method': method, ':path': reqPath, ...opts.headers };
        if (opts.type) headers['content-type'] = opts.type;
        const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
        if (body && !opts.chunked) headers['content-length'] = String(body.length);
        const stream = connect().request(headers, { endStream: body === undefined });
        const chunks: Buffer[] = [];
        let reply: Omit<Reply, 'text'> | undefined;
        stream.on('response', (h) => {
          reply = { status: Number(h[':status']), headers: h as Reply['headers'] };
        });
        stream.on('data', (d: Buffer) => chunks.push(d));
        const done = (): void => {
          if (reply) resolve({ ...reply, text: Buffer.concat(chunks).toString('utf8') });
          else reject(new Error(`${method} ${reqPath}: no response`));
        };
        stream.on('end', done);
        // The server may answer (413) and reset the stream before it has read the whole body.
        stream.on('error', done);
        if (body) {
          if (opts.chunked) {
            for (let i = 0; i < body.length; i += 64 * 1024) stream.write(body.subarray(i, i + 64 * 1024));
            stream.end();
          } else {
            stream.end(body);
          }
        }
      });
    },
    http1(method, reqPath, opts = {}) {
      const files = tlsFiles(dataDir());
      const target = new URL(url());
      return new Promise((resolve, reject) => {
        const headers: Record<string, string> = { ...opts.headers };
        if (opts.type) headers['content-type'] = opts.type;
        const req = https.request(
          {
            host: target.hostname,
            port: target.port,
            method,
            path: reqPath,
            headers,
            ca: files.ca,
            ...(opts.credentials === false ? {} : { cert: files.cert, key: files.key }),
            agent: false,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (d: Buffer) => chunks.push(d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
          },
        );
        req.on('error', reject);
        req.end(opts.body);
      });
    },
    close() {
      session?.close();
    },
  };
}
