/**
 * The supervisor: what a machine asks the server before it has any credentials, served on the
 * API port ahead of authentication, as k3s's supervisor does.
 *
 *   GET /cacerts                       the server CA PEM, to anyone: the caller checks its
 *                                      sha256 against the hash in its join token, so it needs
 *                                      no trust in the connection
 *   GET /v1-tsk/client-<identity>.crt  a fresh client certificate and key (PEMs, certificate
 *                                      first) for one of IDENTITIES, to callers presenting the
 *                                      join secret as HTTP basic auth `server:<secret>` or
 *                                      `node:<secret>`
 *
 * Certificates for kubelets (one per node name) are meant to join IDENTITIES the same way.
 */
import crypto from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { issueClientCert, type CertKey } from '../auth/pki.ts';
import type { ServerPki } from '../auth/serverpki.ts';
import type { Request } from '../apiserver/http/body.ts';
import type { PathHandler } from '../apiserver/server.ts';
import { logger } from '../log/log.ts';

const log = logger('supervisor');

/** The one identity every simulated node of `tsk simulate` acts as (kwok uses one too). */
export const SIMULATOR_USER = 'system:tsk-simulator';

/** Certificate path name → the subject it is issued for. */
const IDENTITIES: Record<string, { commonName: string; groups?: string[] }> = {
  simulator: { commonName: SIMULATOR_USER },
};

const JOIN_USERS = new Set(['server', 'node']);

export interface SupervisorOptions {
  pki: Pick<ServerPki, 'serverCa' | 'clientCa'>;
  /** The join secret (the part after `server:` in the join token). */
  secret: string;
}

function reply(res: unknown, status: number, body: string, contentType = 'text/plain; charset=utf-8', extra: Record<string, string> = {}): void {
  const r = res as ServerResponse;
  r.writeHead(status, { 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)), ...extra });
  r.end(body);
}

/** Whether the request carries `Authorization: Basic server:<secret>` (or node:), compared in constant time. */
export function hasJoinSecret(req: Pick<Request, 'headers'>, secret: string): boolean {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Basic\s+(\S+)$/i.exec(header) : null;
  if (!match) return false;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0 || !JOIN_USERS.has(decoded.slice(0, colon))) return false;
  const given = crypto.createHash('sha256').update(decoded.slice(colon + 1)).digest();
  const wanted = crypto.createHash('sha256').update(secret).digest();
  return crypto.timingSafeEqual(given, wanted);
}

/** The supervisor's handlers by path prefix, for the API server's pre-authentication paths. */
export function supervisorPaths(opts: SupervisorOptions): Map<string, PathHandler> {
  const paths = new Map<string, PathHandler>();
  paths.set('/cacerts', (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'method not allowed\n');
    reply(res, 200, opts.pki.serverCa.certPem, 'application/x-pem-file');
  });
  paths.set('/v1-tsk', async (req, res, path) => {
    const identity = /^\/v1-tsk\/client-([a-z0-9-]+)\.crt$/.exec(path)?.[1];
    const subject = identity !== undefined ? IDENTITIES[identity] : undefined;
    if (!subject) return reply(res, 404, '404 page not found\n');
    if (req.method !== 'GET') return reply(res, 405, 'method not allowed\n');
    if (!hasJoinSecret(req, opts.secret)) {
      return reply(res, 401, 'Unauthorized: the join token is not valid for this server\n', undefined, { 'www-authenticate': 'Basic realm="tsk"' });
    }
    const issued: CertKey = await issueClientCert(opts.pki.clientCa, subject);
    log.info(`issued a client certificate for ${subject.commonName}`);
    reply(res, 200, issued.certPem + issued.keyPem, 'application/x-pem-file');
  });
  return paths;
}
