import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { Netns, cniMissing } from '../testkit.ts';
import { startClusterDns, usableUpstreams, type ClusterDns } from './service.ts';
import { dataOf, FakeSource, fakeUpstream, query, service } from './testkit.ts';

const sources = () => ({
  services: new FakeSource([service('default', 'web', { clusterIP: '10.43.0.20', ports: [{ port: 80 }] })]),
  endpointSlices: new FakeSource(),
  pods: new FakeSource(),
});
const base = { zone: 'cluster.local', upstreams: [] as string[] };

describe('startClusterDns', () => {
  const started: ClusterDns[] = [];
  after(async () => { await Promise.all(started.map((d) => d.stop())); });

  it('serves the zone on every listen address and forwards other names to the upstreams', async () => {
    const upstream = await fakeUpstream((q) => ({ answers: [{ type: 'A', name: q.questions![0]!.name, ttl: 60, data: '192.0.2.1' }] }));
    const dns = await startClusterDns({
      ...base, sources: sources(), upstreams: [`127.0.0.1:${upstream.port}`],
      listen: [{ host: '127.0.0.1', port: 0 }, { host: '127.0.0.2', port: 0 }],
    });
    started.push(dns);
    const addrs = dns.addresses();
    assert.deepEqual(addrs.map((a) => a.host), ['127.0.0.1', '127.0.0.2']);
    for (const a of addrs) {
      assert.deepEqual((await query(a.port, 'web.default.svc.cluster.local', 'A', { host: a.host })).answers?.map((r) => dataOf(r)), ['10.43.0.20']);
    }
    assert.deepEqual((await query(addrs[0]!.port, 'www.example.org', 'A')).answers?.map((r) => dataOf(r)), ['192.0.2.1']);
    const ns = await query(addrs[0]!.port, 'cluster.local', 'NS');
    assert.deepEqual(ns.additionals?.map((r) => dataOf(r)), ['127.0.0.1', '127.0.0.2']);
    await dns.stop();
    assert.deepEqual(dns.addresses(), []);
    await upstream.close();
  });

  it('leaves out upstreams that are no IP address or are its own listen address', () => {
    // A link-local server with its zone index is fine: Node sends to scoped addresses.
    const { servers, skipped } = usableUpstreams(['10.0.0.2', 'fe80::1%eth0', 'dns.example', '10.42.0.1:53', '10.0.0.2:53'], [{ host: '10.42.0.1', port: 53 }]);
    assert.deepEqual(servers, [{ host: '10.0.0.2', port: 53 }, { host: 'fe80::1%eth0', port: 53 }]);
    assert.equal(skipped.length, 2);
    assert.match(skipped.join('\n'), /10\.42\.0\.1:53 \(that is this server/);
  });

  it('fails with one line naming the address, releasing what it had bound', async () => {
    const first = await startClusterDns({ ...base, sources: sources(), listen: [{ host: '127.0.0.1', port: 0 }] });
    const port = first.addresses()[0]!.port;
    await assert.rejects(startClusterDns({ ...base, sources: sources(), listen: [{ host: '127.0.0.1', port }] }), (err: Error) => {
      assert.equal(err.message, `cannot serve DNS on 127.0.0.1:${port}/udp: the port is taken (EADDRINUSE)`);
      return true;
    });
    await first.stop();
    await assert.rejects(
      startClusterDns({ ...base, sources: sources(), listen: [{ host: '127.0.0.1', port }, { host: '192.0.2.1', port: 53 }] }),
      { code: 'listen-failed', message: 'cannot serve DNS on 192.0.2.1:53/udp: the address is not on this host (EADDRNOTAVAIL)' },
    );
    // The failed start let go of 127.0.0.1:port again.
    const again = await startClusterDns({ ...base, sources: sources(), listen: [{ host: '127.0.0.1', port }] });
    started.push(again);
    assert.equal(again.addresses()[0]!.port, port);
  });

  it('with retryUnavailableMs, starts on the addresses it has and keeps trying the missing one', async () => {
    const dns = await startClusterDns({
      ...base, sources: sources(), retryUnavailableMs: 20,
      listen: [{ host: '192.0.2.1', port: 53 }, { host: '127.0.0.1', port: 0 }],
    });
    started.push(dns);
    assert.deepEqual(dns.addresses().map((a) => a.host), ['127.0.0.1']);
  });

  it('binds port 53 on an address that appears after the start (a bridge gateway), in a namespace', { skip: cniMissing }, async () => {
    const netns = Netns.create('tskdns');
    const child = spawn('ip', ['netns', 'exec', netns.name, process.execPath, '--import', 'tsx', '--input-type=module', '-e', `
      import { startClusterDns } from ${JSON.stringify(new URL('./service.ts', import.meta.url).pathname)};
      import { FakeSource, service } from ${JSON.stringify(new URL('./testkit.ts', import.meta.url).pathname)};
      const dns = await startClusterDns({
        sources: { services: new FakeSource([service('default', 'web', { clusterIP: '10.43.0.20' })]), endpointSlices: new FakeSource(), pods: new FakeSource() },
        zone: 'cluster.local', upstreams: [], listen: [{ host: '10.99.0.1', port: 53 }], retryUnavailableMs: 50,
      });
      console.log('serving ' + dns.addresses().length);
      setInterval(() => {}, 1000);
    `], { stdio: ['ignore', 'pipe', 'inherit'], cwd: process.cwd() });
    try {
      const first = await new Promise<string>((resolve, reject) => {
        child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
        child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
      });
      assert.equal(first, 'serving 0');
      netns.exec('ip', ['addr', 'add', '10.99.0.1/24', 'dev', 'lo']);
      let out = '';
      for (let i = 0; i < 100 && !out.includes('10.43.0.20'); i++) {
        try {
          out = netns.exec('busybox', ['nslookup', '-type=a', 'web.default.svc.cluster.local', '10.99.0.1']);
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      assert.match(out, /Address:\s+10\.43\.0\.20/);
    } finally {
      child.kill();
      await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)));
      netns.remove();
    }
  });
});
