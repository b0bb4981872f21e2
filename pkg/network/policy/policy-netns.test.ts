/**
 * NetworkPolicy against the kernel: a "node" namespace holds the real CNI bridge (tsk's
 * conflist through Debian's plugins), three "pod" namespaces hang off it (a1 and a2 in
 * namespace a, b1 in b), each serving TCP 80 and 8080 and UDP 53 and 5353. The policy
 * controller runs in this process on fake informer sources and programs the node namespace's
 * iptables. Blocked connections are REJECTed, so every probe ends at once: "ok" or "refused".
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { until } from '../../../test/lib/until.ts';
import { cniConfigList, cniPaths, type CniConfigList } from '../cni.ts';
import { FakeSource } from '../dns/testkit.ts';
import { Iptables } from '../iptables.ts';
import { cniAdd, cniDel, cniMissing, Netns, type CniInvocation, type CniResult } from '../testkit.ts';
import { removeNetworkPolicyRules, startNetworkPolicy, type NetworkPolicyHandle } from './controller.ts';
import { ensureJumpsFirst } from './jumps.ts';
import { isPolicyChain } from './rules.ts';
import { namespace, pod, policy } from './testkit.ts';

const POD_CIDR = '10.88.61.0/24';
const NODE_LINK = '10.88.62.1';
const OUTSIDE_IP = '10.88.62.2';
/** A "Service" address the node DNATs to a1. */
const SERVICE_IP = '10.88.63.10';

/** TCP 80/8080 and UDP 53/5353 echo, in plain JavaScript so it runs under `ip netns exec node`. */
const SERVER = `
const net = require('node:net'), dgram = require('node:dgram');
for (const port of [80, 8080]) net.createServer((s) => { s.on('error', () => {}); s.end('hi\\n'); }).listen(port);
for (const port of [53, 5353]) { const u = dgram.createSocket('udp4'); u.on('message', (m, r) => u.send(m, r.port, r.address)); u.bind(port); }
`;

/** Prints ok, refused or timeout for one connection (tcp) or one datagram and its echo (udp). */
const PROBE = `
const [proto, host, port] = process.argv.slice(1);
const done = (word) => { process.stdout.write(word); process.exit(0); };
setTimeout(() => done('timeout'), 5000);
if (proto === 'tcp') {
  const s = require('node:net').connect(Number(port), host, () => { s.destroy(); done('ok'); });
  s.on('error', (e) => done(e.code === 'ECONNREFUSED' || e.code === 'EHOSTUNREACH' ? 'refused' : e.code));
} else {
  const u = require('node:dgram').createSocket('udp4');
  u.on('message', () => done('ok'));
  u.on('error', (e) => done(e.code === 'ECONNREFUSED' || e.code === 'EHOSTUNREACH' ? 'refused' : e.code));
  u.connect(Number(port), host, () => u.send('ping'));
}
`;

interface TestPod {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  netns: Netns;
  call: CniInvocation;
  result?: CniResult;
  ip?: string;
}

describe('network policy in namespaces of the test', { skip: cniMissing }, () => {
  let tmp: string;
  let node: Netns;
  let outside: Netns;
  let list: CniConfigList;
  let iptables: Iptables;
  let handle: NetworkPolicyHandle | undefined;
  const bridge = `tnp${randomBytes(3).toString('hex')}`;
  const namespaces: Netns[] = [];
  const servers: ChildProcess[] = [];
  const pods: TestPod[] = [];
  const policies = new FakeSource();
  const podSource = new FakeSource();
  const namespaceSource = new FakeSource([namespace('a', { team: 'alpha' }), namespace('b', { team: 'beta' })]);

  const byName = (name: string) => pods.find((p) => p.name === name)!;
  /** What `from` (a pod, or 'node') gets when it connects to `to`. */
  const probe = (from: string, to: string, port = 80, proto: 'tcp' | 'udp' = 'tcp'): string => {
    const netns = from === 'node' ? node : from === 'outside' ? outside : byName(from).netns;
    return netns.exec(process.execPath, ['-e', PROBE, proto, byName(to).ip!, String(port)]).trim();
  };
  const matrix = () => {
    const seen: Record<string, string> = {};
    for (const from of pods) for (const to of pods) if (from !== to) seen[`${from.name}→${to.name}`] = probe(from.name, to.name);
    return seen;
  };

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-netpol-'));
    const paths = cniPaths(path.join(tmp, 'agent'));
    list = cniConfigList({ ...paths, podCidr: POD_CIDR, bridgeName: bridge });
    node = Netns.create('tsk-netpol-node');
    namespaces.push(node);
    // br_netfilter's switch is per network namespace (a new one starts at 1 on this kernel; set
    // it as the agent does): pod-to-pod frames on the bridge only meet FORWARD when it is on.
    assert.ok(fs.existsSync('/proc/sys/net/bridge'), 'br_netfilter is loaded');
    node.exec('sh', ['-c', 'echo 1 > /proc/sys/net/bridge/bridge-nf-call-iptables']);
    // "Another node": a namespace routed to the pods through the node, as a peer node's traffic is.
    outside = Netns.create('tsk-netpol-out');
    namespaces.push(outside);
    node.exec('ip', ['link', 'add', 'vout', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', outside.name]);
    node.exec('ip', ['addr', 'add', `${NODE_LINK}/30`, 'dev', 'vout']);
    node.exec('ip', ['link', 'set', 'vout', 'up']);
    outside.exec('ip', ['addr', 'add', `${OUTSIDE_IP}/30`, 'dev', 'eth0']);
    outside.exec('ip', ['link', 'set', 'eth0', 'up']);
    outside.exec('ip', ['route', 'add', POD_CIDR, 'via', NODE_LINK]);
    node.exec('sh', ['-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);
    // REJECT's ICMP errors are rate-limited per destination (1/s after a burst of 6): a UDP
    // probe right after a few others would time out instead of being refused.
    node.exec('sh', ['-c', 'echo 0 > /proc/sys/net/ipv4/icmp_ratelimit']);
    for (const [name, ns, labels] of [['a1', 'a', { app: 'web' }], ['a2', 'a', { app: 'client' }], ['b1', 'b', { app: 'client' }]] as const) {
      const netns = Netns.create(`tsk-netpol-${name}`);
      namespaces.push(netns);
      const p: TestPod = { name, namespace: ns, labels, netns, call: { host: node, pod: netns, containerId: randomBytes(16).toString('hex') } };
      p.result = cniAdd(list, p.call);
      p.ip = p.result.ips![0]!.address.split('/')[0]!;
      pods.push(p);
      servers.push(netns.spawn(process.execPath, ['-e', SERVER]));
      podSource.set(pod(ns, name, p.ip, labels, { node: 'node1' }));
    }
    for (const p of pods) await until(`${p.name} serving`, async () => (probe('node', p.name) === 'ok' && probe('node', p.name, 53, 'udp') === 'ok' ? true : undefined));
    iptables = new Iptables({ netns: node.name });
    handle = startNetworkPolicy({ nodeName: 'node1', iptables, policies, pods: podSource, namespaces: namespaceSource, bridgeName: bridge, coalesceMs: 20 });
    await handle.synced;
  });

  after(async () => {
    await handle?.stop();
    for (const server of servers) if (server.pid !== undefined && server.exitCode === null) process.kill(server.pid, 'SIGKILL');
    // One failed step must not leave the others' namespaces behind.
    const attempt = (step: () => void) => {
      try {
        step();
      } catch (err) {
        console.error(`cleanup: ${(err as Error).message}`);
      }
    };
    for (const p of pods) if (p.result) attempt(() => cniDel(list, p.call, p.result!));
    for (const netns of namespaces) attempt(() => netns.remove());
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const all = (word: string) => Object.fromEntries(['a1→a2', 'a1→b1', 'a2→a1', 'a2→b1', 'b1→a1', 'b1→a2'].map((k) => [k, word]));

  it('lets every pod reach every other while no policy exists, and hooks FORWARD and OUTPUT', async () => {
    assert.deepEqual(matrix(), all('ok'));
    const saved = await iptables.save('filter');
    assert.match(saved, new RegExp(`-A FORWARD -i ${bridge} .*-j TSK-NWPLCY`));
    assert.match(saved, new RegExp(`-A OUTPUT -o ${bridge} .*-j TSK-NWPLCY`));
  });

  it('deny-all ingress on a1: nobody but its node reaches it, and it still reaches the others', async () => {
    policies.set(policy('a', 'deny-web', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] }));
    await handle!.settled();
    assert.equal(probe('a2', 'a1'), 'refused');
    assert.deepEqual(matrix(), { ...all('ok'), 'a2→a1': 'refused', 'b1→a1': 'refused' });
    assert.equal(probe('node', 'a1'), 'ok', 'the node (kubelet probes) always gets in');
    assert.equal(probe('b1', 'a1', 53, 'udp'), 'refused');
  });

  it('a connection to an isolated pod through a DNAT (a Service) is refused at once too', () => {
    // As the service proxy's DNAT would: the pods route the address to the bridge's gateway.
    node.exec('iptables', ['-t', 'nat', '-A', 'PREROUTING', '-d', SERVICE_IP, '-p', 'tcp', '--dport', '80', '-j', 'DNAT', '--to-destination', `${byName('a1').ip!}:80`]);
    const viaService = (from: string) => byName(from).netns.exec(process.execPath, ['-e', PROBE, 'tcp', SERVICE_IP, '80']).trim();
    // A TCP reset would go back out of the client's bridge port with a1's address, not the
    // Service's: the client would ignore it and time out.
    assert.equal(viaService('a2'), 'refused');
    assert.equal(viaService('b1'), 'refused');
  });

  it('allow from a podSelector: that peer only (with a foreign ACCEPT put above the jumps)', async () => {
    // As kube-proxy's "accept what is marked for masquerade" or Docker's chains would be.
    node.exec('iptables', ['-I', 'FORWARD', '1', '-o', bridge, '-j', 'ACCEPT']);
    policies.set(policy('a', 'allow', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }] }] }));
    await handle!.settled();
    assert.equal(probe('a2', 'a1'), 'ok');
    assert.equal(probe('b1', 'a1'), 'refused', 'b1 has the label but lives in another namespace');
    assert.equal(probe('a2', 'a1', 8080), 'ok');
    assert.match(await iptables.save('filter'), /^-A FORWARD -i \S+ .*-j TSK-NWPLCY\n-A FORWARD ! -i \S+ -o \S+ .*-j TSK-NWPLCY\n-A FORWARD -o \S+ -j ACCEPT$/m);
    assert.equal(await ensureJumpsFirst(iptables, bridge), false, 'iptables-save prints the jumps as they were written: no churn');
  });

  it('allow from a namespaceSelector: every pod of that namespace', async () => {
    policies.set(policy('a', 'allow', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'beta' } } }] }] }));
    await handle!.settled();
    assert.equal(probe('b1', 'a1'), 'ok');
    assert.equal(probe('a2', 'a1'), 'refused');
  });

  it('allow one port only: the other stays closed', async () => {
    policies.set(policy('a', 'allow', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: [{ protocol: 'TCP', port: 8080 }] }] }));
    await handle!.settled();
    assert.equal(probe('b1', 'a1', 8080), 'ok');
    assert.equal(probe('b1', 'a1', 80), 'refused');
    assert.equal(probe('a2', 'a1', 8080), 'ok');
    assert.equal(probe('a2', 'a1', 80), 'refused');
  });

  it('traffic routed in from another node meets the policy too: ipBlock with an exception', async () => {
    assert.equal(probe('outside', 'a1'), 'refused', 'only 8080 is open');
    policies.set(policy('a', 'allow', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ ipBlock: { cidr: '10.88.62.0/24', except: [`${OUTSIDE_IP}/32`] } }] }] }));
    await handle!.settled();
    assert.equal(probe('outside', 'a1'), 'refused');
    assert.equal(probe('outside', 'a2'), 'ok');
    policies.set(policy('a', 'allow', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ ipBlock: { cidr: '10.88.62.0/24' } }] }] }));
    await handle!.settled();
    assert.equal(probe('outside', 'a1'), 'ok');
    assert.equal(probe('b1', 'a1'), 'refused');
  });

  it('egress deny-all on a2, then allowed to one peer and to UDP 53 anywhere', async () => {
    policies.remove(policy('a', 'allow', {}));
    policies.remove(policy('a', 'deny-web', {}));
    await handle!.settled();
    assert.equal(probe('a2', 'a1'), 'ok');
    policies.set(policy('a', 'deny-out', { podSelector: { matchLabels: { app: 'client' } }, policyTypes: ['Egress'] }));
    await handle!.settled();
    assert.equal(probe('a2', 'a1'), 'refused');
    assert.equal(probe('a2', 'b1'), 'refused');
    assert.equal(probe('a2', 'b1', 53, 'udp'), 'refused');
    assert.equal(probe('a1', 'a2'), 'ok', 'replies from a2 to a connection it did not start');
    assert.equal(probe('b1', 'a1'), 'ok', 'b1 lives in namespace b: not selected');
    policies.set(policy('a', 'allow-out', {
      podSelector: { matchLabels: { app: 'client' } }, policyTypes: ['Egress'],
      egress: [{ to: [{ podSelector: { matchLabels: { app: 'web' } } }] }, { ports: [{ protocol: 'UDP', port: 53 }] }],
    }));
    await handle!.settled();
    assert.equal(probe('a2', 'a1'), 'ok');
    assert.equal(probe('a2', 'b1'), 'refused');
    assert.equal(probe('a2', 'b1', 53, 'udp'), 'ok');
    assert.equal(probe('a2', 'b1', 5353, 'udp'), 'refused');
  });

  it('lets traffic flow again once the policies are deleted, and leaves no pod chain behind', async () => {
    policies.remove(policy('a', 'deny-out', {}));
    policies.remove(policy('a', 'allow-out', {}));
    await handle!.settled();
    assert.equal(probe('a2', 'b1'), 'ok');
    assert.deepEqual(matrix(), all('ok'));
    const left = [...(await iptables.chains('filter'))].filter(isPolicyChain);
    assert.deepEqual(left, ['TSK-NWPLCY']);
  });

  it('uninstall removes the jumps and every policy chain', async () => {
    policies.set(policy('b', 'deny', { podSelector: {} }));
    await handle!.settled();
    assert.equal(probe('a1', 'b1'), 'refused');
    await handle!.stop();
    handle = undefined;
    await removeNetworkPolicyRules(iptables);
    const saved = await iptables.save('filter');
    assert.doesNotMatch(saved, /TSK-/);
    assert.equal(probe('a1', 'b1'), 'ok');
  });
});

