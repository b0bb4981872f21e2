/** Stable codes for cluster DNS problems. */
export type DnsErrorCode =
  | 'bad-upstream' // an upstream server is not "ip" or "ip:port"
  | 'no-upstream' // forwarding asked for with no upstream configured
  | 'upstream-timeout' // no upstream answered in time
  | 'upstream-failed' // an upstream answered with garbage or closed the connection
  | 'listen-failed'; // the UDP or TCP socket could not be bound

export class DnsError extends Error {
  readonly code: DnsErrorCode;

  constructor(code: DnsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DnsError';
    this.code = code;
  }
}
