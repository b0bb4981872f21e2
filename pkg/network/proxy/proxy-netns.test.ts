/**
 * The service proxy against the real kernel: rules written by the proxier (running here, fed by
 * fake informers) into a "node" namespace with a CNI bridge and pod namespaces running servers
 * that answer with their name and the client address they saw. Clients run in a pod, on the
 * node itself, and outside the cluster (see testkit.ts for the layout).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { endpointSlice, FakeSource, service } from '../dns/testkit.ts';
import { Iptables } from '../iptables.ts';
import { cniMissing } from '../testkit.ts';
import { chainName } from './chains.ts';
import { Conntrack, removeServiceProxyRules, startServiceProxy, type ServiceProxy } from './proxier.ts';
import { CLUSTER_CIDR, GATEWAY, NODE_IP, OUTSIDE_IP, ProxyLab, SERVER_PORT, seenFrom, who, type Answer } from './testkit.ts';

const NODE = 'node-a';

function conntrackMissing(): string | false {
  try {
    execFileSync('conntrack', ['--version'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'no conntrack tool (Debian package conntrack)';
  }
}
const BACKENDS = ['a', 'b', 'c'];

function tally(answers: Answer[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) out[who(a)] = (out[who(a)] ?? 0) + 1;
  return out;
}

describe('service proxy in network namespaces', { skip: cniMissing }, () => {
  let lab: ProxyLab | undefined;
  let proxy: ServiceProxy | undefined;
  let iptables: Iptables;
  const services = new FakeSource();
  const slices = new FakeSource();

  /** c stands for a pod on another node: reachable, but not local to this one. */
  const endpoint = (name: string, conditions: Record<string, boolean> = {}) => ({ addresses: [lab!.pod(name).ip], conditions: { ready: true, ...conditions }, nodeName: name === 'c' ? 'node-b' : NODE });
  const slice = (svc: string, endpoints: unknown[], protocol = 'TCP'): KObject => endpointSlice('default', svc, endpoints, [{ name: 'p', port: SERVER_PORT, protocol }]);
  const svc = (name: string, clusterIP: string, spec: Record<string, unknown> = {}, port: Record<string, unknown> = {}): KObject =>
    service('default', name, { clusterIP, ports: [{ name: 'p', port: 80, ...port }], ...spec });

  before(async () => {
    lab = await ProxyLab.create('tsk-prx', [...BACKENDS.map((name) => ({ name, server: true })), { name: 'client', server: false }]);
    iptables = new Iptables({ netns: lab.node.name });
    services.set(svc('web', '10.43.0.10', { type: 'NodePort' }, { nodePort: 30080 }));
    slices.set(slice('web', BACKENDS.map((n) => endpoint(n))));
    services.set(svc('sticky', '10.43.0.11', { sessionAffinity: 'ClientIP' }));
    slices.set(slice('sticky', BACKENDS.map((n) => endpoint(n))));
    services.set(svc('solo', '10.43.0.12'));
    slices.set(slice('solo', [endpoint('a')]));
    services.set(svc('local', '10.43.0.13', { type: 'NodePort', externalTrafficPolicy: 'Local' }, { nodePort: 30083 }));
    slices.set(slice('local', [endpoint('c')]));
    services.set(svc('empty', '10.43.0.14', { type: 'NodePort' }, { nodePort: 30084 }));
    services.set(svc('dns', '10.43.0.15', {}, { protocol: 'UDP' }));
    slices.set(slice('dns', [endpoint('b')], 'UDP'));
    proxy = startServiceProxy({ services, endpointSlices: slices, nodeName: NODE, clusterCidr: CLUSTER_CIDR, iptables, conntrack: new Conntrack({ netns: lab.node.name }) });
    await proxy.synced;
  });

  after(async () => {
    await proxy?.stop().catch(() => undefined);
    lab?.remove();
  });

  it('reaches every backend through a ClusterIP, keeping the pod client\'s address', async () => {
    const answers = await lab!.request(lab!.pod('client').netns, '10.43.0.10', 80, 90, { concurrency: 3 });
    const counts = tally(answers);
    assert.deepEqual(Object.keys(counts).sort(), BACKENDS, JSON.stringify(counts));
    assert.deepEqual([...new Set(answers.map(seenFrom))], [lab!.pod('client').ip]);
  });

  it('answers UDP through a ClusterIP', async () => {
    const answers = await lab!.request(lab!.pod('client').netns, '10.43.0.15', 80, 5, { udp: true });
    assert.deepEqual(tally(answers), { b: 5 });
  });

  it('moves a UDP flow off an endpoint that goes, by deleting its conntrack entry', { skip: conntrackMissing() }, async () => {
    // One socket: every datagram is the same conntrack flow, NATed the way its first one was.
    const client = lab!.request(lab!.pod('client').netns, '10.43.0.15', 80, 30, { udp: 'socket', intervalMs: 50 });
    await new Promise((r) => setTimeout(r, 400));
    slices.set(slice('dns', [endpoint('a')], 'UDP'));
    await proxy!.flushed();
    const answers = await client;
    assert.equal(who(answers[0]!), 'b');
    assert.deepEqual(answers.slice(-5).map(who), ['a', 'a', 'a', 'a', 'a'], JSON.stringify(answers.map(who)));
  });

  it('keeps a client on one backend with sessionAffinity ClientIP', async () => {
    const answers = await lab!.request(lab!.pod('client').netns, '10.43.0.11', 80, 30, { concurrency: 3 });
    assert.equal(Object.keys(tally(answers)).length, 1, JSON.stringify(tally(answers)));
    assert.ok(BACKENDS.includes(who(answers[0]!)));
  });

  it('serves a NodePort on the node\'s addresses, from the node itself, a pod and outside, masqueraded', async () => {
    const node = await lab!.request(lab!.node, NODE_IP, 30080, 12);
    const nodeBridge = await lab!.request(lab!.node, GATEWAY, 30080, 12);
    const pod = await lab!.request(lab!.pod('client').netns, NODE_IP, 30080, 12);
    const outside = await lab!.request(lab!.outside, NODE_IP, 30080, 30, { concurrency: 3 });
    for (const answers of [node, nodeBridge, pod, outside]) {
      assert.equal(answers.filter((a) => a.error).length, 0, JSON.stringify(tally(answers)));
      assert.deepEqual([...new Set(answers.map(seenFrom))], [GATEWAY], 'SNAT to the bridge address');
    }
    assert.deepEqual(Object.keys(tally(outside)).sort(), BACKENDS);
  });

  it('masquerades ClusterIP traffic from outside the cluster CIDR', async () => {
    lab!.outside.exec('ip', ['route', 'replace', '10.43.0.0/16', 'via', NODE_IP]);
    const answers = await lab!.request(lab!.outside, '10.43.0.10', 80, 6);
    assert.equal(answers.filter((a) => a.error).length, 0);
    assert.deepEqual([...new Set(answers.map(seenFrom))], [GATEWAY]);
  });

  it('lets a backend reach itself through its Service (hairpin)', async () => {
    const answers = await lab!.request(lab!.pod('a').netns, '10.43.0.12', 80, 5);
    assert.deepEqual(tally(answers), { a: 5 });
    assert.deepEqual([...new Set(answers.map(seenFrom))], [GATEWAY]);
  });

  it('rejects at once when a Service has no endpoints (ClusterIP and NodePort)', async () => {
    const cluster = await lab!.request(lab!.pod('client').netns, '10.43.0.14', 80, 3, { timeoutMs: 5000 });
    const nodePort = await lab!.request(lab!.outside, NODE_IP, 30084, 3, { timeoutMs: 5000 });
    assert.deepEqual(tally([...cluster, ...nodePort]), { 'error:ECONNREFUSED': 6 });
  });

  it('drops external traffic for externalTrafficPolicy Local without a local endpoint, and keeps the client address with one', async () => {
    const dropped = await lab!.request(lab!.outside, NODE_IP, 30083, 2, { timeoutMs: 800 });
    assert.deepEqual(tally(dropped), { 'error:ETIMEDOUT': 2 });
    // The node itself and pods still reach the Service through any endpoint.
    assert.deepEqual(tally(await lab!.request(lab!.node, NODE_IP, 30083, 3)), { c: 3 });
    assert.deepEqual(tally(await lab!.request(lab!.pod('client').netns, NODE_IP, 30083, 3)), { c: 3 });
    slices.set(slice('local', [endpoint('a'), endpoint('c')]));
    await proxy!.flushed();
    const kept = await lab!.request(lab!.outside, NODE_IP, 30083, 10);
    assert.deepEqual(tally(kept), { a: 10 });
    assert.deepEqual([...new Set(kept.map(seenFrom))], [OUTSIDE_IP], 'no SNAT for Local');
  });

  it('accepts marked traffic in FORWARD when the host\'s FORWARD policy is DROP', async () => {
    lab!.node.exec('iptables', ['-P', 'FORWARD', 'DROP']);
    try {
      const answers = await lab!.request(lab!.outside, NODE_IP, 30080, 6);
      assert.equal(answers.filter((a) => a.error).length, 0, JSON.stringify(tally(answers)));
    } finally {
      lab!.node.exec('iptables', ['-P', 'FORWARD', 'ACCEPT']);
    }
  });

  it('stops sending new connections to an endpoint that turns unready, with no request failing', async () => {
    const client = lab!.request(lab!.pod('client').netns, '10.43.0.10', 80, 300, { intervalMs: 5 });
    await new Promise((r) => setTimeout(r, 400));
    slices.set(slice('web', [endpoint('a'), endpoint('b', { ready: false }), endpoint('c')]));
    await proxy!.flushed();
    const flushedAt = Date.now();
    const answers = await client;
    assert.equal(answers.filter((a) => a.error).length, 0, JSON.stringify(tally(answers)));
    const before = answers.filter((a) => a.t + a.ms < flushedAt - 50);
    const after = answers.filter((a) => a.t > flushedAt);
    assert.ok(tally(before).b! > 0, `b served before it turned unready: ${JSON.stringify(tally(before))}`);
    assert.ok(after.length > 50, `enough requests after the change: ${after.length}`);
    assert.deepEqual(Object.keys(tally(after)).sort(), ['a', 'c'], JSON.stringify(tally(after)));
  });

  it('removes a deleted Service\'s chains, and its address stops answering', async () => {
    services.remove(svc('web', '10.43.0.10'));
    await proxy!.flushed();
    const saved = await iptables.save('nat');
    assert.equal(saved.includes(chainName('SVC', 'default/web:p', 'TCP')), false);
    assert.equal(saved.includes(chainName('EXT', 'default/web:p', 'TCP')), false);
    assert.equal(saved.includes('10.43.0.10'), false);
    const answers = await lab!.request(lab!.pod('client').netns, '10.43.0.10', 80, 2, { timeoutMs: 800 });
    assert.equal(answers.filter((a) => a.answer).length, 0);
  });

  it('leaves the rules working when stopped; a restarted proxy removes what went meanwhile; uninstall removes everything', async () => {
    await proxy!.stop();
    const sticky = chainName('SVC', 'default/sticky:p', 'TCP');
    services.remove(svc('sticky', '10.43.0.11'));
    assert.deepEqual(tally(await lab!.request(lab!.pod('client').netns, '10.43.0.12', 80, 3)), { a: 3 }, 'served while no proxy runs');
    assert.ok((await iptables.save('nat')).includes(`:${sticky} `));

    proxy = startServiceProxy({ services, endpointSlices: slices, nodeName: NODE, clusterCidr: CLUSTER_CIDR, iptables });
    await proxy.synced;
    assert.equal(proxy.lastSync()!.full, true);
    assert.equal((await iptables.save('nat')).includes(`:${sticky} `), false);
    assert.deepEqual(tally(await lab!.request(lab!.pod('client').netns, '10.43.0.12', 80, 3)), { a: 3 });
    const jumps = (await iptables.save('nat')).split('\n').filter((l) => /^-A (PREROUTING|OUTPUT|POSTROUTING) .*TSK-/.test(l));
    assert.equal(jumps.length, 3, `one jump each, not doubled by the restart: ${jumps.join(' | ')}`);

    await proxy.stop();
    await removeServiceProxyRules(iptables);
    for (const table of ['nat', 'filter'] as const) assert.doesNotMatch(await iptables.save(table), /TSK-/, table);
    const after = await lab!.request(lab!.pod('client').netns, '10.43.0.12', 80, 1, { timeoutMs: 800 });
    assert.equal(after[0]!.answer, undefined);
  });
});
