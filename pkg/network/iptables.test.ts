import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chainsOf, Iptables } from './iptables.ts';
import { NetworkError } from './errors.ts';
import { cniMissing, Netns } from './testkit.ts';

describe('chainsOf', () => {
  it('lists built-in and user chains from iptables-save output', () => {
    const saved = '*nat\n:PREROUTING ACCEPT [0:0]\n:TSK-SERVICES - [0:0]\n-A PREROUTING -j TSK-SERVICES\nCOMMIT\n';
    assert.deepEqual([...chainsOf(saved)], ['PREROUTING', 'TSK-SERVICES']);
  });
});

describe('Iptables in a namespace of the test', { skip: cniMissing }, () => {
  let netns: Netns;
  let iptables: Iptables;
  before(() => {
    netns = Netns.create('tsk-ipt');
    iptables = new Iptables({ netns: netns.name });
  });
  after(() => netns?.remove());

  it('writes whole chains, keeps the others, and adds a jump only once', async () => {
    await iptables.restore('nat', ':TSK-A - [0:0]\n:TSK-B - [0:0]\n-A TSK-A -j RETURN\n-A TSK-B -j RETURN\n');
    await iptables.restore('nat', ':TSK-A - [0:0]\n-A TSK-A -p tcp -j RETURN\n');
    assert.equal(await iptables.ensureRule('nat', 'PREROUTING', ['-j', 'TSK-A']), true);
    assert.equal(await iptables.ensureRule('nat', 'PREROUTING', ['-j', 'TSK-A']), false);
    const saved = await iptables.save('nat');
    assert.match(saved, /-A TSK-A -p tcp -j RETURN/);
    assert.doesNotMatch(saved, /-A TSK-A -j RETURN/);
    assert.match(saved, /-A TSK-B -j RETURN/);
    assert.equal(saved.match(/-A PREROUTING -j TSK-A/g)?.length, 1);
  });

  it('deletes jumps and chains, and says which tool refused bad rules', async () => {
    await iptables.deleteRule('nat', 'PREROUTING', ['-j', 'TSK-A']);
    await iptables.deleteChains('nat', ['TSK-A', 'TSK-B', 'TSK-NEVER']);
    const chains = await iptables.chains('nat');
    assert.equal(chains.has('TSK-A') || chains.has('TSK-B'), false);
    await assert.rejects(iptables.restore('nat', '-A NO-SUCH-CHAIN -j RETURN\n'), (err: unknown) => err instanceof NetworkError && err.code === 'iptables-failed' && /iptables-restore \(nat\)/.test(err.message));
  });
});
