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
