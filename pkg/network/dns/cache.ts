/**
 * A cache of forwarded answers keyed by question, as CoreDNS's cache plugin: an answer lives for
 * its smallest record TTL (at most maxTtl), a negative answer (NXDOMAIN, or NOERROR without
 * answers) for its SOA's minimum (at most maxNegativeTtl); TTLs handed out count down.
 */
import type { Answer, Packet } from 'dns-packet';

export interface CachedAnswer {
  /** Response flags without the id: rcode, RA, AA… */
  flags: number;
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
}

interface Entry extends CachedAnswer {
  storedMs: number;
  expiresMs: number;
}

export interface CacheOptions {
  maxEntries?: number;
  maxTtl?: number;
  maxNegativeTtl?: number;
  now?: () => number;
}

const ttlOf = (a: Answer) => ('ttl' in a && typeof a.ttl === 'number' ? a.ttl : 0);
const RCODE_MASK = 0xf;
const NXDOMAIN = 3;

export class AnswerCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly maxTtl: number;
  private readonly maxNegativeTtl: number;
  private readonly now: () => number;
  hits = 0;
  misses = 0;

  constructor(options: CacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxTtl = options.maxTtl ?? 3600;
    this.maxNegativeTtl = options.maxNegativeTtl ?? 30;
    this.now = options.now ?? Date.now;
  }

  static key(name: string, type: string, cls = 'IN'): string {
    return `${name.toLowerCase()}|${type}|${cls}`;
  }

  get(key: string): CachedAnswer | undefined {
    const e = this.entries.get(key);
    const now = this.now();
    if (!e || e.expiresMs <= now) {
      if (e) this.entries.delete(key);
      this.misses++;
      return undefined;
    }
    this.hits++;
    const elapsed = Math.floor((now - e.storedMs) / 1000);
    const age = (list: Answer[]) =>
      list.map((a) => (a.type === 'OPT' ? a : ({ ...a, ttl: Math.max(0, ttlOf(a) - elapsed) } as Answer)));
    return { flags: e.flags, answers: age(e.answers), authorities: age(e.authorities), additionals: age(e.additionals) };
  }

  /** Stores a response unless it is an error other than NXDOMAIN, or says it must not be kept (TTL 0). */
  put(key: string, response: Packet): void {
    const rcode = (response.flags ?? 0) & RCODE_MASK;
    const answers = response.answers ?? [];
    const authorities = response.authorities ?? [];
    const additionals = (response.additionals ?? []).filter((a) => a.type !== 'OPT');
    let ttl: number;
    if (rcode === NXDOMAIN || (rcode === 0 && answers.length === 0)) {
      const soa = authorities.find((a) => a.type === 'SOA');
      const soaTtl = soa && soa.type === 'SOA' ? Math.min(soa.ttl ?? 0, soa.data.minimum ?? 0) : this.maxNegativeTtl;
      ttl = Math.min(soaTtl, this.maxNegativeTtl);
    } else if (rcode === 0) {
      ttl = Math.min(this.maxTtl, ...answers.map(ttlOf));
    } else {
      return;
    }
    if (ttl <= 0) return;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    const now = this.now();
    this.entries.delete(key);
    this.entries.set(key, { flags: response.flags ?? 0, answers, authorities, additionals, storedMs: now, expiresMs: now + ttl * 1000 });
  }

  get size(): number {
    return this.entries.size;
  }
}
