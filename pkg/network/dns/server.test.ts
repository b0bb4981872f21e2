import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import * as packet from 'dns-packet';
import { addressOfReverse, canonicalIp, reverseName } from './names.ts';
import { RecordIndex } from './records.ts';
import { Resolver } from './resolver.ts';
import { DnsServer } from './server.ts';
import { dataOf, endpointSlice, FakeSource, query, service } from './testkit.ts';

const NAME = 'many.default.svc.cluster.local';
const endpoints = Array.from({ length: 60 }, (_, i) => ({ addresses: [`10.42.1.${i + 1}`], conditions: { ready: true } }));

describe('DNS server over UDP and TCP', () => {
  const index = new RecordIndex({
    services: new FakeSource([
      service('default', 'many', { clusterIP: 'None' }),
      service('default', 'one', { clusterIP: '10.43.0.5' }),
      service('default', 'srvsvc', { clusterIP: 'None', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }),
    ]),
    endpointSlices: new FakeSource([
      endpointSlice('default', 'many', endpoints),
      endpointSlice('default', 'srvsvc', endpoints.slice(0, 4), [{ name: 'http', port: 8080, protocol: 'TCP' }]),
    ]),
    pods: new FakeSource(),
  }, 'cluster.local');
  const server = new DnsServer({ resolver: new Resolver({ index }), host: '127.0.0.1', port: 0 });
  let port = 0;
  before(async () => { port = (await server.start()).port; });
  after(() => server.stop());

  it('sets TC and drops the records when a UDP answer exceeds 512 bytes', async () => {
    const res = await query(port, NAME, 'A');
    assert.equal(res.flag_tc, true);
    assert.equal(res.answers?.length, 0);
    assert.equal(res.questions?.[0]?.name, NAME);
    assert.equal(server.stats.truncated, 1);
  });

  it('drops the additional records before truncating, so SRV answers fit in 512 bytes', async () => {
    const before = server.stats.truncated;
    const res = await query(port, '_http._tcp.srvsvc.default.svc.cluster.local', 'SRV');
    assert.equal(res.flag_tc, false);
    assert.equal(res.answers?.length, 4);
    assert.equal(res.additionals?.length ?? 0, 0, 'the targets\' addresses did not fit');
    assert.equal(server.stats.truncated, before);
    const tcp = await query(port, '_http._tcp.srvsvc.default.svc.cluster.local', 'SRV', { proto: 'tcp' });
    assert.equal(tcp.additionals?.filter((a) => a.type === 'A').length, 4, 'over TCP they come along');
  });

  it('sends the whole answer over UDP when EDNS allows it, and over TCP', async () => {
    const edns = await query(port, NAME, 'A', { edns: 4096 });
    assert.equal(edns.flag_tc, false);
    assert.equal(edns.answers?.length, 60);
    assert.ok(edns.additionals?.some((a) => a.type === 'OPT'));
    const tcp = await query(port, NAME, 'A', { proto: 'tcp' });
    assert.equal(tcp.flag_tc, false);
    assert.equal(tcp.answers?.length, 60);
  });

  it('answers small queries over UDP untruncated, echoing the id', async () => {
    const res = await query(port, 'one.default.svc.cluster.local', 'A', { id: 777 });
    assert.equal(res.id, 777);
    assert.equal(res.flag_tc, false);
    assert.deepEqual(res.answers?.map((a) => dataOf(a)), ['10.43.0.5']);
  });

  it('answers FORMERR to a message it cannot decode', async () => {
    const sock = dgram.createSocket('udp4');
    const garbage = Buffer.from([0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);
    const reply = await new Promise<Buffer>((resolve) => {
      sock.on('message', resolve);
      sock.send(garbage, port, '127.0.0.1');
    });
    sock.close();
    const res = packet.decode(reply) as packet.DecodedPacket & { rcode?: string };
    assert.equal(res.id, 0x1234);
    assert.equal(res.rcode, 'FORMERR');
  });
});

describe('reverse names', () => {
  it('round-trips IPv4 and IPv6 addresses', () => {
    assert.equal(reverseName('10.43.0.10'), '10.0.43.10.in-addr.arpa');
    assert.equal(addressOfReverse('10.0.43.10.in-addr.arpa'), '10.43.0.10');
    const v6 = reverseName('fd00:43::a');
    assert.equal(v6, 'a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.4.0.0.0.0.d.f.ip6.arpa');
    assert.equal(addressOfReverse(v6), canonicalIp('fd00:43::a'));
    assert.equal(canonicalIp('FD00:0043:0:0::a'), canonicalIp('fd00:43::a'));
    assert.equal(addressOfReverse('0.43.10.in-addr.arpa'), undefined);
  });
});
