import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { AnswerCache } from './cache.ts';
import { Forwarder, parseUpstream } from './forward.ts';
import { RecordIndex } from './records.ts';
import { Resolver } from './resolver.ts';
import { DnsServer } from './server.ts';
import { dataOf, FakeSource, fakeUpstream, query, ttlOf, type FakeUpstream } from './testkit.ts';

const SOA = { type: 'SOA', name: 'org', ttl: 900, data: { mname: 'ns.org', rname: 'h.org', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 10 } } as const;

describe('forwarding names outside the cluster', () => {
  let upstream: FakeUpstream;
  let silent: dgram.Socket;
  let clock = 1_000_000;
  let server: DnsServer;
  let forwarder: Forwarder;
  let port = 0;
  /** The EDNS each query for signed.example carried upstream: "payload do". */
  const ednsSeen: string[] = [];

  before(async () => {
    upstream = await fakeUpstream((q, proto) => {
      const name = q.questions![0]!.name;
      if (name === 'signed.example') {
        const opt = q.additionals?.find((a) => a.type === 'OPT') as { udpPayloadSize?: number; flag_do?: boolean } | undefined;
        ednsSeen.push(`${opt?.udpPayloadSize} ${opt?.flag_do}`);
      }
      if (name === 'missing.example') return { flags: 3, authorities: [SOA] };
      // A server from before EDNS.
      if (name === 'old.example' && q.additionals?.some((a) => a.type === 'OPT')) return { flags: 1 };
      if (name === 'big.example' && proto === 'udp') return { flags: 1 << 9 };
      if (name === 'big.example') return { answers: Array.from({ length: 40 }, (_, i) => ({ type: 'A', name, ttl: 60, data: `192.0.2.${i}` })) };
      return { flags: 0, answers: [{ type: 'A', name, ttl: 30, data: '192.0.2.1' }] };
    });
    // A server that never answers: the forwarder must move on to the next one.
    silent = dgram.createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
    forwarder = new Forwarder({
      servers: [`127.0.0.1:${silent.address().port}`, `127.0.0.1:${upstream.port}`],
      timeoutMs: 200,
      cache: new AnswerCache({ now: () => clock }),
    });
    const index = new RecordIndex({ services: new FakeSource(), endpointSlices: new FakeSource(), pods: new FakeSource() }, 'cluster.local');
    server = new DnsServer({ resolver: new Resolver({ index, forwarder }), host: '127.0.0.1', port: 0 });
    port = (await server.start()).port;
  });
  after(async () => {
    await server.stop();
    forwarder.close();
    await upstream.close();
    silent.close();
  });

  it('forwards, caches for the answer TTL, and counts the TTL down', async () => {
    const first = await query(port, 'www.example', 'A');
    assert.equal(first.rcode, 'NOERROR');
    assert.equal(first.flag_aa, false);
    assert.deepEqual(first.answers?.map((a) => dataOf(a)), ['192.0.2.1']);
    clock += 12_000;
    const second = await query(port, 'WWW.example', 'A');
    assert.deepEqual(second.answers?.map((a) => [dataOf(a), ttlOf(a)]), [['192.0.2.1', 18]]);
    assert.equal(upstream.seen.filter((s) => s === 'www.example A udp').length, 1);
    clock += 19_000;
    await query(port, 'www.example', 'A');
    assert.equal(upstream.seen.filter((s) => s === 'www.example A udp').length, 2);
  });

  it('caches NXDOMAIN for the SOA minimum, passing the SOA on', async () => {
    const nx = await query(port, 'missing.example', 'A');
    assert.equal(nx.rcode, 'NXDOMAIN');
    assert.equal(nx.authorities?.[0]?.type, 'SOA');
    clock += 9_000;
    assert.equal((await query(port, 'missing.example', 'A')).rcode, 'NXDOMAIN');
    assert.equal(upstream.seen.filter((s) => s.startsWith('missing.example')).length, 1);
    clock += 2_000;
    await query(port, 'missing.example', 'A');
    assert.equal(upstream.seen.filter((s) => s.startsWith('missing.example')).length, 2);
  });

  it('asks again over TCP when the upstream truncates, and truncates for a UDP client in turn', async () => {
    const udp = await query(port, 'big.example', 'A');
    assert.equal(udp.flag_tc, true);
    assert.equal(udp.answers?.length, 0);
    assert.deepEqual(upstream.seen.filter((s) => s.startsWith('big.example')), ['big.example A udp', 'big.example A tcp']);
    const tcp = await query(port, 'big.example', 'A', { proto: 'tcp' });
    assert.equal(tcp.flag_tc, false);
    assert.equal(tcp.answers?.length, 40);
  });

  it('shares one upstream query among identical questions in flight', async () => {
    const sentBefore = forwarder.sent;
    await Promise.all([1, 2, 3, 4].map((id) => query(port, 'same.example', 'AAAA', { id })));
    assert.equal(forwarder.sent - sentBefore, 1); // the server that answered before is asked first
  });

  it('asks with EDNS and the client\'s DO bit, caches DO answers apart, and echoes DO', async () => {
    await query(port, 'signed.example', 'A');
    const withDo = await query(port, 'signed.example', 'A', { edns: 1232, dnssecOk: true });
    await query(port, 'signed.example', 'A', { edns: 1232, dnssecOk: true });
    assert.deepEqual(ednsSeen, ['1232 false', '1232 true']);
    const opt = withDo.additionals?.find((a) => a.type === 'OPT') as { flag_do?: boolean } | undefined;
    assert.equal(opt?.flag_do, true);
    assert.deepEqual(withDo.answers?.map((a) => dataOf(a)), ['192.0.2.1']);
  });

  it('asks again without EDNS when the upstream answers FORMERR to it', async () => {
    const res = await query(port, 'old.example', 'A');
    assert.equal(res.rcode, 'NOERROR');
    assert.deepEqual(res.answers?.map((a) => dataOf(a)), ['192.0.2.1']);
    assert.deepEqual(upstream.seen.filter((s) => s.startsWith('old.example')), ['old.example A udp', 'old.example A udp']);
  });

  it('answers SERVFAIL when no upstream answers', async () => {
    const lonely = new Forwarder({ servers: [`127.0.0.1:${silent.address().port}`], timeoutMs: 100 });
    const index = new RecordIndex({ services: new FakeSource(), endpointSlices: new FakeSource(), pods: new FakeSource() }, 'cluster.local');
    const res = await new Resolver({ index, forwarder: lonely }).answer({ id: 7, flags: 0, questions: [{ name: 'a.example', type: 'A', class: 'IN' }] });
    assert.equal((res.flags ?? 0) & 0xf, 2);
    lonely.close();
  });

  it('parses upstream addresses and rejects names', () => {
    assert.deepEqual(parseUpstream('10.0.0.2'), { host: '10.0.0.2', port: 53 });
    assert.deepEqual(parseUpstream('[fd00::1]:5353'), { host: 'fd00::1', port: 5353 });
    assert.deepEqual(parseUpstream('fd00::1'), { host: 'fd00::1', port: 53 });
    assert.throws(() => parseUpstream('dns.google'), { code: 'bad-upstream' });
  });
});
