/**
 * Getting a node's credentials from a server with a join token: the CA (checked against the
 * token), then the kubelet's client and serving certificates, both under this machine's node
 * password. A server that cannot be reached, or answers 5xx while it starts, is tried again
 * with back-off (each retry logged); anything else the server refuses ends the join at once.
 */
import { parseAgentJoinToken, type AgentJoinToken } from '../auth/node/token.ts';
import { NODE_IP_HEADER, NODE_NAME_HEADER, NODE_PASSWORD_HEADER } from '../auth/node/certificates.ts';
import { logger } from '../log/log.ts';
import { fetchClientCa, fetchServerCa, JoinError, requestCertificate, ServerUnavailable } from './bootstrap.ts';
import type { AgentCredentials } from './files.ts';

const log = logger('agent');

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

/** `--token` as given, parsed; a JoinError naming --token when it is not a join token. */
export function agentToken(token: string): AgentJoinToken {
  const parsed = parseAgentJoinToken(token);
  if (!parsed) {
    throw new JoinError('--token: must be the join token from the server\'s DATA_DIR/server/node-token (K10<ca hash>::server:<secret>), K10::server:<secret>, or the bare secret');
  }
  return parsed;
}

/** Resolves after `ms`, or as soon as `stopped` settles (then with false). */
function pause(ms: number, stopped: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const slept = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), ms)));
  return Promise.race([slept, stopped.then(() => false)]).finally(() => clearTimeout(timer));
}

/**
 * Calls `attempt` until it succeeds, retrying only ServerUnavailable with doubling back-off;
 * undefined when `stopped` settles first.
 */
export async function retryWhileUnavailable<T>(attempt: () => Promise<T>, stopped: Promise<unknown>): Promise<T | undefined> {
  let delay = FIRST_RETRY_MS;
  let done = false;
  void stopped.then(() => (done = true));
  while (!done) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ServerUnavailable)) throw err;
      log.warn(`${err.message}; retrying in ${delay / 1000} s`);
      if (!(await pause(delay, stopped))) return undefined;
      delay = Math.min(delay * 2, MAX_RETRY_MS);
    }
  }
  return undefined;
}

/**
 * Runs `attempt` against each server in turn until one answers: the server the node joined
 * first, then the others it learned (HA). Only an unreachable server moves on to the next; the
 * last one's ServerUnavailable is thrown when none answers.
 */
export async function onAnyServer<T>(servers: readonly string[], attempt: (server: string) => Promise<T>): Promise<T> {
  let unavailable: ServerUnavailable | undefined;
  for (const server of new Set(servers)) {
    try {
      return await attempt(server);
    } catch (err) {
      if (!(err instanceof ServerUnavailable)) throw err;
      unavailable = err;
    }
  }
  throw unavailable ?? new ServerUnavailable('no server to ask');
}

export interface NodeIdentity {
  nodeName: string;
  nodeIp: string;
  password: string;
}

/**
 * One attempt at the node's credentials (the caller retries ServerUnavailable). A renewal
 * passes the CA the node already trusts: then no server, the joined one or another it learned,
 * is trusted on first use, even with a token that carries no CA hash.
 */
export async function fetchNodeCredentials(server: string, token: AgentJoinToken, node: NodeIdentity, trustedCa?: string): Promise<AgentCredentials> {
  const ca = trustedCa ?? await fetchServerCa(server, token, (hash) => {
    log.warn(`the token carries no CA hash: trusting the server's CA as first seen (sha256 ${hash}); use the full token from DATA_DIR/server/node-token to check it`);
  });
  const headers = { [NODE_NAME_HEADER]: node.nodeName, [NODE_PASSWORD_HEADER]: node.password, [NODE_IP_HEADER]: node.nodeIp };
  const [client, serving, clientCa] = await Promise.all([
    requestCertificate(server, ca, token, '/v1-tsk/client-kubelet.crt', headers),
    requestCertificate(server, ca, token, '/v1-tsk/serving-kubelet.crt', headers),
    fetchClientCa(server, ca, token),
  ]);
  return { client: { server, ca, ...client }, serving, clientCa };
}
