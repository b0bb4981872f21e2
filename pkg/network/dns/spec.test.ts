/**
 * Answers checked against the Kubernetes DNS specification (kubernetes/dns docs/specification.md,
 * schema 1.0.1; sections cited) and against CoreDNS's kubernetes plugin where the spec leaves
 * the answer open (its handler tests and kubernetes.go: NXDOMAIN vs NODATA, bare-name SRV,
 * ExternalName, namespaces, wildcards removed in 1.9.0).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { Forwarder } from './forward.ts';
import { RecordIndex } from './records.ts';
import { Resolver } from './resolver.ts';
import { DnsServer } from './server.ts';
import { dataOf, endpointSlice, FakeSource, fakeUpstream, query, service, ttlOf, type FakeUpstream } from './testkit.ts';

const Z = 'cluster.local';
const namespace = (name: string): KObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const services = new FakeSource([
  service('default', 'web', {
    clusterIP: '10.43.0.20', clusterIPs: ['10.43.0.20', 'fd00:43::20'],
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { port: 81, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }],
  }),
  service('db', 'pg', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }, { name: 'metrics', port: 9187 }] }),
  service('db', 'sleepy', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] }),
  service('db', 'tolerant', { clusterIP: 'None', publishNotReadyAddresses: true }),
  service('default', 'ext', { type: 'ExternalName', externalName: 'www.example.org' }),
  service('default', 'alias', { type: 'ExternalName', externalName: `web.default.svc.${Z}.` }),
  service('default', 'loop', { type: 'ExternalName', externalName: `loop.default.svc.${Z}` }),
  service('default', 'byip', { type: 'ExternalName', externalName: '192.0.2.7' }),
  service('default', 'pending', { ports: [{ port: 80 }] }),
]);
const slices = new FakeSource([
  endpointSlice('db', 'pg', [
    { addresses: ['10.42.0.5'], conditions: { ready: true }, hostname: 'pg-0' },
    { addresses: ['10.42.0.6'], conditions: {} },
  ], [{ name: 'pg', port: 5432, protocol: 'TCP' }, { name: 'metrics', port: 9187, protocol: 'TCP' }]),
  endpointSlice('db', 'sleepy', [{ addresses: ['10.42.0.7'], conditions: { ready: false }, hostname: 'zz' }], [{ name: 'pg', port: 5432, protocol: 'TCP' }]),
  endpointSlice('db', 'tolerant', [{ addresses: ['10.42.0.8'], conditions: { ready: false } }]),
]);
const namespaces = new FakeSource([namespace('default'), namespace('db'), namespace('quiet')]);
let clock = 1_700_000_000_000;
const index = new RecordIndex({ services, endpointSlices: slices, pods: new FakeSource(), namespaces }, Z, { now: () => clock });

type Res = Awaited<ReturnType<typeof query>>;
const data = (res: Res) => (res.answers ?? []).map((a) => (a.type === 'SRV' ? `${a.data.port} ${a.data.target}` : `${a.type} ${String(dataOf(a))}`)).sort();
const extra = (res: Res) => (res.additionals ?? []).filter((a) => a.type !== 'OPT').map((a) => `${a.name} ${String(dataOf(a))}`).sort();

describe('cluster DNS against the specification and CoreDNS', () => {
  let upstream: FakeUpstream;
  let forwarder: Forwarder;
  let server: DnsServer;
  let port = 0;
  const ask = (name: string, type: Parameters<typeof query>[2]) => query(port, name, type);

  before(async () => {
    upstream = await fakeUpstream((q) => ({ answers: [{ type: 'A', name: q.questions![0]!.name, ttl: 60, data: '192.0.2.1' }] }));
    forwarder = new Forwarder({ servers: [`127.0.0.1:${upstream.port}`] });
    server = new DnsServer({ resolver: new Resolver({ index, forwarder, nameservers: () => ['10.42.0.1'] }), host: '127.0.0.1', port: 0 });
    port = (await server.start()).port;
  });
  after(async () => {
    await server.stop();
    forwarder.close();
    await upstream.close();
  });

  it('SRV on a ClusterIP Service: named ports by _port._proto (2.3.2), every port on the bare name (CoreDNS)', async () => {
    const bare = await ask(`web.default.svc.${Z}`, 'SRV');
    assert.deepEqual(data(bare), [`53 web.default.svc.${Z}`, `80 web.default.svc.${Z}`, `81 web.default.svc.${Z}`]);
    assert.deepEqual(extra(bare), [`web.default.svc.${Z} 10.43.0.20`, `web.default.svc.${Z} fd00:43::20`]);
    assert.deepEqual(data(await ask(`_dns._udp.web.default.svc.${Z}`, 'SRV')), [`53 web.default.svc.${Z}`]);
    assert.equal((await ask(`_dns._tcp.web.default.svc.${Z}`, 'SRV')).rcode, 'NXDOMAIN');
  });

  it('SRV on a headless Service: ready endpoints x named ports (2.4.2), by endpoint name too (CoreDNS)', async () => {
    assert.deepEqual(data(await ask(`_metrics._tcp.pg.db.svc.${Z}`, 'SRV')), [`9187 10-42-0-6.pg.db.svc.${Z}`, `9187 pg-0.pg.db.svc.${Z}`]);
    const bare = await ask(`pg.db.svc.${Z}`, 'SRV');
    assert.equal(bare.answers?.length, 4);
    assert.deepEqual(extra(bare), [`10-42-0-6.pg.db.svc.${Z} 10.42.0.6`, `pg-0.pg.db.svc.${Z} 10.42.0.5`]);
    assert.deepEqual(data(await ask(`pg-0.pg.db.svc.${Z}`, 'SRV')), [`5432 pg-0.pg.db.svc.${Z}`, `9187 pg-0.pg.db.svc.${Z}`]);
  });

  it('a headless Service without ready endpoints does not exist (2.4.1); publishNotReadyAddresses counts them ready', async () => {
    for (const name of [`sleepy.db.svc.${Z}`, `zz.sleepy.db.svc.${Z}`, `_pg._tcp.sleepy.db.svc.${Z}`]) {
      const res = await ask(name, name.startsWith('_') ? 'SRV' : 'A');
      assert.equal(res.rcode, 'NXDOMAIN', name);
      assert.equal(res.authorities?.[0]?.type, 'SOA', name);
    }
    assert.deepEqual(data(await ask(`tolerant.db.svc.${Z}`, 'A')), ['A 10.42.0.8']);
    assert.deepEqual(data(await ask('8.0.42.10.in-addr.arpa', 'PTR')), [`PTR 10-42-0-8.tolerant.db.svc.${Z}`]);
  });

  it('dns-version.<zone> TXT holds the schema version (2.2), as CoreDNS: 1.1.0, TTL 28800', async () => {
    const txt = await ask(`dns-version.${Z}`, 'TXT');
    assert.equal(txt.rcode, 'NOERROR');
    assert.deepEqual(txt.answers?.map((a) => [String((dataOf(a) as Buffer[])[0]), ttlOf(a)]), [['1.1.0', 28800]]);
    const a = await ask(`dns-version.${Z}`, 'A');
    assert.deepEqual([a.rcode, a.answers?.length], ['NOERROR', 0]);
  });

  it('ExternalName: the CNAME with the target resolved (2.5), the CNAME alone when asked for one', async () => {
    assert.deepEqual((await ask(`ext.default.svc.${Z}`, 'A')).answers?.map((a) => [a.name, a.type, dataOf(a)]), [
      [`ext.default.svc.${Z}`, 'CNAME', 'www.example.org'],
      ['www.example.org', 'A', '192.0.2.1'],
    ]);
    assert.deepEqual(data(await ask(`ext.default.svc.${Z}`, 'CNAME')), ['CNAME www.example.org']);
    assert.deepEqual((await ask(`alias.default.svc.${Z}`, 'AAAA')).answers?.map((a) => [a.name, a.type, dataOf(a)]), [
      [`alias.default.svc.${Z}`, 'CNAME', `web.default.svc.${Z}`],
      [`web.default.svc.${Z}`, 'AAAA', 'fd00:43::20'],
    ]);
    assert.deepEqual(data(await ask(`loop.default.svc.${Z}`, 'A')), [`CNAME loop.default.svc.${Z}`]);
    // An address is no name: CoreDNS serves nothing for it.
    assert.equal((await ask(`byip.default.svc.${Z}`, 'A')).rcode, 'NXDOMAIN');
    assert.equal((await ask(`x.ext.default.svc.${Z}`, 'CNAME')).rcode, 'NXDOMAIN');
  });

  it('namespaces: an empty one answers NODATA, a missing one NXDOMAIN, pod names only in existing ones', async () => {
    const quiet = await ask(`quiet.svc.${Z}`, 'A');
    assert.deepEqual([quiet.rcode, quiet.answers?.length, quiet.authorities?.[0]?.type], ['NOERROR', 0, 'SOA']);
    assert.equal((await ask(`gone.svc.${Z}`, 'A')).rcode, 'NXDOMAIN');
    assert.deepEqual(data(await ask(`10-42-0-9.quiet.pod.${Z}`, 'A')), ['A 10.42.0.9']);
    assert.equal((await ask(`10-42-0-9.gone.pod.${Z}`, 'A')).rcode, 'NXDOMAIN');
    assert.equal((await ask(`gone.pod.${Z}`, 'A')).rcode, 'NXDOMAIN');
    assert.equal((await ask(`quiet.pod.${Z}`, 'A')).rcode, 'NOERROR');
  });

  it('wildcard names are not expanded (CoreDNS dropped them in 1.9.0): NXDOMAIN', async () => {
    for (const name of [`*.pg.db.svc.${Z}`, `any.db.svc.${Z}`, `web.*.svc.${Z}`]) assert.equal((await ask(name, 'A')).rcode, 'NXDOMAIN', name);
  });

  it('a Service with no ClusterIP allocated yet has no records', async () => {
    assert.equal((await ask(`pending.default.svc.${Z}`, 'A')).rcode, 'NXDOMAIN');
  });

  it('the apex: SOA with TTL and minimum 5 and the last change as serial, NS ns.dns.<zone> at the listening address', async () => {
    const soa = (await ask(Z, 'SOA')).answers![0]!;
    assert.equal(ttlOf(soa), 5);
    assert.ok(soa.type === 'SOA');
    assert.deepEqual([soa.data.mname, soa.data.minimum, soa.data.serial], [`ns.dns.${Z}`, 5, 1_700_000_000]);
    clock += 60_000;
    namespaces.set(namespace('later'));
    const next = (await ask(Z, 'SOA')).answers![0]!;
    assert.ok(next.type === 'SOA');
    assert.equal(next.data.serial, 1_700_000_060);
    const ns = await ask(Z, 'NS');
    assert.deepEqual([data(ns), extra(ns)], [[`NS ns.dns.${Z}`], [`ns.dns.${Z} 10.42.0.1`]]);
    assert.deepEqual(data(await ask(`ns.dns.${Z}`, 'A')), ['A 10.42.0.1']);
    assert.equal((await ask(`dns.${Z}`, 'A')).rcode, 'NOERROR');
  });
});
