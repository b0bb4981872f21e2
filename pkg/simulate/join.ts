/**
 * How `tsk simulate` gets its credentials from a join token, as k3s's agent does: fetch the
 * server CA without trusting the connection, accept it only if its sha256 is the hash in the
 * token, then ask the supervisor (now over a verified connection) for a client certificate,
 * proving the join secret with HTTP basic auth.
 */
import https from 'node:https';
import { pemDecodeAll, pemEncode, type PemLabel } from '../auth/pem.ts';
import { caHash, parseJoinToken } from '../auth/token.ts';
import type { ClientCredentials } from '../client/client.ts';

/** One line for the user; main prints it as `tsk: <message>`. */
export class JoinError extends Error {}

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
  const url = new URL(path, server);
  try {
    return await get(url, opts);
  } catch (err) {
    throw new JoinError(`cannot reach the server at ${server} (--server): ${(err as Error).message}`);
  }
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

/** Credentials for `identity` (a supervisor certificate name such as "simulator"). */
export async function joinCredentials(server: string, token: string, identity: string): Promise<ClientCredentials> {
  const parsed = parseJoinToken(token);
  if (!parsed) throw new JoinError('--token: must be the join token K10<ca hash>::server:<secret> from the server\'s DATA_DIR/server/node-token');
  // Not trusted yet: the hash check below is what makes it trusted.
  const cacerts = await fetchFrom(server, '/cacerts', { rejectUnauthorized: false });
  if (cacerts.status !== 200) throw new JoinError(`the server at ${server} did not serve its CA (GET /cacerts answered ${cacerts.status})`);
  const ca = cacerts.body;
  const actual = caHash(ca);
  if (actual !== parsed.caHash) {
    throw new JoinError(`--token: the server's CA hash is ${actual}, the token expects ${parsed.caHash}: this token belongs to another server`);
  }
  const auth = `Basic ${Buffer.from(`${parsed.username}:${parsed.password}`).toString('base64')}`;
  const issued = await fetchFrom(server, `/v1-tsk/client-${identity}.crt`, { ca, headers: { authorization: auth } });
  if (issued.status === 401 || issued.status === 403) throw new JoinError(`--token: the server refused the join token (HTTP ${issued.status})`);
  if (issued.status !== 200) throw new JoinError(`the server at ${server} did not issue a certificate (${issued.status}: ${issued.body.trim()})`);
  const pair = splitCertAndKey(issued.body);
  if (!pair) throw new JoinError(`the server at ${server} answered a certificate request without a certificate and key`);
  return { server, ca, ...pair };
}
