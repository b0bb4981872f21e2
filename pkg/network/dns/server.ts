/**
 * The DNS server: one address and port, UDP and TCP. A UDP answer larger than the client can
 * take (512 bytes, or its EDNS payload size) goes back empty with the TC bit, so the client asks
 * again over TCP, where answers have no size limit but 64 KiB.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import * as packet from 'dns-packet';
import type { Packet } from 'dns-packet';
import { logger } from '../../log/log.ts';
import { DnsError } from './errors.ts';
import { RCODE, type Resolver } from './resolver.ts';
import { frame, frameReader } from './tcp.ts';

const log = logger('dns');
const MIN_UDP = 512;
const MAX_UDP = 4096;
const TCP_IDLE_MS = 10_000;

export interface ServerOptions {
  resolver: Resolver;
  host: string;
  /** 0 picks a free port shared by UDP and TCP (tests). */
  port: number;
}

/** The response a client gets when the query cannot even be decoded: FORMERR with its id. */
function formErr(raw: Buffer): Buffer | undefined {
  if (raw.length < 12) return undefined;
  return packet.encode({ type: 'response', id: raw.readUInt16BE(0), flags: RCODE.FORMERR });
}

/** One line on why a bind failed, for the errors an operator meets. */
function why(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'EADDRNOTAVAIL': return 'the address is not on this host (EADDRNOTAVAIL)';
    case 'EADDRINUSE': return 'the port is taken (EADDRINUSE)';
    case 'EACCES': return 'ports below 1024 need root or CAP_NET_BIND_SERVICE (EACCES)';
    default: return err.message;
  }
}

function udpLimit(query: Packet): number {
  const opt = query.additionals?.find((a) => a.type === 'OPT');
  const size = opt && 'udpPayloadSize' in opt ? opt.udpPayloadSize : MIN_UDP;
  return Math.min(MAX_UDP, Math.max(MIN_UDP, size));
}

export class DnsServer {
  private udp: dgram.Socket | undefined;
  private tcp: net.Server | undefined;
  private readonly conns = new Set<net.Socket>();
  /** Queries answered, and answers sent back truncated over UDP. */
  readonly stats = { queries: 0, truncated: 0 };

  constructor(private readonly options: ServerOptions) {}

  async start(): Promise<{ host: string; port: number }> {
    const { host } = this.options;
    for (let attempt = 0; ; attempt++) {
      const udp = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4' });
      let proto = 'udp';
      try {
        await new Promise<void>((resolve, reject) => {
          udp.once('error', reject);
          udp.bind(this.options.port, host, () => { udp.off('error', reject); resolve(); });
        });
        const port = udp.address().port;
        proto = 'tcp';
        const tcp = net.createServer((c) => this.serveTcp(c));
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen(port, host, () => { tcp.off('error', reject); resolve(); });
        });
        udp.on('message', (msg, rinfo) => void this.serveUdp(udp, msg, rinfo));
        udp.on('error', (err) => log.warn(`udp socket error: ${err.message}`));
        this.udp = udp;
        this.tcp = tcp;
        return { host, port };
      } catch (err) {
        udp.close();
        // The free UDP port may be taken for TCP: pick another, but only when we chose the port.
        if (this.options.port !== 0 || attempt >= 5) {
          const where = net.isIPv6(host) ? `[${host}]:${this.options.port}` : `${host}:${this.options.port}`;
          throw new DnsError('listen-failed', `cannot serve DNS on ${where}/${proto}: ${why(err as NodeJS.ErrnoException)}`, { cause: err });
        }
      }
    }
  }

  async stop(): Promise<void> {
    for (const c of this.conns) c.destroy();
    await Promise.all([
      new Promise<void>((r) => (this.udp ? this.udp.close(() => r()) : r())),
      new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r())),
    ]);
    this.udp = undefined;
    this.tcp = undefined;
  }

  /** The encoded answer to one raw query, or undefined when there is nothing to say. */
  private async handle(raw: Buffer, udp: boolean): Promise<Buffer | undefined> {
    let query: Packet;
    try {
      query = packet.decode(raw);
    } catch {
      return formErr(raw);
    }
    if (query.type === 'response') return undefined;
    this.stats.queries++;
    const res = await this.options.resolver.answer(query);
    const out = packet.encode(res);
    if (!udp || out.length <= udpLimit(query)) return out;
    // dns-packet does not compress names, so answers grow fast: first drop the additional
    // records, which RFC 2181 (9) lets a server leave out without TC (clients that want the
    // targets' addresses ask for them), and set TC only when the answers alone do not fit.
    const opt = res.additionals?.filter((a) => a.type === 'OPT') ?? [];
    const lean = packet.encode({ ...res, additionals: opt });
    if (lean.length <= udpLimit(query)) return lean;
    this.stats.truncated++;
    return packet.encode({ type: 'response', id: res.id, flags: (res.flags ?? 0) | packet.TRUNCATED_RESPONSE, questions: res.questions, additionals: opt });
  }

  private async serveUdp(sock: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): Promise<void> {
    try {
      const out = await this.handle(msg, true);
      if (out) sock.send(out, rinfo.port, rinfo.address);
    } catch (err) {
      log.warn(`udp query failed: ${(err as Error).message}`);
    }
  }

  private serveTcp(conn: net.Socket): void {
    this.conns.add(conn);
    conn.setTimeout(TCP_IDLE_MS, () => conn.destroy());
    conn.on('close', () => this.conns.delete(conn));
    conn.on('error', () => conn.destroy());
    conn.on('data', frameReader((msg) => {
      this.handle(msg, false).then(
        (out) => { if (out && !conn.destroyed) conn.write(frame(out)); },
        (err) => { log.warn(`tcp query failed: ${(err as Error).message}`); conn.destroy(); },
      );
    }));
  }
}
