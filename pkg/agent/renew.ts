/**
 * Certificate renewal: the kubelet's certificates (one year) are asked for again, with the
 * stored token and node password, when fewer than RENEW_BEFORE_DAYS remain, at start and
 * then once a day, as k3s renews certificates that expire within 90 days when it starts.
 */
import { logger } from '../log/log.ts';
import type { AgentJoinToken } from '../auth/node/token.ts';
import { daysLeft, writeAgentCredentials, type AgentCredentials, type AgentFiles, type StoredNodeConfig } from './files.ts';
import { fetchNodeCredentials, retryWhileUnavailable } from './join.ts';

const log = logger('agent');

export const RENEW_BEFORE_DAYS = 90;
const CHECK_INTERVAL_MS = 24 * 3600_000;

export interface Renewal {
  files: AgentFiles;
  node: StoredNodeConfig;
  token: AgentJoinToken;
  password: string;
}

/** Fresh credentials when the current client or serving certificate is close to expiry, else undefined. */
export async function renewIfExpiring(r: Renewal, current: AgentCredentials, stopped: Promise<unknown>, now = new Date()): Promise<AgentCredentials | undefined> {
  const left = Math.min(daysLeft(current.client.cert, now), daysLeft(current.serving.cert, now));
  if (left > RENEW_BEFORE_DAYS) return undefined;
  log.info(`the kubelet certificates of node ${r.node.nodeName} expire in ${Math.floor(left)} days: renewing`);
  const identity = { nodeName: r.node.nodeName, nodeIp: r.node.nodeIp, password: r.password };
  const fresh = await retryWhileUnavailable(() => fetchNodeCredentials(r.node.server, r.token, identity), stopped);
  if (fresh) writeAgentCredentials(r.files, fresh);
  return fresh;
}

/** Checks once a day; `renewed` gets the new credentials. Returns the function that stops checking. */
export function scheduleRenewal(r: Renewal, initial: AgentCredentials, stopped: Promise<unknown>, renewed: (creds: AgentCredentials) => void): () => void {
  let current = initial;
  const timer = setInterval(() => {
    renewIfExpiring(r, current, stopped).then((fresh) => {
      if (!fresh) return;
      current = fresh;
      renewed(fresh);
    }, (err: Error) => log.error(`renewing the kubelet certificates failed: ${err.message}`));
  }, CHECK_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
