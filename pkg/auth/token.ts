/** The CA hash a join token carries (DESIGN.md: `K10<sha256 of the CA PEM>::server:<secret>`). */
import crypto from 'node:crypto';

/** sha256, lower-case hex, of the CA PEM exactly as stored in server-ca.crt. */
export function caHash(caPem: string | Uint8Array): string {
  return crypto.createHash('sha256').update(caPem).digest('hex');
}

/** The full join token for this CA and secret. */
export function formatJoinToken(caPem: string | Uint8Array, secret: string): string {
  return `K10${caHash(caPem)}::server:${secret}`;
}

export interface JoinToken {
  /** sha256 hex of the CA PEM the joining side must see before trusting the server. */
  caHash: string;
  /** The credentials after `::`: `server:<secret>` (or `node:<secret>`). */
  username: string;
  password: string;
}

/** The parts of `K10<ca hash>::<user>:<secret>`; undefined when the text is not one. */
export function parseJoinToken(token: string): JoinToken | undefined {
  const match = /^K10([0-9a-f]{64})::([^:]+):(.+)$/.exec(token.trim());
  if (!match) return undefined;
  return { caHash: match[1]!, username: match[2]!, password: match[3]! };
}
