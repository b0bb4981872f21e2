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
 *   GET /v1-tsk/client-kubelet.crt     the same for a node's kubelet (system:node:<name>) and
 *   GET /v1-tsk/serving-kubelet.crt    its HTTPS API, with the node name, password and IPs in
 *                                      headers (pkg/auth/node/certificates.ts): the node
 *                                      password decides who may have a node name
 *   GET /v1-tsk/client-ca.crt          the client CA PEM (join secret required), which kubelets
 *                                      check the API server's client certificate against
 *   GET /v1-tsk/config                 the network settings every node must share (JSON, join
 *                                      secret required): cluster and service ranges, DNS,
 *                                      the flannel backend, node-side parts turned off
 *   GET /v1-tsk/server-bootstrap       the cluster's CAs with their keys and the service-account
 *                                      key (JSON, join secret required), for another server
 *                                      joining with --server (join.ts), as k3s's
 *                                      /v1-k3s/server-bootstrap
 */
import crypto from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { StrategyContext } from '../api/types.ts';
import { answerKubeletCertRequest, NODE_NAME_HEADER, type KubeletCertKind } from '../auth/node/certificates.ts';
import { nodePasswordCleanup, type NodePasswordSecrets } from '../auth/node/password.ts';
import { issueClientCert, type CertKey } from '../auth/pki.ts';
import type { ServerPki } from '../auth/serverpki.ts';
import { ApiError } from '../apiserver/errors.ts';
import type { ApiContext } from '../apiserver/handlers/context.ts';
import type { Request } from '../apiserver/http/body.ts';
import type { PathHandler } from '../apiserver/server.ts';
import { logger } from '../log/log.ts';
import type { ClusterNetworkConfig } from '../network/clusterconfig.ts';

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
  /** Handed to agents at /v1-tsk/config. */
  network: ClusterNetworkConfig;
  /** Where node password hashes live; undefined until the API server's store is up (503 meanwhile). */
  nodePasswords?: () => NodePasswordSecrets | undefined;
  /** The JSON another server joining the cluster fetches (join.ts); absent: 404. */
  serverBootstrap?: () => string;
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
    if (path === '/v1-tsk/config') {
      if (req.method !== 'GET') return reply(res, 405, 'method not allowed\n');
      if (!hasJoinSecret(req, opts.secret)) {
        return reply(res, 401, 'Unauthorized: the join token is not valid for this server\n', undefined, { 'www-authenticate': 'Basic realm="tsk"' });
      }
      return reply(res, 200, `${JSON.stringify(opts.network)}\n`, 'application/json');
    }
    if (path === '/v1-tsk/server-bootstrap' && opts.serverBootstrap) {
      if (req.method !== 'GET') return reply(res, 405, 'method not allowed\n');
      if (!hasJoinSecret(req, opts.secret)) {
        log.warn('refused the cluster\'s certificates to a caller without the join secret');
        return reply(res, 401, 'Unauthorized: the join token is not valid for this server\n', undefined, { 'www-authenticate': 'Basic realm="tsk"' });
      }
      log.info('handed the cluster\'s CAs and service-account key to a joining server');
      return reply(res, 200, opts.serverBootstrap(), 'application/json');
    }
    const name = /^\/v1-tsk\/([a-z]+-[a-z0-9-]+)\.crt$/.exec(path)?.[1] ?? '';
    const kubelet = /^(client|serving)-kubelet$/.exec(name)?.[1] as KubeletCertKind | undefined;
    const subject = name.startsWith('client-') ? IDENTITIES[name.slice('client-'.length)] : undefined;
    const clientCa = name === 'client-ca';
    if (!subject && !kubelet && !clientCa) return reply(res, 404, '404 page not found\n');
    if (req.method !== 'GET') return reply(res, 405, 'method not allowed\n');
    if (!hasJoinSecret(req, opts.secret)) {
      return reply(res, 401, 'Unauthorized: the join token is not valid for this server\n', undefined, { 'www-authenticate': 'Basic realm="tsk"' });
    }
    // The CA the API server's client certificates come from: joined kubelets trust it for their HTTPS API.
    if (clientCa) return reply(res, 200, opts.pki.clientCa.certPem, 'application/x-pem-file');
    if (kubelet) {
      const passwords = opts.nodePasswords?.();
      if (!passwords) return reply(res, 503, 'the API server is still starting; try again\n');
      const answer = await answerKubeletCertRequest(kubelet, req.headers, opts.pki, passwords);
      const node = String(req.headers[NODE_NAME_HEADER] ?? '');
      if (answer.status === 200) log.info(`issued the ${kubelet} certificate of node ${node}`);
      else log.warn(`refused the ${kubelet} certificate of node ${node}: ${answer.body.trim()}`);
      return reply(res, answer.status, answer.body, answer.status === 200 ? 'application/x-pem-file' : undefined);
    }
    const issued: CertKey = await issueClientCert(opts.pki.clientCa, subject!);
    log.info(`issued a client certificate for ${subject!.commonName}`);
    reply(res, 200, issued.certPem + issued.keyPem, 'application/x-pem-file');
  });
  return paths;
}

const asSystem = (): StrategyContext => ({ user: { username: 'system:apiserver', groups: ['system:masters'] }, now: new Date(), dryRun: false, subresource: '' });
const isReason = (err: unknown, reason: string) => err instanceof ApiError && err.reason === reason;

/** Node password Secrets in the API server's own store, written as the API server. */
export function storeNodePasswords(ctx: ApiContext): NodePasswordSecrets {
  const def = ctx.table.get('', 'v1', 'secrets')!;
  return {
    read: async (namespace, name) => (await ctx.store.read(def, namespace, name))?.obj,
    create: async (secret) => {
      try {
        await ctx.store.create(def, secret, asSystem());
        return true;
      } catch (err) {
        if (isReason(err, 'AlreadyExists')) return false;
        throw err;
      }
    },
    delete: async (namespace, name) => {
      try {
        await ctx.store.delete(def, namespace, name, {}, asSystem());
      } catch (err) {
        if (!isReason(err, 'NotFound')) throw err;
      }
    },
  };
}

/**
 * A deleted Node frees its name: its password Secret goes with it, as k3s's node controller
 * does. Returns the function that stops following.
 */
export function followNodeDeletions(ctx: ApiContext, passwords: NodePasswordSecrets): () => void {
  const onDeleted = nodePasswordCleanup(passwords, (node, err) => log.warn(`could not delete the node password of deleted node ${node}: ${err.message}`));
  const sub = ctx.cache.subscribe(ctx.table.get('', 'v1', 'nodes')!.storagePath, ctx.cache.revision, (events) => {
    for (const e of events) if (e.type === 'DELETED') onDeleted(e.object.obj.metadata.name!);
  });
  return () => sub?.cancel();
}
