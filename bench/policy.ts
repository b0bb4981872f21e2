/**
 * NetworkPolicy sync cost (issue 6), printed as a table: `node --import tsx bench/policy.ts`.
 * A cluster of BENCH_PODS pods (200) in 10 namespaces, all on this node (the worst case: every
 * pod gets chains here), and BENCH_POLICIES policies (50; five kinds in turn: deny-all,
 * podSelector + port, namespaceSelector + named port, ipBlock with except + podSelector,
 * egress to pods + UDP 53). Measures computing the rules in process, and, as root, writing
 * them through iptables-restore into a network namespace of its own (the machine's rules are
 * never touched): the first full sync, then one pod's labels changed, one pod added, one
 * policy changed (each: event → rules in the kernel).
 */
import { Iptables } from '../pkg/network/iptables.ts';
import { startNetworkPolicy } from '../pkg/network/policy/controller.ts';
import { namespaceLabels, podInfo, policyInfo, type PodInfo } from '../pkg/network/policy/model.ts';
import { desiredChains } from '../pkg/network/policy/rules.ts';
import { namespace, pod, policy } from '../pkg/network/policy/testkit.ts';
import { FakeSource } from '../pkg/network/dns/testkit.ts';
import { cniMissing, Netns } from '../pkg/network/testkit.ts';
import type { KObject } from '../pkg/api/types.ts';
import { fmt, median, printTable } from './lib/stats.ts';

const PODS = Number(process.env.BENCH_PODS ?? 200);
const POLICIES = Number(process.env.BENCH_POLICIES ?? 50);
const NAMESPACES = 10;
const APPS = 4;

function cluster() {
  const namespaces = Array.from({ length: NAMESPACES }, (_, i) => namespace(`ns-${i}`, { team: `t${i % 3}` }));
  const pods: KObject[] = [];
  for (let i = 0; i < PODS; i++) {
    const ns = `ns-${i % NAMESPACES}`;
    const n = i + 1;
    pods.push(pod(ns, `pod-${i}`, `10.42.${n >> 8}.${n & 255}`, { app: `app-${Math.floor(i / NAMESPACES) % APPS}` }, { ports: [{ name: 'http', containerPort: 8080 }] }));
  }
  const policies: KObject[] = [];
  for (let i = 0; i < POLICIES; i++) {
    const ns = `ns-${i % NAMESPACES}`;
    const app = (n: number) => ({ matchLabels: { app: `app-${n % APPS}` } });
    const kind = Math.floor(i / NAMESPACES) % 5;
    const specs = [
      { podSelector: {}, policyTypes: ['Ingress'] },
      { podSelector: app(0), ingress: [{ from: [{ podSelector: app(1) }], ports: [{ port: 8080 }, { port: 9090 }] }] },
      { podSelector: app(1), ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 't0' } } }], ports: [{ port: 'http' }] }] },
      { podSelector: app(2), ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.42.0.0/16'] } }, { podSelector: app(3) }] }] },
      { podSelector: app(3), policyTypes: ['Egress'], egress: [{ to: [{ podSelector: app(0) }] }, { ports: [{ protocol: 'UDP', port: 53 }] }] },
    ];
    policies.push(policy(ns, `pol-${i}`, specs[kind]!));
  }
  return { namespaces, pods, policies };
}

const c = cluster();
const state = {
  pods: c.pods.map((p) => podInfo(p, 4)).filter((p): p is PodInfo => p !== undefined),
  policies: c.policies.map(policyInfo),
  namespaces: new Map(c.namespaces.map((n) => [n.metadata.name!, namespaceLabels(n)])),
  nodeName: 'node1',
  family: 4 as const,
};
const computeMs: number[] = [];
let chains = desiredChains(state);
for (let i = 0; i < 21; i++) {
  const t = process.hrtime.bigint();
  chains = desiredChains(state);
  computeMs.push(Number(process.hrtime.bigint() - t) / 1e6);
}
const rules = [...chains.values()].reduce((n, lines) => n + lines.length, 0);
const rows: string[][] = [[`compute rules (${PODS} pods, ${POLICIES} policies)`, fmt(median(computeMs), 2), `${chains.size} chains, ${rules} rules`]];

if (cniMissing) {
  rows.push(['iptables-restore', '-', `skipped: ${cniMissing}`]);
} else {
  const netns = Netns.create('tsk-netpol-bench');
  try {
    const iptables = new Iptables({ netns: netns.name });
    const policies = new FakeSource(c.policies);
    const pods = new FakeSource(c.pods);
    const namespaces = new FakeSource(c.namespaces);
    let t = process.hrtime.bigint();
    const handle = startNetworkPolicy({ nodeName: 'node1', iptables, policies, pods, namespaces, coalesceMs: 0 });
    await handle.synced;
    rows.push(['first sync (full write + jumps)', fmt(Number(process.hrtime.bigint() - t) / 1e6), '']);
    const timed = async (what: string, change: (i: number) => void) => {
      const sample: number[] = [];
      for (let i = 0; i < 7; i++) {
        t = process.hrtime.bigint();
        change(i);
        await handle.settled();
        sample.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      rows.push([what, fmt(median(sample)), 'median of 7']);
    };
    await timed('one pod relabelled', (i) => pods.set(pod('ns-0', 'pod-0', '10.42.0.1', { app: `app-${i % 2}` }, { ports: [{ name: 'http', containerPort: 8080 }] })));
    await timed('one pod added', (i) => pods.set(pod('ns-1', `extra-${i}`, `10.42.200.${i + 1}`, { app: 'app-1' })));
    await timed('one policy changed', (i) => policies.set(policy('ns-2', 'pol-12', { podSelector: { matchLabels: { app: 'app-0' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'app-1' } } }], ports: [{ port: 8000 + i }] }] })));
    await handle.stop();
  } finally {
    netns.remove();
  }
}
printTable(['step', 'ms', 'note'], rows);
