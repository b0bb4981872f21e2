/** Fakes for the DNS tests and bench: informer-like sources, an upstream server, a client. */
import dgram from 'node:dgram';
import net from 'node:net';
import * as packet from 'dns-packet';
import type { Packet, RecordType } from 'dns-packet';
import type { KObject } from '../../api/types.ts';
import type { Source } from './records.ts';
import { frame, frameReader } from './tcp.ts';

export class FakeSource implements Source<KObject> {
  private readonly items = new Map<string, KObject>();
  private readonly adds: ((o: KObject) => void)[] = [];
  private readonly updates: ((a: KObject, b: KObject) => void)[] = [];
  private readonly deletes: ((o: KObject) => void)[] = [];

  constructor(objs: KObject[] = []) {
    for (const o of objs) this.items.set(this.key(o), o);
  }

  private key(o: KObject): string {
    return `${o.metadata.namespace}/${o.metadata.name}`;
  }

  list(): KObject[] { return [...this.items.values()]; }
  onAdd(h: (o: KObject) => void): void { this.adds.push(h); }
  onUpdate(h: (a: KObject, b: KObject) => void): void { this.updates.push(h); }
  onDelete(h: (o: KObject) => void): void { this.deletes.push(h); }

  set(o: KObject): void {
    const old = this.items.get(this.key(o));
    this.items.set(this.key(o), o);
    if (old) for (const h of this.updates) h(old, o);
    else for (const h of this.adds) h(o);
  }

  remove(o: KObject): void {
    if (this.items.delete(this.key(o))) for (const h of this.deletes) h(o);
  }
}

export function service(ns: string, name: string, spec: Record<string, unknown>): KObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace: ns, name }, spec };
}

export function endpointSlice(ns: string, svc: string, endpoints: unknown[], ports: unknown[] = []): KObject {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
    metadata: { namespace: ns, name: `${svc}-abcde`, labels: { 'kubernetes.io/service-name': svc } },
    endpoints, ports,
  } as KObject;
}

export function pod(ns: string, name: string, ip: string, spec: Record<string, unknown>, ready = true): KObject {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { namespace: ns, name }, spec,
    status: { podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  } as KObject;
}

export interface FakeUpstream {
  port: number;
  /** Questions received, as "name TYPE proto". */
  seen: string[];
  close(): Promise<void>;
}

/** A DNS server on 127.0.0.1 answering from `answer`; it never forwards anywhere. */
export async function fakeUpstream(answer: (q: Packet, proto: 'udp' | 'tcp') => Packet): Promise<FakeUpstream> {
  const seen: string[] = [];
  const reply = (raw: Buffer, proto: 'udp' | 'tcp') => {
    const q = packet.decode(raw);
    seen.push(`${q.questions?.[0]?.name} ${q.questions?.[0]?.type} ${proto}`);
    return packet.encode({ ...answer(q, proto), type: 'response', id: q.id, questions: q.questions });
  };
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  const port = udp.address().port;
  udp.on('message', (msg, rinfo) => udp.send(reply(msg, 'udp'), rinfo.port, rinfo.address));
  const conns = new Set<net.Socket>();
  const tcp = net.createServer((c) => {
    conns.add(c);
    c.on('close', () => conns.delete(c));
    c.on('data', frameReader((m) => c.write(frame(reply(m, 'tcp')))));
  });
  await new Promise<void>((r) => tcp.listen(port, '127.0.0.1', r));
  return {
    port, seen,
    close: async () => {
      for (const c of conns) c.destroy();
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
    },
  };
}

/** A record's data and TTL, whatever its type (dns-packet's union hides them from OPT). */
export const dataOf = (a: packet.Answer): unknown => (a as { data?: unknown }).data;
export const ttlOf = (a: packet.Answer): number | undefined => (a as { ttl?: number }).ttl;

export interface QueryOptions { proto?: 'udp' | 'tcp'; edns?: number; id?: number; dnssecOk?: boolean; /** IPv4, default 127.0.0.1. */ host?: string }

/** One query to a DNS server (on 127.0.0.1 unless told), decoded. */
export function query(port: number, name: string, type: RecordType | 'ANY', opts: QueryOptions = {}): Promise<packet.DecodedPacket & { rcode?: string }> {
  const msg = packet.encode({
    type: 'query', id: opts.id ?? 4242, flags: packet.RECURSION_DESIRED,
    questions: [{ name, type: type as RecordType, class: 'IN' }],
    additionals: opts.edns ? [{ type: 'OPT', name: '.', udpPayloadSize: opts.edns, flags: opts.dnssecOk ? packet.DNSSEC_OK : 0, options: [] } as unknown as packet.Answer] : [],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { cleanup(); reject(new Error(`no answer for ${name} ${type}`)); }, 5000);
    let cleanup = () => clearTimeout(timer);
    if (opts.proto === 'tcp') {
      const c = net.connect(port, opts.host ?? '127.0.0.1');
      cleanup = () => { clearTimeout(timer); c.destroy(); };
      c.on('error', (e) => { cleanup(); reject(e); });
      c.on('data', frameReader((m) => { cleanup(); resolve(packet.decode(m)); }));
      c.write(frame(msg));
    } else {
      const s = dgram.createSocket('udp4');
      cleanup = () => { clearTimeout(timer); s.close(); };
      s.on('message', (m) => { cleanup(); resolve(packet.decode(m)); });
      s.send(msg, port, opts.host ?? '127.0.0.1');
    }
  });
}
