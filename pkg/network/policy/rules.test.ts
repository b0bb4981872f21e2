import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { namespaceLabels, podInfo, policyInfo, type PodInfo } from './model.ts';
import { desiredChains, podChainName, policyChainName, TOP_CHAIN, type DesiredChains } from './rules.ts';
import { namespace, pod, policy, verdict, type Packet } from './testkit.ts';

const NODE = 'node1';

function chainsFor(objs: { pods: KObject[]; policies?: KObject[]; namespaces?: KObject[] }): DesiredChains {
  return desiredChains({
    pods: objs.pods.map((p) => podInfo(p, 4)).filter((p): p is PodInfo => p !== undefined),
    policies: (objs.policies ?? []).map(policyInfo),
    namespaces: new Map((objs.namespaces ?? []).map((n) => [n.metadata.name!, namespaceLabels(n)])),
    nodeName: NODE,
    family: 4,
  });
}

/** "from → to:port" for every pair, 'pass' or 'reject'. */
function reach(chains: DesiredChains, from: string, to: string, dport = 80, extra: Partial<Packet> = {}) {
  return verdict(chains, { src: from, dst: to, dport, ...extra });
}

// a1, a2 in namespace a (on this node); b1 in namespace b; r1 in namespace a on another node.
const A1 = '10.42.0.11';
const A2 = '10.42.0.12';
const B1 = '10.42.0.21';
const R1 = '10.42.1.31';
const EXT = '192.0.2.7';
const basePods = () => [
  pod('a', 'a1', A1, { app: 'web' }, { ports: [{ name: 'http', containerPort: 8080 }] }),
  pod('a', 'a2', A2, { app: 'client', tier: 'front' }),
  pod('b', 'b1', B1, { app: 'client' }),
  pod('a', 'r1', R1, { app: 'client' }, { node: 'node2' }),
];
const baseNamespaces = () => [namespace('a', { team: 'alpha' }), namespace('b', { team: 'beta' })];

describe('policy → rules', () => {
  it('without policies every pod reaches every other and nothing is written but an empty top chain', () => {
    const chains = chainsFor({ pods: basePods(), namespaces: baseNamespaces() });
    assert.deepEqual([...chains], [[TOP_CHAIN, []]]);
    assert.equal(reach(chains, B1, A1), 'pass');
  });

  it('a deny-all ingress isolates the selected pods only; they still reach out, replies come back', () => {
    const chains = chainsFor({ pods: basePods(), namespaces: baseNamespaces(), policies: [policy('a', 'deny', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] })] });
    assert.equal(reach(chains, B1, A1), 'reject');
    assert.equal(reach(chains, A2, A1), 'reject');
    assert.equal(reach(chains, EXT, A1), 'reject');
    assert.equal(reach(chains, A1, B1), 'pass');
    assert.equal(reach(chains, B1, A1, 80, { dnat: true }), 'reject', 'through a Service (another REJECT line)');
    assert.equal(reach(chains, B1, A1, 80, { established: true }), 'pass', 'a reply to a1\'s own connection');
    assert.equal(reach(chains, '10.42.0.1', A1, 80, { fromNode: true }), 'pass', 'the node (kubelet probes) always gets in');
    assert.equal(reach(chains, A1, A1), 'pass', 'a pod cannot block itself');
    assert.equal(reach(chains, B1, A2), 'pass', 'a2 is not selected');
    assert.ok(chains.has(podChainName({ namespace: 'a', name: 'a1' }, 'ingress')));
    assert.equal(chains.has(podChainName({ namespace: 'a', name: 'a2' }, 'ingress')), false);
    assert.equal(chains.has(podChainName({ namespace: 'a', name: 'a1' }, 'egress')), false);
  });

  it('only pods on this node get chains: the other node enforces its own', () => {
    const chains = chainsFor({ pods: basePods(), policies: [policy('a', 'deny', { podSelector: {} })] });
    assert.equal(chains.has(podChainName({ namespace: 'a', name: 'r1' }, 'ingress')), false);
    assert.equal(reach(chains, B1, R1), 'pass');
    assert.equal(reach(chains, B1, A2), 'reject');
  });

  it('podSelector peers are pods of the policy\'s namespace, with matchLabels and matchExpressions', () => {
    const pods = [...basePods(), pod('a', 'a3', '10.42.0.13', { app: 'client', tier: 'back' }), pod('a', 'a4', '10.42.0.14', { app: 'other' })];
    const allow = (podSelector: object) => chainsFor({ pods, policies: [policy('a', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector }] }] })] });
    let chains = allow({ matchLabels: { app: 'client' } });
    assert.equal(reach(chains, A2, A1), 'pass');
    assert.equal(reach(chains, R1, A1), 'pass', 'a peer on another node counts');
    assert.equal(reach(chains, B1, A1), 'reject', 'same labels, other namespace');
    chains = allow({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] });
    assert.equal(reach(chains, A2, A1), 'pass');
    assert.equal(reach(chains, '10.42.0.13', A1), 'reject');
    chains = allow({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }, { key: 'app', operator: 'Exists' }] });
    assert.equal(reach(chains, '10.42.0.13', A1), 'pass');
    assert.equal(reach(chains, '10.42.0.14', A1), 'pass', 'NotIn matches a pod without the key');
    assert.equal(reach(chains, A2, A1), 'reject');
    chains = allow({ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] });
    assert.equal(reach(chains, '10.42.0.14', A1), 'pass');
    assert.equal(reach(chains, A2, A1), 'reject');
  });

  it('a namespaceSelector alone admits every pod of the matching namespaces; with a podSelector, both must hold', () => {
    const pods = [...basePods(), pod('b', 'b2', '10.42.0.22', { app: 'other' })];
    let chains = chainsFor({ pods, namespaces: baseNamespaces(), policies: [policy('a', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'beta' } } }] }] })] });
    assert.equal(reach(chains, B1, A1), 'pass');
    assert.equal(reach(chains, '10.42.0.22', A1), 'pass');
    assert.equal(reach(chains, A2, A1), 'reject', 'the policy\'s own namespace is not labelled beta');
    chains = chainsFor({ pods, namespaces: baseNamespaces(), policies: [policy('a', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'b' } }, podSelector: { matchLabels: { app: 'client' } } }] }] })] });
    assert.equal(reach(chains, B1, A1), 'pass');
    assert.equal(reach(chains, '10.42.0.22', A1), 'reject', 'right namespace, wrong labels');
    assert.equal(reach(chains, A2, A1), 'reject', 'right labels, wrong namespace');
    chains = chainsFor({ pods, namespaces: baseNamespaces(), policies: [policy('a', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ namespaceSelector: {} }] }] })] });
    assert.equal(reach(chains, '10.42.0.22', A1), 'pass', 'an empty namespaceSelector is every namespace');
    assert.equal(reach(chains, EXT, A1), 'reject', 'but only pods');
  });

  it('ipBlock admits its range minus the exceptions, pod addresses included', () => {
    const chains = chainsFor({ pods: basePods(), policies: [policy('a', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ ipBlock: { cidr: '10.42.0.0/16', except: ['10.42.0.16/28', '10.42.1.0/24'] } }, { ipBlock: { cidr: '192.0.2.0/24' } }] }] })] });
    assert.equal(reach(chains, A2, A1), 'pass');
    assert.equal(reach(chains, B1, A1), 'reject', 'in 10.42.0.16/28');
    assert.equal(reach(chains, R1, A1), 'reject', 'in 10.42.1.0/24');
    assert.equal(reach(chains, '10.42.7.7', A1), 'pass');
    assert.equal(reach(chains, EXT, A1), 'pass');
    assert.equal(reach(chains, '198.51.100.1', A1), 'reject');
  });

  it('ports: protocol, number, endPort range, and named ports resolved on each target pod', () => {
    const pods = [
      pod('a', 'w1', '10.42.0.41', { app: 'web' }, { ports: [{ name: 'http', containerPort: 8080 }, { name: 'dns', containerPort: 5353, protocol: 'UDP' }] }),
      pod('a', 'w2', '10.42.0.42', { app: 'web' }, { ports: [{ name: 'http', containerPort: 9090 }] }),
      pod('a', 'c', '10.42.0.43', {}),
    ];
    const chains = chainsFor({ pods, policies: [policy('a', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: [{ port: 'http' }, { protocol: 'UDP', port: 'dns' }, { port: 7000, endPort: 7010 }, { protocol: 'UDP', port: 53 }] }] })] });
    const c = '10.42.0.43';
    assert.equal(reach(chains, c, '10.42.0.41', 8080), 'pass');
    assert.equal(reach(chains, c, '10.42.0.41', 9090), 'reject', 'w1\'s http is 8080');
    assert.equal(reach(chains, c, '10.42.0.42', 9090), 'pass');
    assert.equal(reach(chains, c, '10.42.0.42', 8080), 'reject', 'w2\'s http is 9090');
    assert.equal(reach(chains, c, '10.42.0.41', 5353, { protocol: 'udp' }), 'pass');
    assert.equal(reach(chains, c, '10.42.0.42', 5353, { protocol: 'udp' }), 'reject', 'w2 has no dns port');
    assert.equal(reach(chains, c, '10.42.0.41', 5353), 'reject', 'dns is UDP, not TCP');
    assert.equal(reach(chains, c, '10.42.0.42', 7000), 'pass');
    assert.equal(reach(chains, c, '10.42.0.42', 7010), 'pass');
    assert.equal(reach(chains, c, '10.42.0.42', 7011), 'reject');
    assert.equal(reach(chains, c, '10.42.0.42', 53, { protocol: 'udp' }), 'pass');
    assert.equal(reach(chains, c, '10.42.0.42', 53), 'reject', 'port 53 was allowed for UDP only');
  });

  it('policyTypes default: Ingress always, Egress only when egress rules are given', () => {
    const ingressOnly = policyInfo(policy('a', 'p', { podSelector: {} }));
    assert.deepEqual([...ingressOnly.types], ['ingress']);
    const both = policyInfo(policy('a', 'p', { podSelector: {}, egress: [{ to: [{ podSelector: {} }] }] }));
    assert.deepEqual([...both.types].sort(), ['egress', 'ingress']);
    const egressOnly = policyInfo(policy('a', 'p', { podSelector: {}, policyTypes: ['Egress'] }));
    assert.deepEqual([...egressOnly.types], ['egress']);
    // The defaulted pair, through the rules: a1 may only talk to pods of its namespace, and nobody reaches it.
    const chains = chainsFor({ pods: basePods(), policies: [policy('a', 'p', { podSelector: { matchLabels: { app: 'web' } }, egress: [{ to: [{ podSelector: {} }] }] })] });
    assert.equal(reach(chains, A1, A2), 'pass');
    assert.equal(reach(chains, A1, B1), 'reject');
    assert.equal(reach(chains, A2, A1), 'reject');
  });

  it('egress isolation: deny-all, then one peer and DNS over UDP to anywhere', () => {
    const deny = policy('a', 'deny-out', { podSelector: { matchLabels: { app: 'client' } }, policyTypes: ['Egress'] });
    let chains = chainsFor({ pods: basePods(), policies: [deny] });
    assert.equal(reach(chains, A2, A1), 'reject');
    assert.equal(reach(chains, A2, EXT), 'reject');
    assert.equal(reach(chains, A1, A2), 'pass', 'a2 is not isolated for ingress');
    assert.equal(reach(chains, A1, A2, 80, {}), 'pass');
    assert.equal(reach(chains, A2, A1, 80, { established: true }), 'pass', 'replies to a connection into a2');
    const allow = policy('a', 'allow-out', {
      podSelector: { matchLabels: { app: 'client' } }, policyTypes: ['Egress'],
      egress: [{ to: [{ podSelector: { matchLabels: { app: 'web' } } }] }, { ports: [{ protocol: 'UDP', port: 53 }] }],
    });
    chains = chainsFor({ pods: basePods(), policies: [deny, allow] });
    assert.equal(reach(chains, A2, A1), 'pass');
    assert.equal(reach(chains, A2, B1), 'reject');
    assert.equal(reach(chains, A2, EXT, 53, { protocol: 'udp' }), 'pass');
    assert.equal(reach(chains, A2, EXT, 53), 'reject');
    assert.equal(chains.has(podChainName({ namespace: 'a', name: 'r1' }, 'egress')), false, 'r1 is isolated by its own node');
  });

  it('egress named ports resolve on the destination pods', () => {
    const pods = [...basePods(), pod('b', 'b2', '10.42.0.22', {}, { ports: [{ name: 'http', containerPort: 8081 }] })];
    const chains = chainsFor({ pods, policies: [policy('a', 'p', { podSelector: { matchLabels: { tier: 'front' } }, policyTypes: ['Egress'], egress: [{ ports: [{ port: 'http' }] }] })] });
    assert.equal(reach(chains, A2, A1, 8080), 'pass');
    assert.equal(reach(chains, A2, '10.42.0.22', 8081), 'pass');
    assert.equal(reach(chains, A2, '10.42.0.22', 8080), 'reject');
    assert.equal(reach(chains, A2, B1, 8080), 'reject', 'b1 has no port named http');
  });

  it('policies add up, and an empty rule list allows nothing', () => {
    const chains = chainsFor({
      pods: basePods(), namespaces: baseNamespaces(),
      policies: [
        policy('a', 'none', { podSelector: {}, ingress: [] }),
        policy('a', 'from-b', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'beta' } } }] }] }),
        policy('a', 'from-ext', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ ipBlock: { cidr: `${EXT}/32` } }], ports: [{ port: 443 }] }] }),
      ],
    });
    assert.equal(reach(chains, B1, A1), 'pass');
    assert.equal(reach(chains, EXT, A1, 443), 'pass');
    assert.equal(reach(chains, EXT, A1, 80), 'reject');
    assert.equal(reach(chains, A2, A1), 'reject');
    assert.equal(reach(chains, B1, A2), 'reject', 'a2 is only under "none"');
    const jumps = chains.get(podChainName({ namespace: 'a', name: 'a1' }, 'ingress'))!.filter((l) => / -j TSK-POL-/.test(l));
    assert.equal(jumps.length, 3);
  });

  it('pods without an address, finished, or on the host network take no part', () => {
    const pods = [
      ...basePods(),
      pod('a', 'pending', undefined, { app: 'web' }),
      pod('a', 'done', '10.42.0.50', { app: 'web' }, { phase: 'Succeeded' }),
      pod('a', 'host', '10.0.0.5', { app: 'web' }, { hostNetwork: true }),
      pod('a', 'host-client', '10.0.0.6', { app: 'client' }, { hostNetwork: true }),
    ];
    const chains = chainsFor({ pods, policies: [policy('a', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }] }] })] });
    for (const name of ['pending', 'done', 'host']) assert.equal(chains.has(podChainName({ namespace: 'a', name }, 'ingress')), false, name);
    assert.equal(reach(chains, '10.0.0.6', A1), 'reject', 'a host-network pod is not a podSelector peer (it is a node)');
    assert.equal(reach(chains, A2, A1), 'pass');
  });

  it('chain names: one per isolated pod direction, one per policy direction', () => {
    const chains = chainsFor({ pods: basePods(), policies: [policy('a', 'p', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })] });
    const names = [...chains.keys()].sort();
    const expected = [TOP_CHAIN, policyChainName({ namespace: 'a', name: 'p' }, 'ingress'), policyChainName({ namespace: 'a', name: 'p' }, 'egress')];
    for (const p of ['a1', 'a2']) for (const d of ['ingress', 'egress'] as const) expected.push(podChainName({ namespace: 'a', name: p }, d));
    assert.deepEqual(names, expected.sort());
    for (const name of names) assert.ok(name.length <= 28, `${name} fits iptables' chain name limit`);
  });
});
