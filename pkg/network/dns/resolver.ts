/**
 * Answers one DNS query: names in the cluster zone (and reverse names of cluster addresses) from
 * the record index, as CoreDNS's kubernetes plugin answers them — authoritative, TTL 5 s,
 * NXDOMAIN for a name that does not exist and NODATA (NOERROR, no answer) for one that exists
 * without records of the type asked, both with the zone's SOA in the authority section — and
 * everything else through the forwarder (reverse names of other addresses fall through to it).
 * Also as CoreDNS: `dns-version.zone` TXT holds the schema version, an ExternalName's CNAME comes
 * with its target's records (resolved in the zone or through the forwarder), and the apex's NS
 * is ns.dns.zone at the addresses this server listens on.
 */
import net from 'node:net';
import * as packet from 'dns-packet';
import type { Answer, Packet, Question } from 'dns-packet';
import type { Forwarder } from './forward.ts';
import { addressOfReverse, inZone, normalize, undashIp } from './names.ts';
import type { NameRecords, RecordIndex } from './records.ts';

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const RCODE_MASK = 0xf;
const OPCODE_MASK = 0x7800;
/** The version CoreDNS's kubernetes plugin puts in dns-version.<zone> TXT, with its TTL. */
export const DNS_SCHEMA_VERSION = '1.1.0';
const SCHEMA_TTL = 28800;
/** CNAMEs followed for one answer (CoreDNS stops at 8 too); a loop ends there. */
const MAX_CHAIN = 8;

export interface ResolverOptions {
  index: RecordIndex;
  /** Without one, names outside the cluster answer REFUSED. */
  forwarder?: Forwarder;
  /** TTL of cluster records, CoreDNS's default 5 s. */
  ttl?: number;
  /** The EDNS payload size this server advertises. */
  udpPayloadSize?: number;
  /** Addresses this server answers on: the apex NS (ns.dns.zone) and its A/AAAA records. */
  nameservers?: () => string[];
}

interface Reply { rcode: number; aa: boolean; answers: Answer[]; authorities: Answer[]; additionals: Answer[] }

export class Resolver {
  readonly zone: string;
  private readonly ttl: number;
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
    const opt = ednsOf(query);
    if (opt) {
      // The DO bit is echoed (RFC 3225): the client learns that DNSSEC records were asked for.
      additionals.push({ type: 'OPT', name: '.', udpPayloadSize: this.udpPayloadSize, flags: opt.flags & packet.DNSSEC_OK, options: [] } as unknown as Answer);
    }
    return { type: 'response', id: query.id ?? 0, flags, questions: query.questions ?? [], answers: reply.answers, authorities: reply.authorities, additionals };
  }

  private async reply(query: Packet): Promise<Reply> {
    const empty = (rcode: number): Reply => ({ rcode, aa: false, answers: [], authorities: [], additionals: [] });
    if (((query.flags ?? 0) & OPCODE_MASK) !== 0) return empty(RCODE.NOTIMP);
    const q = query.questions?.length === 1 ? query.questions[0]! : undefined;
    if (!q) return empty(RCODE.FORMERR);
    const name = normalize(q.name);
    if ((q.class ?? 'IN') === 'IN' && inZone(name, this.zone)) return this.cluster(q, name, new Set());
    if (q.type === 'PTR') {
      const ip = addressOfReverse(name);
      const names = ip ? this.options.index.ptr(ip) : [];
      if (names.length) return { ...empty(RCODE.NOERROR), aa: true, answers: names.map((n) => this.rr(q.name, 'PTR', n)) };
    }
    if (!this.options.forwarder) return empty(RCODE.REFUSED);
    try {
      const res = await this.options.forwarder.resolve({ name: q.name, type: q.type, class: q.class ?? 'IN' }, {
        dnssecOk: ((ednsOf(query)?.flags ?? 0) & packet.DNSSEC_OK) !== 0,
        checkingDisabled: ((query.flags ?? 0) & packet.CHECKING_DISABLED) !== 0,
      });
      return { rcode: res.flags & RCODE_MASK, aa: false, answers: res.answers, authorities: res.authorities, additionals: res.additionals };
    } catch {
      return empty(RCODE.SERVFAIL);
    }
  }

  private async cluster(q: Question, name: string, chain: Set<string>): Promise<Reply> {
    const { index } = this.options;
    const negative = (rcode: number): Reply => ({ rcode, aa: true, answers: [], authorities: [this.soa()], additionals: [] });
    const found = (answers: Answer[], additionals: Answer[] = []): Reply => ({ rcode: 0, aa: true, answers, authorities: [], additionals });
    if (name === this.zone) {
      if (q.type === 'SOA') return found([this.soa()]);
      const ns = this.nameservers();
      if (q.type === 'NS' && ns.length) return found([this.rr(q.name, 'NS', this.nsName)], ns.map((ip) => this.address(this.nsName, ip)));
      return negative(RCODE.NOERROR);
    }
    if (name === `dns-version.${this.zone}`) {
      if (q.type !== 'TXT') return negative(RCODE.NOERROR);
      return found([{ type: 'TXT', name: q.name, ttl: SCHEMA_TTL, class: 'IN', data: DNS_SCHEMA_VERSION }]);
    }
    const rec = index.lookup(name) ?? this.podRecord(name) ?? this.nsRecord(name);
    if (!rec) return negative(index.exists(name) || this.isPodNamespace(name) || this.isNsParent(name) ? RCODE.NOERROR : RCODE.NXDOMAIN);
    if (rec.cname) return this.alias(q, rec.cname, chain.add(name));
    const answers: Answer[] = [];
    const additionals: Answer[] = [];
    // dns-packet's types leave out ANY (255), which it encodes and decodes.
    const any = (q.type as string) === 'ANY';
    if (q.type === 'A' || any) for (const ip of rec.a) answers.push(this.rr(q.name, 'A', ip));
    if (q.type === 'AAAA' || any) for (const ip of rec.aaaa) answers.push(this.rr(q.name, 'AAAA', ip));
    if (q.type === 'SRV' || any) {
      const weight = rec.srv.length ? Math.max(1, Math.floor(100 / rec.srv.length)) : 0;
      const targets = new Set<string>();
      for (const s of rec.srv) {
        answers.push({ type: 'SRV', name: q.name, ttl: this.ttl, data: { priority: 0, weight, port: s.port, target: s.target } });
        if (targets.has(s.target)) continue;
        targets.add(s.target);
        const target = index.lookup(s.target);
        for (const ip of [...(target?.a ?? []), ...(target?.aaaa ?? [])]) additionals.push(this.address(s.target, ip));
      }
    }
    if (answers.length === 0) return negative(RCODE.NOERROR);
    return found(answers, additionals);
  }

  /**
   * An ExternalName: the CNAME, then the target's records of the type asked — from the zone, or
   * through the forwarder — so that a stub resolver gets addresses in one answer. When the
   * target cannot be resolved the CNAME still goes back alone (CoreDNS drops it then; the
   * client can still follow it). Every type is followed, SRV too (CoreDNS answers NODATA to SRV
   * on an ExternalName; a CNAME answers for all types in DNS). A loop stops at the name seen twice.
   */
  private async alias(q: Question, target: string, chain: Set<string>): Promise<Reply> {
    const reply: Reply = { rcode: 0, aa: true, answers: [this.rr(q.name, 'CNAME', target)], authorities: [], additionals: [] };
    if (q.type === 'CNAME' || chain.has(target) || chain.size >= MAX_CHAIN) return reply;
    const next: Question = { name: target, type: q.type, class: 'IN' };
    if (inZone(target, this.zone)) {
      reply.answers.push(...(await this.cluster(next, target, chain)).answers);
    } else if (this.options.forwarder) {
      try {
        reply.answers.push(...(await this.options.forwarder.resolve(next)).answers);
      } catch {
        // No upstream answered: the CNAME alone.
      }
    }
    return reply;
  }

  /** 10-42-0-5.ns.pod.zone answers its own address, as CoreDNS's `pods insecure` (k3s's default) does. */
  private podRecord(name: string): NameRecords | undefined {
    const suffix = `.pod.${this.zone}`;
    if (!name.endsWith(suffix)) return undefined;
    const labels = name.slice(0, -suffix.length).split('.');
    const ip = labels.length === 2 && this.options.index.podNamespace(labels[1]!) ? undashIp(labels[0]!) : undefined;
    if (!ip) return undefined;
    return ip.includes(':') ? { a: [], aaaa: [ip], srv: [] } : { a: [ip], aaaa: [], srv: [] };
  }

  private isPodNamespace(name: string): boolean {
    const suffix = `.pod.${this.zone}`;
    const ns = name.endsWith(suffix) ? name.slice(0, -suffix.length) : '';
    return ns !== '' && !ns.includes('.') && this.options.index.podNamespace(ns);
  }

  /** dns.zone exists, without records, once ns.dns.zone does. */
  private isNsParent(name: string): boolean {
    return name === `dns.${this.zone}` && this.nameservers().length > 0;
  }

  private get nsName(): string {
    return `ns.dns.${this.zone}`;
  }

  private nameservers(): string[] {
    return this.options.nameservers?.() ?? [];
  }

  /** ns.dns.zone, the SOA's and the apex NS's name, answers with the addresses this server listens on. */
  private nsRecord(name: string): NameRecords | undefined {
    const ips = name === this.nsName ? this.nameservers() : [];
    if (ips.length === 0) return undefined;
    return { a: ips.filter((ip) => net.isIPv4(ip)), aaaa: ips.filter((ip) => net.isIPv6(ip)), srv: [] };
  }

  private address(name: string, ip: string): Answer {
    return this.rr(name, net.isIPv6(ip) ? 'AAAA' : 'A', ip);
  }

  private rr(name: string, type: 'A' | 'AAAA' | 'CNAME' | 'PTR' | 'NS', data: string): Answer {
    return { type, name, ttl: this.ttl, class: 'IN', data };
  }

  private soa(): Answer {
    return {
      type: 'SOA', name: this.zone, ttl: this.ttl, class: 'IN',
      data: { mname: this.nsName, rname: `hostmaster.${this.zone}`, serial: this.options.index.modified, refresh: 7200, retry: 1800, expire: 86400, minimum: this.ttl },
    };
  }
}

/** The query's EDNS OPT record, if it has one. */
function ednsOf(query: Packet): { flags: number } | undefined {
  const opt = query.additionals?.find((a) => a.type === 'OPT') as { flags?: number } | undefined;
  return opt ? { flags: opt.flags ?? 0 } : undefined;
}
