/**
 * Answers one DNS query: names in the cluster zone (and reverse names of cluster addresses) from
 * the record index, as CoreDNS's kubernetes plugin answers them — authoritative, TTL 5 s,
 * NXDOMAIN for a name that does not exist and NODATA (NOERROR, no answer) for one that exists
 * without records of the type asked, both with the zone's SOA in the authority section — and
 * everything else through the forwarder (reverse names of other addresses fall through to it).
 */
import * as packet from 'dns-packet';
import type { Answer, Packet, Question } from 'dns-packet';
import type { Forwarder } from './forward.ts';
import { addressOfReverse, inZone, normalize, undashIp } from './names.ts';
import type { NameRecords, RecordIndex } from './records.ts';

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const RCODE_MASK = 0xf;
const OPCODE_MASK = 0x7800;

export interface ResolverOptions {
  index: RecordIndex;
  /** Without one, names outside the cluster answer REFUSED. */
  forwarder?: Forwarder;
  /** TTL of cluster records, CoreDNS's default 5 s. */
  ttl?: number;
  /** The EDNS payload size this server advertises. */
  udpPayloadSize?: number;
}

interface Reply { rcode: number; aa: boolean; answers: Answer[]; authorities: Answer[]; additionals: Answer[] }

export class Resolver {
  readonly zone: string;
  private readonly ttl: number;
  private readonly serial = Math.floor(Date.now() / 1000);
  private readonly udpPayloadSize: number;

  constructor(private readonly options: ResolverOptions) {
    this.zone = options.index.zone;
    this.ttl = options.ttl ?? 5;
    this.udpPayloadSize = options.udpPayloadSize ?? 1232;
  }

  async answer(query: Packet): Promise<Packet> {
    const reply = await this.reply(query);
    const flags = ((query.flags ?? 0) & (OPCODE_MASK | packet.RECURSION_DESIRED | packet.CHECKING_DISABLED)) |
      packet.RECURSION_AVAILABLE | (reply.aa ? packet.AUTHORITATIVE_ANSWER : 0) | reply.rcode;
    const additionals = [...reply.additionals];
    if (query.additionals?.some((a) => a.type === 'OPT')) {
      additionals.push({ type: 'OPT', name: '.', udpPayloadSize: this.udpPayloadSize, flags: 0, options: [] } as unknown as Answer);
    }
    return { type: 'response', id: query.id ?? 0, flags, questions: query.questions ?? [], answers: reply.answers, authorities: reply.authorities, additionals };
  }

  private async reply(query: Packet): Promise<Reply> {
    const empty = (rcode: number): Reply => ({ rcode, aa: false, answers: [], authorities: [], additionals: [] });
    if (((query.flags ?? 0) & OPCODE_MASK) !== 0) return empty(RCODE.NOTIMP);
    const q = query.questions?.length === 1 ? query.questions[0]! : undefined;
    if (!q) return empty(RCODE.FORMERR);
    const name = normalize(q.name);
    if ((q.class ?? 'IN') === 'IN' && inZone(name, this.zone)) return this.cluster(q, name);
    if (q.type === 'PTR') {
      const ip = addressOfReverse(name);
      const names = ip ? this.options.index.ptr(ip) : [];
      if (names.length) return { ...empty(RCODE.NOERROR), aa: true, answers: names.map((n) => this.rr(q.name, 'PTR', n)) };
    }
    if (!this.options.forwarder) return empty(RCODE.REFUSED);
    try {
      const res = await this.options.forwarder.resolve({ name: q.name, type: q.type, class: q.class ?? 'IN' });
      return { rcode: res.flags & RCODE_MASK, aa: false, answers: res.answers, authorities: res.authorities, additionals: res.additionals };
    } catch {
      return empty(RCODE.SERVFAIL);
    }
  }

  private cluster(q: Question, name: string): Reply {
    const { index } = this.options;
    const negative = (rcode: number): Reply => ({ rcode, aa: true, answers: [], authorities: [this.soa()], additionals: [] });
    if (name === this.zone && q.type === 'SOA') return { rcode: 0, aa: true, answers: [this.soa()], authorities: [], additionals: [] };
    const rec = index.lookup(name) ?? this.podRecord(name);
    if (!rec) return negative(index.exists(name) || this.isPodNamespace(name) ? RCODE.NOERROR : RCODE.NXDOMAIN);
    if (rec.cname) return { rcode: 0, aa: true, answers: [this.rr(q.name, 'CNAME', rec.cname)], authorities: [], additionals: [] };
    const answers: Answer[] = [];
    const additionals: Answer[] = [];
    // dns-packet's types leave out ANY (255), which it encodes and decodes.
    const any = (q.type as string) === 'ANY';
    if (q.type === 'A' || any) for (const ip of rec.a) answers.push(this.rr(q.name, 'A', ip));
    if (q.type === 'AAAA' || any) for (const ip of rec.aaaa) answers.push(this.rr(q.name, 'AAAA', ip));
    if (q.type === 'SRV' || any) {
      const weight = rec.srv.length ? Math.max(1, Math.floor(100 / rec.srv.length)) : 0;
      for (const s of rec.srv) {
        answers.push({ type: 'SRV', name: q.name, ttl: this.ttl, data: { priority: 0, weight, port: s.port, target: s.target } });
        const target = index.lookup(s.target);
        for (const ip of target?.a ?? []) additionals.push(this.rr(s.target, 'A', ip));
        for (const ip of target?.aaaa ?? []) additionals.push(this.rr(s.target, 'AAAA', ip));
      }
    }
    if (answers.length === 0) return negative(RCODE.NOERROR);
    return { rcode: 0, aa: true, answers, authorities: [], additionals };
  }

  /** 10-42-0-5.ns.pod.zone answers its own address, as CoreDNS's `pods insecure` (k3s's default) does. */
  private podRecord(name: string): NameRecords | undefined {
    const suffix = `.pod.${this.zone}`;
    if (!name.endsWith(suffix)) return undefined;
    const labels = name.slice(0, -suffix.length).split('.');
    const ip = labels.length === 2 ? undashIp(labels[0]!) : undefined;
    if (!ip) return undefined;
    return ip.includes(':') ? { a: [], aaaa: [ip], srv: [] } : { a: [ip], aaaa: [], srv: [] };
  }

  private isPodNamespace(name: string): boolean {
    const suffix = `.pod.${this.zone}`;
    return name.endsWith(suffix) && !name.slice(0, -suffix.length).includes('.');
  }

  private rr(name: string, type: 'A' | 'AAAA' | 'CNAME' | 'PTR', data: string): Answer {
    return { type, name, ttl: this.ttl, class: 'IN', data };
  }

  private soa(): Answer {
    return {
      type: 'SOA', name: this.zone, ttl: this.ttl, class: 'IN',
      data: { mname: `ns.dns.${this.zone}`, rname: `hostmaster.${this.zone}`, serial: this.serial, refresh: 7200, retry: 1800, expire: 86400, minimum: this.ttl },
    };
  }
}
