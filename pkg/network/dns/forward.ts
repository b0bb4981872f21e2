/**
 * Forwards questions outside the cluster zone to the node's resolvers: UDP first over one shared
 * socket per address family, TCP when the answer comes back truncated, the next server when one
 * does not answer in time. Queries carry EDNS (payload 1232, so most answers fit one datagram),
 * with the DO and CD bits of the client's query; answers are cached per question and those
 * bits (cache.ts), and identical questions in flight share one upstream query.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import * as packet from 'dns-packet';
import type { Answer, Packet, Question } from 'dns-packet';
import { AnswerCache, type CachedAnswer } from './cache.ts';
import { DnsError } from './errors.ts';
import { frame, frameReader } from './tcp.ts';

export interface Upstream { host: string; port: number }

export interface ForwarderOptions {
  /** "ip" or "ip:port" ("[v6]:port"); port 53 when left out. */
  servers: string[];
  timeoutMs?: number;
  cache?: AnswerCache;
}

export function parseUpstream(spec: string): Upstream {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(spec) ?? (net.isIPv6(spec) ? [spec, spec, undefined] : /^([^:]+)(?::(\d+))?$/.exec(spec));
  const host = m?.[1];
  const port = Number(m?.[2] ?? 53);
  if (!host || !net.isIP(host) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new DnsError('bad-upstream', `upstream DNS server ${JSON.stringify(spec)} is not an IP address with an optional port`);
  }
  return { host, port };
}

interface Pending { resolve: (p: Packet) => void; reject: (e: Error) => void; name: string }

/** What of the client's query travels upstream besides the question. */
export interface ForwardBits {
  /** EDNS DO: the client wants DNSSEC records. */
  dnssecOk?: boolean;
  /** CD: the client checks signatures itself. */
  checkingDisabled?: boolean;
}

/** The EDNS payload size asked of upstreams (the DNS flag day 2020 value: no IP fragmentation). */
const UPSTREAM_PAYLOAD = 1232;
const FORMERR = 1;

/** One query as sent: the client's bits, with or without an OPT record. */
type Sent = ForwardBits & { edns: boolean };

export class Forwarder {
  readonly upstreams: Upstream[];
  readonly cache: AnswerCache;
  private readonly timeoutMs: number;
  private readonly sockets = new Map<4 | 6, dgram.Socket>();
  private readonly pending = new Map<number, Pending>();
  private readonly inflight = new Map<string, Promise<CachedAnswer>>();
  private nextId = Math.floor(Math.random() * 0x10000);
  /** The upstream that answered last is asked first, so a dead first nameserver costs one timeout, not one per query. */
  private preferred = 0;
  /** Queries sent upstream (a cache hit or a shared in-flight query sends none). */
  sent = 0;

  constructor(options: ForwarderOptions) {
    this.upstreams = options.servers.map(parseUpstream);
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.cache = options.cache ?? new AnswerCache();
  }

  /** The answer to one question, from the cache or an upstream; rejects with DnsError when none answers. */
  async resolve(q: Question, bits: ForwardBits = {}): Promise<CachedAnswer> {
    const key = AnswerCache.key(q.name, q.type, q.class ?? 'IN') + (bits.dnssecOk ? '|do' : '') + (bits.checkingDisabled ? '|cd' : '');
    const hit = this.cache.get(key);
    if (hit) return hit;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.ask(q, bits).then((res) => {
        this.cache.put(key, res);
        return { flags: res.flags ?? 0, answers: res.answers ?? [], authorities: res.authorities ?? [], additionals: (res.additionals ?? []).filter((a) => a.type !== 'OPT') };
      });
      p.finally(() => this.inflight.delete(key)).catch(() => {});
      this.inflight.set(key, p);
    }
    return p;
  }

  close(): void {
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
    for (const p of this.pending.values()) p.reject(new DnsError('upstream-failed', 'forwarder closed'));
    this.pending.clear();
  }

  private async ask(q: Question, bits: ForwardBits): Promise<Packet> {
    if (this.upstreams.length === 0) throw new DnsError('no-upstream', 'no upstream DNS server configured');
    let last: Error | undefined;
    for (let i = 0; i < this.upstreams.length; i++) {
      const at = (this.preferred + i) % this.upstreams.length;
      const up = this.upstreams[at]!;
      try {
        let sent: Sent = { ...bits, edns: true };
        let udp = await this.udp(up, q, sent);
        // A server from before EDNS answers FORMERR to the OPT record: ask again without one (RFC 6891 7).
        if (((udp.flags ?? 0) & 0xf) === FORMERR) {
          sent = { ...bits, edns: false };
          udp = await this.udp(up, q, sent);
        }
        const res = (udp.flags ?? 0) & packet.TRUNCATED_RESPONSE ? await this.tcp(up, q, sent) : udp;
        this.preferred = at;
        return res;
      } catch (err) {
        last = err as Error;
      }
    }
    throw last!;
  }

  private query(id: number, q: Question, sent: Sent): Buffer {
    const flags = packet.RECURSION_DESIRED | (sent.checkingDisabled ? packet.CHECKING_DISABLED : 0);
    const opt = { type: 'OPT', name: '.', udpPayloadSize: UPSTREAM_PAYLOAD, flags: sent.dnssecOk ? packet.DNSSEC_OK : 0, options: [] };
    return packet.encode({ type: 'query', id, flags, questions: [q], additionals: sent.edns ? [opt as unknown as Answer] : [] });
  }

  private allocId(): number {
    for (;;) {
      this.nextId = (this.nextId + 1) & 0xffff;
      if (!this.pending.has(this.nextId)) return this.nextId;
    }
  }

  private socket(family: 4 | 6): dgram.Socket {
    let s = this.sockets.get(family);
    if (!s) {
      s = dgram.createSocket(family === 4 ? 'udp4' : 'udp6');
      s.on('message', (msg) => {
        let res: Packet;
        try {
          res = packet.decode(msg);
        } catch {
          return;
        }
        const p = res.id === undefined ? undefined : this.pending.get(res.id);
        // A reply must name the question asked: a spoofed or late reply for a reused id is dropped.
        if (!p || res.questions?.[0]?.name.toLowerCase() !== p.name) return;
        this.pending.delete(res.id!);
        p.resolve(res);
      });
      s.on('error', () => {});
      s.unref();
      this.sockets.set(family, s);
    }
    return s;
  }

  private udp(up: Upstream, q: Question, sent: Sent): Promise<Packet> {
    const id = this.allocId();
    const sock = this.socket(net.isIPv6(up.host) ? 6 : 4);
    this.sent++;
    return new Promise<Packet>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new DnsError('upstream-timeout', `no answer from ${up.host}:${up.port} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      const done = <T>(fn: (v: T) => void) => (v: T) => { clearTimeout(timer); fn(v); };
      this.pending.set(id, { resolve: done(resolve), reject: done(reject), name: q.name.toLowerCase() });
      sock.send(this.query(id, q, sent), up.port, up.host, (err) => {
        if (err && this.pending.delete(id)) done(reject)(new DnsError('upstream-failed', `sending to ${up.host}:${up.port}: ${err.message}`, { cause: err }));
      });
    });
  }

  private tcp(up: Upstream, q: Question, sent: Sent): Promise<Packet> {
    const id = this.allocId();
    this.sent++;
    return new Promise<Packet>((resolve, reject) => {
      const conn = net.connect(up.port, up.host);
      const fail = (err: Error) => {
        conn.destroy();
        reject(err instanceof DnsError ? err : new DnsError('upstream-failed', `TCP to ${up.host}:${up.port}: ${err.message}`, { cause: err }));
      };
      conn.setTimeout(this.timeoutMs, () => fail(new DnsError('upstream-timeout', `no TCP answer from ${up.host}:${up.port}`)));
      conn.on('error', fail);
      conn.on('close', () => fail(new DnsError('upstream-failed', `${up.host}:${up.port} closed the TCP connection`)));
      conn.on('data', frameReader((msg) => {
        try {
          const res = packet.decode(msg);
          if (res.id !== id) return;
          conn.removeAllListeners('close');
          conn.end();
          resolve(res);
        } catch (err) {
          fail(err as Error);
        }
      }));
      conn.write(frame(this.query(id, q, sent)));
    });
  }
}
