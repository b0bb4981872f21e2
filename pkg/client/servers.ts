/**
 * The client-side load balancer of an HA cluster, in the spirit of k3s's agent load balancer:
 * an ordered list of API server URLs, one of which is in use. A connection that fails moves
 * the client to the next URL, so an agent whose server died keeps working through another.
 *
 * k3s runs a TCP proxy on 127.0.0.1:6444 because its kubelet, kube-proxy and containerd each
 * dial the API separately; every piece of tsk's agent shares one in-process Client, so a list
 * the Client consults when it opens a connection does the same with no extra hop.
 *
 * The URL the user gave (--server) stays first and is never dropped: it may be a load balancer
 * or a DNS name in front of all servers, and it is what a restart falls back to.
 */

import type http2 from 'node:http2';

/** A server that has not finished the TLS handshake by then is taken as down. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** How often an idle-looking session is checked with an HTTP/2 PING, and how long the answer may take. */
export const PING_INTERVAL_MS = 10_000;
export const PING_TIMEOUT_MS = 10_000;

/**
 * Destroys a session whose server is gone without saying so: a process that dies has its
 * kernel close the connection at once, but a host that is powered off or cut off answers
 * nothing, and its session (with the agent's watches on it) would hang until TCP gives up,
 * minutes later. The destroy is an 'error' on the session, which moves the client on.
 */
export function guardSession(session: http2.ClientHttp2Session, server: string): void {
  const connectTimer = setTimeout(() => session.destroy(new Error(`no TLS connection to ${server} within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
  connectTimer.unref();
  let waiting: NodeJS.Timeout | undefined;
  let connected = false;
  const pinger = setInterval(() => {
    if (!connected || waiting || session.destroyed || session.closed) return;
    waiting = setTimeout(() => session.destroy(new Error(`${server} did not answer a ping within ${PING_TIMEOUT_MS / 1000} s`)), PING_TIMEOUT_MS);
    waiting.unref();
    session.ping((err) => {
      clearTimeout(waiting);
      waiting = undefined;
      if (err && !session.destroyed) session.destroy(err);
    });
  }, PING_INTERVAL_MS);
  pinger.unref();
  session.once('connect', () => {
    connected = true;
    clearTimeout(connectTimer);
  });
  session.once('close', () => {
    clearTimeout(connectTimer);
    clearTimeout(waiting);
    clearInterval(pinger);
  });
}

export class ServerList {
  private urls: string[];
  private index = 0;
  private readonly listeners = new Set<(urls: readonly string[]) => void>();

  /** `configured` is --server; `learned` are servers found since (e.g. from a file). */
  constructor(readonly configured: string, learned: readonly string[] = []) {
    this.urls = merge(configured, learned);
  }

  /** The URL new connections go to. */
  current(): string {
    return this.urls[this.index % this.urls.length]!;
  }

  all(): readonly string[] {
    return this.urls;
  }

  /**
   * A connection to `url` failed: the next connection tries the next server. A failure
   * reported for a URL no longer current (an older session's) changes nothing, so a burst
   * of failing streams moves the client one step, not many.
   */
  failed(url: string): void {
    if (url !== this.current() || this.urls.length < 2) return;
    this.index = (this.index + 1) % this.urls.length;
  }

  /**
   * Replaces the learned servers (the configured one stays first). The one in use stays in
   * use when it is still listed, so learning the list does not move every client at once.
   */
  update(learned: readonly string[]): boolean {
    const next = merge(this.configured, learned);
    if (next.length === this.urls.length && next.every((u, i) => u === this.urls[i])) return false;
    const inUse = this.current();
    this.urls = next;
    const kept = next.indexOf(inUse);
    this.index = kept >= 0 ? kept : 0;
    for (const l of this.listeners) l(next);
    return true;
  }

  /** Called with the new list after every change update() makes. */
  onChange(listener: (urls: readonly string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function merge(configured: string, learned: readonly string[]): string[] {
  const out = [normalize(configured)];
  for (const url of learned) {
    const n = normalize(url);
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

/** `https://h:p/` and `https://h:p` are one server. */
function normalize(url: string): string {
  return url.replace(/\/+$/, '');
}

/** The API server URLs an Endpoints object lists (the `kubernetes` Service's: one per live server). */
export function serverUrlsOfEndpoints(endpoints: { subsets?: Array<{ addresses?: Array<{ ip?: string }>; ports?: Array<{ port?: number; name?: string }> }> }): string[] {
  const out: string[] = [];
  for (const subset of endpoints.subsets ?? []) {
    const port = (subset.ports ?? []).find((p) => p.name === 'https')?.port ?? subset.ports?.[0]?.port;
    if (!port) continue;
    for (const a of subset.addresses ?? []) {
      if (!a.ip) continue;
      out.push(`https://${a.ip.includes(':') ? `[${a.ip}]` : a.ip}:${port}`);
    }
  }
  return out.sort();
}
