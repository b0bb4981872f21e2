import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NetworkError } from './errors.ts';
import { Iptables } from './iptables.ts';
import { ensureMasquerade, masqueradeRules, removeMasquerade } from './masquerade.ts';
import { cniMissing, Netns } from './testkit.ts';

const options = { clusterCidr: '10.42.0.0/16', podCidr: '10.42.3.0/24' };

describe('cluster masquerade rules', () => {
  it('keep pod-to-pod addresses, masquerade what leaves the cluster CIDR (not multicast), and the outside towards other nodes pods', () => {
    const { nat, filter } = masqueradeRules(options);
    const rules = nat.split('\n').filter((l) => l.startsWith('-A'));
    assert.deepEqual(rules.map((r) => r.replace(/ -m comment --comment "[^"]*"/, '')), [
      '-A TSK-MASQ -s 10.42.0.0/16 -d 10.42.0.0/16 -j RETURN',
      '-A TSK-MASQ -s 10.42.0.0/16 ! -d 224.0.0.0/4 -j MASQUERADE --random-fully',
      '-A TSK-MASQ ! -s 10.42.0.0/16 -d 10.42.3.0/24 -j RETURN',
      '-A TSK-MASQ ! -s 10.42.0.0/16 -d 10.42.0.0/16 -j MASQUERADE --random-fully',
    ]);
    assert.match(nat, /^:TSK-MASQ - \[0:0\]\n/);
    assert.equal(filter, ':TSK-MASQ-FORWARD - [0:0]\n-A TSK-MASQ-FORWARD -s 10.42.0.0/16 -j ACCEPT\n-A TSK-MASQ-FORWARD -d 10.42.0.0/16 -j ACCEPT\n');
  });

  it('are IPv4 only, and refuse what is not a range', () => {
    for (const clusterCidr of ['fd00:42::/56', '10.42.0.0', '10.42.0.0/40', 'x']) {
      assert.throws(() => masqueradeRules({ ...options, clusterCidr }), (err: unknown) => err instanceof NetworkError && err.code === 'bad-pod-cidr');
    }
  });
});

describe('cluster masquerade in a namespace', { skip: cniMissing }, () => {
  let ns: Netns;
  let iptables: Iptables;

  before(() => {
    ns = Netns.create('tsk-ovl-masq');
    iptables = new Iptables({ netns: ns.name });
  });

  after(() => ns.remove());

  const count = (text: string, pattern: RegExp) => text.split('\n').filter((l) => pattern.test(l)).length;

  it('is written once however often it is ensured, with the jumps in place', async () => {
    await ensureMasquerade(iptables, options);
    await ensureMasquerade(iptables, { ...options, podCidr: '10.42.4.0/24' });
    const nat = await iptables.save('nat');
    assert.equal(count(nat, /^-A POSTROUTING .*-j TSK-MASQ$/), 1);
    assert.equal(count(nat, /^-A TSK-MASQ /), 4);
    assert.match(nat, /! -s 10\.42\.0\.0\/16 -d 10\.42\.4\.0\/24 -j RETURN/, 'the chain is rewritten, not appended to');
    const filter = await iptables.save('filter');
    assert.equal(count(filter, /^-A FORWARD .*-j TSK-MASQ-FORWARD$/), 1);
    assert.equal(count(filter, /^-A TSK-MASQ-FORWARD /), 2);
  });

  it('goes first in POSTROUTING and last in FORWARD (after network policy)', async () => {
    await iptables.restore('nat', '-A POSTROUTING -j RETURN\n');
    await iptables.restore('filter', '-I FORWARD 1 -j RETURN\n');
    await removeMasquerade(iptables);
    await ensureMasquerade(iptables, options);
    const postrouting = (await iptables.save('nat')).split('\n').filter((l) => l.startsWith('-A POSTROUTING'));
    assert.match(postrouting[0]!, /-j TSK-MASQ$/);
    const forward = (await iptables.save('filter')).split('\n').filter((l) => l.startsWith('-A FORWARD'));
    assert.match(forward.at(-1)!, /-j TSK-MASQ-FORWARD$/);
  });

  it('is removed entirely, and removing again is no error', async () => {
    await removeMasquerade(iptables);
    await removeMasquerade(iptables);
    assert.doesNotMatch(await iptables.save('nat'), /TSK-MASQ/);
    assert.doesNotMatch(await iptables.save('filter'), /TSK-MASQ/);
  });
});
