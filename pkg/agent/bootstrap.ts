/**
 * Talking to the supervisor before having credentials, as k3s's agent does: fetch the server
 * CA without trusting the connection, accept it only if its sha256 is the hash in the token
 * (or, for a token without a hash, take it on first use), then ask for certificates over a
 * connection verified against that CA, proving the join secret with HTTP basic auth.
 * Shared by `tsk agent join` and `tsk simulate`.
 */
import https from 'node:https';
import { pemDecodeAll, pemEncode, type PemLabel } from '../auth/pem.ts';
import { caHash } from '../auth/token.ts';
import type { AgentJoinToken } from '../auth/node/token.ts';
import { parseClusterNetworkConfig, type ClusterNetworkConfig } from '../network/clusterconfig.ts';

/** One line for the user; main prints it as `tsk: <message>`. */
export class JoinError extends Error {}

/** The server could not be reached or answered 5xx: worth trying again later. */
export class ServerUnavailable extends JoinError {}

interface Answer {
  status: number;
  body: string;
}

function get(url: URL, opts: https.RequestOptions): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ...opts, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
  });
}

async function fetchFrom(server: string, path: string, opts: https.RequestOptions): Promise<Answer> {
  let answer: Answer;
  try {
    answer = await get(new URL(path, server), opts);
  } catch (err) {
    throw new ServerUnavailable(`cannot reach the server at ${server} (--server): ${(err as Error).message}`);
  }
  if (answer.status >= 500) throw new ServerUnavailable(`the server at ${server} answered ${path} with ${answer.status}: ${answer.body.trim().slice(0, 200)}`);
  return answer;
}

/** The certificate chain and key PEMs of the supervisor's answer (certificates first, as k3s sends them). */
export function splitCertAndKey(text: string): { cert: string; key: string } | undefined {
  let blocks;
  try {
    blocks = pemDecodeAll(text);
  } catch {
    return undefined;
  }
  const key = blocks.find((b) => b.label.endsWith('PRIVATE KEY'));
  const certs = blocks.filter((b) => b.label === 'CERTIFICATE');
  if (!key || certs.length === 0) return undefined;
  return { cert: certs.map((b) => pemEncode('CERTIFICATE', b.der)).join(''), key: pemEncode(key.label as PemLabel, key.der) };
}

/**
 * The server's CA PEM, checked against the token's hash. `trustOnFirstUse` is called when the
 * token carries no hash, so the caller can say that it trusted what it was shown.
 */
export async function fetchServerCa(server: string, token: AgentJoinToken, trustOnFirstUse: (hash: string) => void = () => {}): Promise<string> {
  // Not trusted yet: the hash check below is what makes it trusted.
  const cacerts = await fetchFrom(server, '/cacerts', { rejectUnauthorized: false });
  if (cacerts.status !== 200) throw new JoinError(`the server at ${server} did not serve its CA (GET /cacerts answered ${cacerts.status})`);
  const ca = cacerts.body;
  const actual = caHash(ca);
  if (token.caHash === undefined) trustOnFirstUse(actual);
  else if (actual !== token.caHash) {
    throw new JoinError(`--token: the server's CA hash is ${actual}, the token expects ${token.caHash}: the server's CA does not match the token's hash (is the token another server's?)`);
  }
  return ca;
}

function basicAuth(token: AgentJoinToken): string {
  return `Basic ${Buffer.from(`${token.username}:${token.password}`).toString('base64')}`;
}

/** The cluster's client CA, which the kubelet's HTTPS API checks the API server's certificate against. */
export async function fetchClientCa(server: string, ca: string, token: AgentJoinToken): Promise<string> {
  const answer = await fetchFrom(server, '/v1-tsk/client-ca.crt', { ca, headers: { authorization: basicAuth(token) } });
  if (answer.status === 401) throw new JoinError(`--token: the server refused the join token (HTTP ${answer.status})`);
  if (answer.status !== 200 || !answer.body.includes('BEGIN CERTIFICATE')) throw new JoinError(`the server at ${server} did not serve its client CA (${answer.status}: ${answer.body.trim()})`);
  return answer.body;
}

/** A certificate and key from the supervisor at `path` (e.g. /v1-tsk/client-kubelet.crt). */
export async function requestCertificate(
  server: string,
  ca: string,
  token: AgentJoinToken,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ cert: string; key: string }> {
  const issued = await fetchFrom(server, path, { ca, headers: { ...headers, authorization: basicAuth(token) } });
  if (issued.status === 401) throw new JoinError(`--token: the server refused the join token (HTTP ${issued.status})`);
  if (issued.status === 403) throw new JoinError(`the server refused: ${issued.body.trim()}`);
  if (issued.status !== 200) throw new JoinError(`the server at ${server} did not issue a certificate (${issued.status}: ${issued.body.trim()})`);
  const pair = splitCertAndKey(issued.body);
  if (!pair) throw new JoinError(`the server at ${server} answered a certificate request without a certificate and key`);
  return pair;
}

/** The network settings the server's nodes share (cluster range, DNS, backend). */
export async function fetchClusterNetwork(server: string, ca: string, token: AgentJoinToken): Promise<ClusterNetworkConfig> {
  const answer = await fetchFrom(server, '/v1-tsk/config', { ca, headers: { authorization: basicAuth(token) } });
  if (answer.status === 401) throw new JoinError(`--token: the server refused the join token (HTTP ${answer.status})`);
  if (answer.status !== 200) throw new JoinError(`the server at ${server} did not serve the cluster's network settings (GET /v1-tsk/config answered ${answer.status})`);
  try {
    return parseClusterNetworkConfig(answer.body);
  } catch (err) {
    throw new JoinError(`the server at ${server} served unusable network settings: ${(err as Error).message}`);
  }
}

/**
 * What another server needs to join the cluster as a server (the CAs' keys, the service-account
 * key), as JSON: pkg/server/join.ts reads it. Only over TLS checked against the token's CA.
 */
export async function fetchServerBootstrap(server: string, ca: string, token: AgentJoinToken): Promise<string> {
  const answer = await fetchFrom(server, '/v1-tsk/server-bootstrap', { ca, headers: { authorization: basicAuth(token) } });
  if (answer.status === 401) throw new JoinError(`--token: the server at ${server} refused the token (HTTP 401): it is not this cluster's join token`);
  if (answer.status !== 200) throw new JoinError(`the server at ${server} did not serve the cluster's certificates (GET /v1-tsk/server-bootstrap answered ${answer.status}: ${answer.body.trim().slice(0, 200)})`);
  return answer.body;
}
