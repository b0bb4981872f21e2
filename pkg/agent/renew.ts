/**
 * Certificate renewal: the kubelet's certificates (one year) are asked for again, with the
 * stored token and node password, when fewer than 90 days remain (pkg/auth/certpolicy.ts), at
 * start and then once a day, as k3s renews certificates that expire within 90 days when it
 * starts. The running agent switches to them without a restart (run.ts credentialsRenewed).
 */
import { certPolicy, msLeft } from '../auth/certpolicy.ts';
import { logger } from '../log/log.ts';
import type { AgentJoinToken } from '../auth/node/token.ts';
import { readServers, writeAgentCredentials, type AgentCredentials, type AgentFiles, type StoredNodeConfig } from './files.ts';
import { fetchNodeCredentials, onAnyServer, retryWhileUnavailable } from './join.ts';

const log = logger('agent');

export interface Renewal {
  files: AgentFiles;
  node: StoredNodeConfig;
  token: AgentJoinToken;
  password: string;
}

/** The joined server first, then the others the agent learned: any of them can answer while one is down. */
export function serversOf(r: Renewal): string[] {
  return [r.node.server, ...readServers(r.files)];
}

/** Fresh credentials when the current client or serving certificate is close to expiry, else undefined. */
export async function renewIfExpiring(r: Renewal, current: AgentCredentials, stopped: Promise<unknown>, now = new Date()): Promise<AgentCredentials | undefined> {
  const left = Math.min(msLeft(current.client.cert, now), msLeft(current.serving.cert, now));
  if (left >= certPolicy().renewWithinMs) return undefined;
  log.info(`the kubelet certificates of node ${r.node.nodeName} expire in ${Math.floor(left / 86_400_000)} days: renewing`);
  const identity = { nodeName: r.node.nodeName, nodeIp: r.node.nodeIp, password: r.password };
  const fresh = await retryWhileUnavailable(() => onAnyServer(serversOf(r), (server) => fetchNodeCredentials(server, r.token, identity, current.client.ca)), stopped);
  if (fresh) writeAgentCredentials(r.files, fresh);
  return fresh;
}

/** Checks once a day; `renewed` gets the new credentials. Returns the function that stops checking. */
export function scheduleRenewal(r: Renewal, initial: AgentCredentials, stopped: Promise<unknown>, renewed: (creds: AgentCredentials) => void): () => void {
  let current = initial;
  let busy = false;
  const timer = setInterval(() => {
    // A renewal still waiting for an unreachable server is not started twice.
    if (busy) return;
    busy = true;
    renewIfExpiring(r, current, stopped).then((fresh) => {
      if (!fresh) return;
      current = fresh;
      renewed(fresh);
    }, (err: Error) => log.error(`renewing the kubelet certificates failed: ${err.message}`)).finally(() => {
      busy = false;
    });
  }, certPolicy().checkIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
