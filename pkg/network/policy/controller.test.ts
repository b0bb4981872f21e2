import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeSource } from '../dns/testkit.ts';
import { NetworkError } from '../errors.ts';
import type { Table } from '../iptables.ts';
import { removeNetworkPolicyRules, startNetworkPolicy, type PolicyIptables } from './controller.ts';
import { ruleArgs } from './jumps.ts';
import { podChainName, policyChainName, TOP_CHAIN } from './rules.ts';
import { podFingerprint } from './model.ts';
import { namespace, pod, policy } from './testkit.ts';

const quoted = (rule: string[]) => rule.map((a) => (a.includes(' ') ? `"${a}"` : a)).join(' ');

/** Records what would reach iptables; keeps a model of the filter table's chains and built-in rules. */
class FakeIptables implements PolicyIptables {
  restores: string[] = [];
  chainSet = new Set(['INPUT', 'FORWARD', 'OUTPUT']);
  builtin = new Map<string, string[]>([['INPUT', []], ['FORWARD', []], ['OUTPUT', []]]);
  failNext = 0;

  async restore(_table: Table, rules: string): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new NetworkError('iptables-failed', 'iptables-restore (filter): injected');
    }
    this.restores.push(rules);
    for (const line of rules.split('\n')) {
      if (line.startsWith(':')) this.chainSet.add(line.slice(1).split(' ')[0]!);
      if (line.startsWith('-X ')) this.chainSet.delete(line.slice(3));
    }
  }
  async save(): Promise<string> {
    const rules = [...this.builtin].flatMap(([chain, list]) => list.map((r) => `-A ${chain} ${r}`));
    return `*filter\n${[...this.chainSet].map((c) => `:${c} - [0:0]`).join('\n')}\n${rules.join('\n')}\nCOMMIT\n`;
  }
  async chains(): Promise<Set<string>> {
    return new Set(this.chainSet);
  }
  async ensureRule(_table: Table, chain: string, rule: string[], position: 'first' | 'last' = 'first'): Promise<boolean> {
    const list = this.builtin.get(chain)!;
    if (list.includes(quoted(rule))) return false;
    if (position === 'first') list.unshift(quoted(rule));
    else list.push(quoted(rule));
    return true;
  }
  async deleteRule(_table: Table, chain: string, rule: string[]): Promise<void> {
    this.builtin.set(chain, this.builtin.get(chain)!.filter((r) => r !== quoted(rule)));
  }
}

function setup(iptables = new FakeIptables()) {
  const policies = new FakeSource();
  const pods = new FakeSource([pod('a', 'a1', '10.42.0.11', { app: 'web' }), pod('a', 'a2', '10.42.0.12', { app: 'client' })]);
  const namespaces = new FakeSource([namespace('a')]);
  const handle = startNetworkPolicy({ nodeName: 'node1', iptables, policies, pods, namespaces, coalesceMs: 20, bridgeName: 'tsk9' });
  return { iptables, policies, pods, namespaces, handle };
}

describe('startNetworkPolicy', () => {
  it('starts with a full sync that removes policy chains left by an earlier run, and jumps in from FORWARD and OUTPUT once', async () => {
    const iptables = new FakeIptables();
    iptables.chainSet.add('TSK-POL-OLD0000000000000').add('TSK-POD-FW-OLD00000000000').add('TSK-SERVICES');
    const { handle } = setup(iptables);
    await handle.synced;
    assert.equal(iptables.restores.length, 1);
    assert.match(iptables.restores[0]!, /^-X TSK-POL-OLD0000000000000$/m);
    assert.match(iptables.restores[0]!, /^-X TSK-POD-FW-OLD00000000000$/m);
    assert.doesNotMatch(iptables.restores[0]!, /TSK-SERVICES/, 'another component\'s chain');
    assert.ok(iptables.chainSet.has(TOP_CHAIN));
    const jump = (rule: string) => `${rule} -m comment --comment "tsk network policy" -j TSK-NWPLCY`;
    assert.deepEqual(iptables.builtin.get('FORWARD'), [jump('-i tsk9'), jump('! -i tsk9 -o tsk9')]);
    assert.deepEqual(iptables.builtin.get('OUTPUT'), [jump('-o tsk9')]);
    await handle.stop();
  });

  it('puts its jumps back on top when another rule got above them, and drops jumps naming another bridge', async () => {
    const iptables = new FakeIptables();
    iptables.builtin.get('FORWARD')!.push('-o tsk0 -m comment --comment "tsk network policy" -j TSK-NWPLCY', '-j DOCKER-USER');
    const { handle, policies } = setup(iptables);
    await handle.synced;
    iptables.builtin.get('FORWARD')!.unshift('-m mark --mark 0x4000/0x4000 -j ACCEPT');
    policies.set(policy('a', 'deny', { podSelector: {} }));
    await handle.settled();
    const forward = iptables.builtin.get('FORWARD')!;
    assert.match(forward[0]!, /^-i tsk9 .*-j TSK-NWPLCY$/);
    assert.match(forward[1]!, /^! -i tsk9 -o tsk9 .*-j TSK-NWPLCY$/);
    assert.deepEqual(forward.slice(2), ['-m mark --mark 0x4000/0x4000 -j ACCEPT', '-j DOCKER-USER']);
    await handle.stop();
  });

  it('turns a burst of events into one sync; pod updates that change nothing it reads are not events', async () => {
    const { iptables, policies, pods, handle } = setup();
    await handle.synced;
    policies.set(policy('a', 'deny', { podSelector: {} }));
    for (let i = 0; i < 50; i++) pods.set(pod('a', `p${i}`, `10.42.0.${100 + i}`, { app: 'web' }));
    await handle.settled();
    assert.equal(iptables.restores.length, 2);
    const written = iptables.restores[1]!;
    assert.match(written, new RegExp(`^:${podChainName({ namespace: 'a', name: 'p49' }, 'ingress')} `, 'm'));
    // A status heartbeat (same labels, address, phase, node and ports) is not worth a sync.
    const a1 = pods.list().find((p) => p.metadata.name === 'a1')!;
    assert.equal(podFingerprint({ ...a1, status: { ...a1.status, conditions: [{ type: 'Ready', status: 'True' }] } }), podFingerprint(a1));
    assert.notEqual(podFingerprint({ ...a1, metadata: { ...a1.metadata, labels: { app: 'changed' } } }), podFingerprint(a1));
    await handle.stop();
  });

  it('rewrites only the chains that changed and deletes those of a removed policy', async () => {
    const { iptables, policies, handle } = setup();
    await handle.synced;
    policies.set(policy('a', 'web', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }] }] }));
    policies.set(policy('a', 'client', { podSelector: { matchLabels: { app: 'client' } }, ingress: [{ ports: [{ port: 80 }] }] }));
    await handle.settled();
    assert.equal(iptables.restores.length, 2);
    const webChain = policyChainName({ namespace: 'a', name: 'web' }, 'ingress');
    const clientChain = policyChainName({ namespace: 'a', name: 'client' }, 'ingress');
    policies.set(policy('a', 'client', { podSelector: { matchLabels: { app: 'client' } }, ingress: [{ ports: [{ port: 443 }] }] }));
    await handle.settled();
    assert.equal(iptables.restores.length, 3);
    const change = iptables.restores[2]!;
    assert.match(change, new RegExp(`^:${clientChain} `, 'm'));
    assert.match(change, /--dport 443/);
    assert.doesNotMatch(change, new RegExp(webChain), 'the other policy\'s chain is left alone');
    assert.doesNotMatch(change, new RegExp(TOP_CHAIN), 'no pod became isolated or free');
    policies.remove(policy('a', 'client', {}));
    await handle.settled();
    assert.equal(iptables.restores.length, 4);
    assert.match(iptables.restores[3]!, new RegExp(`^-X ${clientChain}$`, 'm'));
    assert.match(iptables.restores[3]!, new RegExp(`^-X ${podChainName({ namespace: 'a', name: 'a2' }, 'ingress')}$`, 'm'));
    assert.equal(iptables.chainSet.has(clientChain), false);
    await handle.stop();
  });

  it('reports a failed first sync through synced and retries it in full', async () => {
    const iptables = new FakeIptables();
    iptables.failNext = 1;
    iptables.chainSet.add('TSK-POL-OLD0000000000000');
    const { handle } = setup(iptables);
    await assert.rejects(handle.synced, (err: unknown) => err instanceof NetworkError && err.code === 'iptables-failed');
    await handle.settled();
    assert.equal(iptables.restores.length, 1);
    assert.match(iptables.restores[0]!, /^-X TSK-POL-OLD0000000000000$/m);
    await handle.stop();
  });

  it('stops reacting to events once stopped', async () => {
    const { iptables, policies, handle } = setup();
    await handle.synced;
    await handle.stop();
    policies.set(policy('a', 'deny', { podSelector: {} }));
    // The next sync would have come after coalesceMs; a later event round trip shows none did.
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(iptables.restores.length, 1);
  });
});

describe('removeNetworkPolicyRules', () => {
  it('removes the jumps (whatever bridge they name) and every policy chain, and nothing else', async () => {
    const { iptables, policies, handle } = setup();
    policies.set(policy('a', 'deny', { podSelector: {} }));
    await handle.settled();
    assert.ok(iptables.chainSet.size > 5);
    await handle.stop();
    iptables.chainSet.add('TSK-SERVICES');
    iptables.builtin.get('FORWARD')!.push('-j TSK-SERVICES');
    iptables.builtin.get('OUTPUT')!.push('-o tsk0 -m comment --comment "tsk network policy" -j TSK-NWPLCY');
    await removeNetworkPolicyRules(iptables);
    assert.deepEqual(iptables.builtin.get('FORWARD'), ['-j TSK-SERVICES']);
    assert.deepEqual(iptables.builtin.get('OUTPUT'), []);
    assert.deepEqual([...iptables.chainSet].sort(), ['FORWARD', 'INPUT', 'OUTPUT', 'TSK-SERVICES']);
  });

  it('reads quoted arguments of saved rules as one', () => {
    assert.deepEqual(ruleArgs('-i tsk0 -m comment --comment "tsk network policy" -j TSK-NWPLCY'), ['-i', 'tsk0', '-m', 'comment', '--comment', 'tsk network policy', '-j', 'TSK-NWPLCY']);
  });
});
