import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RecordIndex } from './records.ts';
import { Resolver } from './resolver.ts';
import { DnsServer } from './server.ts';
import { dataOf, endpointSlice, FakeSource, pod, query, service, ttlOf } from './testkit.ts';

const Z = 'cluster.local';
const services = new FakeSource([
  service('default', 'web', { clusterIP: '10.43.0.20', clusterIPs: ['10.43.0.20', 'fd00:43::20'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { port: 81 }] }),
  service('db', 'pg', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] }),
  service('db', 'empty', { clusterIP: 'None' }),
  service('default', 'ext', { type: 'ExternalName', externalName: 'example.org' }),
]);
const slices = new FakeSource([
  endpointSlice('db', 'pg', [
    { addresses: ['10.42.0.5'], conditions: { ready: true }, hostname: 'pg-0' },
    { addresses: ['10.42.0.6'], conditions: { ready: true } },
    { addresses: ['10.42.0.7'], conditions: { ready: false } },
  ], [{ name: 'pg', port: 5432, protocol: 'TCP' }]),
  endpointSlice('default', 'web', [{ addresses: ['10.42.0.9'], conditions: { ready: true } }]),
]);
const pods = new FakeSource([
  pod('db', 'worker', '10.42.0.11', { hostname: 'w1', subdomain: 'pg' }),
  pod('db', 'unready', '10.42.0.12', { hostname: 'w2', subdomain: 'pg' }, false),
  pod('db', 'nosvc', '10.42.0.13', { hostname: 'w3', subdomain: 'nothing' }),
]);
const index = new RecordIndex({ services, endpointSlices: slices, pods }, Z);
const server = new DnsServer({ resolver: new Resolver({ index }), host: '127.0.0.1', port: 0 });
let port = 0;
const ask = (name: string, type: Parameters<typeof query>[2]) => query(port, name, type);
const data = (res: Awaited<ReturnType<typeof query>>) => (res.answers ?? []).map((a) => (a.type === 'SRV' ? `${a.data.port} ${a.data.target}` : String(dataOf(a)))).sort();

describe('cluster DNS answers', () => {
  before(async () => { port = (await server.start()).port; });
  after(() => server.stop());

  it('answers a Service name with its ClusterIPs, authoritatively, TTL 5', async () => {
    const a = await ask(`web.default.svc.${Z}`, 'A');
    assert.equal(a.rcode, 'NOERROR');
    assert.equal(a.flag_aa, true);
    assert.deepEqual(data(a), ['10.43.0.20']);
    assert.equal(ttlOf(a.answers![0]!), 5);
    assert.deepEqual(data(await ask(`WEB.default.svc.${Z}.`, 'AAAA')), ['fd00:43::20']);
  });

  it('answers a headless Service with its ready endpoints, and names each endpoint', async () => {
    assert.deepEqual(data(await ask(`pg.db.svc.${Z}`, 'A')), ['10.42.0.5', '10.42.0.6']);
    assert.deepEqual(data(await ask(`pg-0.pg.db.svc.${Z}`, 'A')), ['10.42.0.5']);
    assert.deepEqual(data(await ask(`10-42-0-6.pg.db.svc.${Z}`, 'A')), ['10.42.0.6']);
    assert.equal((await ask(`10-42-0-7.pg.db.svc.${Z}`, 'A')).rcode, 'NXDOMAIN');
  });

  it('answers SRV for named ports: the Service name, or each endpoint of a headless one', async () => {
    const web = await ask(`_http._tcp.web.default.svc.${Z}`, 'SRV');
    assert.deepEqual(data(web), [`80 web.default.svc.${Z}`]);
    assert.deepEqual((web.additionals ?? []).filter((a) => a.type === 'A').map((a) => dataOf(a)), ['10.43.0.20']);
    const pg = await ask(`_pg._tcp.pg.db.svc.${Z}`, 'SRV');
    assert.deepEqual(data(pg), [`5432 10-42-0-6.pg.db.svc.${Z}`, `5432 pg-0.pg.db.svc.${Z}`]);
    assert.equal((await ask(`_http._udp.web.default.svc.${Z}`, 'SRV')).rcode, 'NXDOMAIN');
  });

  it('answers PTR for ClusterIPs and endpoint and pod addresses', async () => {
    assert.deepEqual(data(await ask('20.0.43.10.in-addr.arpa', 'PTR')), [`web.default.svc.${Z}`]);
    assert.deepEqual(data(await ask('5.0.42.10.in-addr.arpa', 'PTR')), [`pg-0.pg.db.svc.${Z}`]);
    assert.deepEqual(data(await ask('11.0.42.10.in-addr.arpa', 'PTR')), [`w1.pg.db.svc.${Z}`]);
    const v6 = '0.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.4.0.0.0.0.d.f.ip6.arpa';
    assert.deepEqual(data(await ask(v6, 'PTR')), [`web.default.svc.${Z}`]);
  });

  it('answers hostname.subdomain for ready pods whose subdomain is a headless Service', async () => {
    assert.deepEqual(data(await ask(`w1.pg.db.svc.${Z}`, 'A')), ['10.42.0.11']);
    assert.equal((await ask(`w2.pg.db.svc.${Z}`, 'A')).rcode, 'NXDOMAIN');
    assert.equal((await ask(`w3.nothing.db.svc.${Z}`, 'A')).rcode, 'NXDOMAIN');
  });

  it('tells NXDOMAIN from NODATA, both with the SOA in the authority section', async () => {
    const nx = await ask(`nope.default.svc.${Z}`, 'A');
    assert.equal(nx.rcode, 'NXDOMAIN');
    assert.equal(nx.authorities?.[0]?.type, 'SOA');
    for (const [name, type] of [[`web.default.svc.${Z}`, 'TXT'], [`db.svc.${Z}`, 'A'], [`pg.db.svc.${Z}`, 'AAAA'], [`svc.${Z}`, 'A']] as const) {
      const res = await ask(name, type);
      assert.equal(res.rcode, 'NOERROR', name);
      assert.equal(res.answers?.length, 0, name);
      assert.equal(res.authorities?.[0]?.type, 'SOA', name);
    }
    assert.equal((await ask(`nothing.svc.${Z}`, 'A')).rcode, 'NXDOMAIN');
    // Spec 2.4.1: a headless Service without ready endpoints answers NXDOMAIN (CoreDNS too).
    assert.equal((await ask(`empty.db.svc.${Z}`, 'A')).rcode, 'NXDOMAIN');
  });

  it('answers ExternalName with a CNAME and dashed pod names with their address', async () => {
    const ext = await ask(`ext.default.svc.${Z}`, 'A');
    assert.deepEqual(ext.answers?.map((a) => [a.type, dataOf(a)]), [['CNAME', 'example.org']]);
    assert.deepEqual(data(await ask(`10-42-0-99.default.pod.${Z}`, 'A')), ['10.42.0.99']);
    assert.equal((await ask(`bad.default.pod.${Z}`, 'A')).rcode, 'NXDOMAIN');
  });

  it('follows Service and EndpointSlice changes, rebuilding once per burst', async () => {
    await ask(`web.default.svc.${Z}`, 'A');
    const before = index.rebuilds;
    services.set(service('default', 'web', { clusterIP: '10.43.0.21', ports: [] }));
    services.set(service('default', 'new', { clusterIP: '10.43.0.22' }));
    slices.set(endpointSlice('db', 'pg', [{ addresses: ['10.42.0.8'], conditions: { ready: true } }]));
    assert.deepEqual(data(await ask(`web.default.svc.${Z}`, 'A')), ['10.43.0.21']);
    assert.equal(index.rebuilds, before + 1);
    assert.deepEqual(data(await ask(`new.default.svc.${Z}`, 'A')), ['10.43.0.22']);
    assert.deepEqual(data(await ask(`pg.db.svc.${Z}`, 'A')), ['10.42.0.8']);
    assert.deepEqual(data(await ask('21.0.43.10.in-addr.arpa', 'PTR')), [`web.default.svc.${Z}`]);
    assert.deepEqual(data(await ask('20.0.43.10.in-addr.arpa', 'PTR')), []);
    services.remove(service('default', 'new', {}));
    assert.equal((await ask(`new.default.svc.${Z}`, 'A')).rcode, 'NXDOMAIN');
  });

  it('rebuilds only the Services a change touches; other pods\' churn touches nothing', async () => {
    await ask(`web.default.svc.${Z}`, 'A');
    const { rebuilds, partsBuilt } = index;
    pods.set(pod('default', 'busy', '10.42.0.30', {}, false));
    pods.set(pod('default', 'busy', '10.42.0.30', {}));
    await ask(`web.default.svc.${Z}`, 'A');
    assert.deepEqual([index.rebuilds, index.partsBuilt], [rebuilds, partsBuilt]);
    // w2 turns ready: only pg's part is rebuilt, and w2 gets its name.
    pods.set(pod('db', 'unready', '10.42.0.12', { hostname: 'w2', subdomain: 'pg' }));
    assert.deepEqual(data(await ask(`w2.pg.db.svc.${Z}`, 'A')), ['10.42.0.12']);
    assert.deepEqual([index.rebuilds, index.partsBuilt], [rebuilds + 1, partsBuilt + 1]);
    // A slice relabelled to another Service moves its endpoints (both Services rebuilt).
    const moved = endpointSlice('db', 'empty', [{ addresses: ['10.42.0.8'], conditions: { ready: true } }]);
    slices.set({ ...moved, metadata: { ...moved.metadata, name: 'pg-abcde' } });
    assert.deepEqual(data(await ask(`empty.db.svc.${Z}`, 'A')), ['10.42.0.8']);
    assert.equal((await ask(`pg.db.svc.${Z}`, 'A')).rcode, 'NOERROR');
    assert.deepEqual(data(await ask(`pg.db.svc.${Z}`, 'A')), []);
    assert.equal(index.partsBuilt, partsBuilt + 3);
    assert.deepEqual(data(await ask('8.0.42.10.in-addr.arpa', 'PTR')), [`10-42-0-8.empty.db.svc.${Z}`]);
  });

  it('refuses names outside the cluster when it has no forwarder', async () => {
    assert.equal((await ask('example.org', 'A')).rcode, 'REFUSED');
  });
});
