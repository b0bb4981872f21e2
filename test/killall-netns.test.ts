/**
 * The network part of the tsk-killall.sh that install.sh writes, against the real kernel: two
 * network namespaces get the same node network (proxy, policy and masquerade chains with their
 * jumps, the VXLAN device, routes of protocol 116, the bridge) plus rules, a chain and a route
 * of someone else; removeNodeNetwork (TypeScript) cleans one, the script the other, under dash
 * and busybox ash. Both must leave exactly the same kernel state, with the foreign parts kept.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { removeNodeNetwork } from '../pkg/network/cleanup.ts';
import { Iptables } from '../pkg/network/iptables.ts';
import { ensureMasquerade } from '../pkg/network/masquerade.ts';
import { ensureJumpsFirst } from '../pkg/network/policy/jumps.ts';
import { chainName } from '../pkg/network/proxy/chains.ts';
import { ensureJumps } from '../pkg/network/proxy/jumps.ts';
import { cniMissing, Netns } from '../pkg/network/testkit.ts';
import { createInstallSandbox, SHELLS, type InstallSandbox } from './lib/install.ts';

const skip = process.getuid?.() !== 0 ? 'needs root' : false;

async function buildNodeNetwork(ns: Netns): Promise<void> {
  const sh = (args: string[]) => ns.exec(args[0]!, args.slice(1));
  sh(['ip', 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1']);
  sh(['ip', 'addr', 'add', '192.168.50.1/24', 'dev', 'eth0']);
  for (const dev of ['eth0', 'eth1']) sh(['ip', 'link', 'set', dev, 'up']);
  sh(['ip', 'link', 'add', 'tsk0', 'type', 'bridge']);
  sh(['ip', 'addr', 'add', '10.42.0.1/24', 'dev', 'tsk0']);
  sh(['ip', 'link', 'add', 'tsk.1', 'type', 'vxlan', 'id', '1', 'dstport', '8472', 'dev', 'eth0', 'nolearning']);
  sh(['ip', 'link', 'set', 'tsk.1', 'up']);
  // vxlan and host-gw routes of ours, and one of the administrator's.
  sh(['ip', 'route', 'add', '10.42.1.0/24', 'via', '10.42.1.0', 'dev', 'tsk.1', 'onlink', 'proto', '116']);
  sh(['ip', 'route', 'add', '10.42.2.0/24', 'via', '192.168.50.2', 'proto', '116']);
  sh(['ip', 'route', 'add', '10.99.0.0/24', 'via', '192.168.50.3', 'proto', 'static']);

  const iptables = new Iptables({ netns: ns.name });
  const svc = chainName('SVC', 'default/kubernetes:https', 'TCP');
  const sep = chainName('SEP', 'default/kubernetes:https', 'TCP', '192.168.50.1:6443');
  await iptables.restore('nat', [
    ':TSK-SERVICES - [0:0]', ':TSK-NODEPORTS - [0:0]', ':TSK-POSTROUTING - [0:0]', ':TSK-MARK-MASQ - [0:0]', `:${svc} - [0:0]`, `:${sep} - [0:0]`,
    `-A TSK-SERVICES -d 10.43.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" --dport 443 -j ${svc}`,
    `-A ${svc} -j ${sep}`,
    `-A ${sep} -p tcp -j DNAT --to-destination 192.168.50.1:6443`,
    '-A TSK-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
    '-A TSK-POSTROUTING -m mark --mark 0x4000/0x4000 -j MASQUERADE',
  ].join('\n'));
  await iptables.restore('filter', [':TSK-SERVICES - [0:0]', ':TSK-EXTERNAL-SERVICES - [0:0]', ':TSK-FORWARD - [0:0]'].join('\n'));
  await ensureJumps(iptables);
  await iptables.restore('filter', [':TSK-NWPLCY - [0:0]', ':TSK-POD-FW-ABCDEF - [0:0]', '-A TSK-NWPLCY -d 10.42.0.5/32 -j TSK-POD-FW-ABCDEF', '-A TSK-POD-FW-ABCDEF -j REJECT'].join('\n'));
  await ensureJumpsFirst(iptables, 'tsk0');
  await ensureMasquerade(iptables, { clusterCidr: '10.42.0.0/16', podCidr: '10.42.0.0/24' });
  // Someone else's: a chain with a jump into it, and rules of the built-in chains.
  await iptables.restore('filter', [':OTHER - [0:0]', '-A OTHER -s 10.1.0.0/16 -j ACCEPT', '-A FORWARD -i eth0 -j OTHER', '-A INPUT -p tcp --dport 22 -j ACCEPT'].join('\n'));
  await iptables.restore('nat', '-A POSTROUTING -s 172.17.0.0/16 ! -o eth0 -j MASQUERADE\n');
}

/** The kernel state both cleanups are compared on: rules (no counters), links, routes. */
function kernelState(ns: Netns): { nat: string[]; filter: string[]; links: string[]; routes: string[] } {
  const rules = (table: string) => ns.exec('iptables-save', ['-t', table]).split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.replace(/ \[\d+:\d+\]$/, ''));
  return {
    nat: rules('nat'),
    filter: rules('filter'),
    links: ns.exec('ip', ['-o', 'link', 'show']).split('\n').filter(Boolean).map((l) => l.split(':')[1]!.trim().split('@')[0]!).sort(),
    routes: ns.exec('ip', ['-4', 'route', 'show']).split('\n').filter(Boolean).sort(),
  };
}

describe('tsk-killall.sh removes the node network as removeNodeNetwork does', { skip: skip || cniMissing }, () => {
  const namespaces: Netns[] = [];
  let sb: InstallSandbox;
  let killall: string;
  let reference: ReturnType<typeof kernelState>;

  before(async () => {
    sb = createInstallSandbox({ init: 'systemd' });
    sb.fake('tsk', 'exit 0');
    const result = await sb.install(SHELLS.dash!, { INSTALL_TSK_SKIP_DOWNLOAD: 'true', INSTALL_TSK_BIN_DIR: sb.fakes, INSTALL_TSK_SKIP_ENABLE: 'true' });
    assert.equal(result.code, 0, result.stderr);
    killall = path.join(sb.fakes, 'tsk-killall.sh');
    const ns = Netns.create('tsk-killall');
    namespaces.push(ns);
    await buildNodeNetwork(ns);
    const built = kernelState(ns);
    assert.ok(built.nat.some((l) => l.includes('TSK-')) && built.links.includes('tsk.1'), 'the node network is in place');
    await removeNodeNetwork({ netns: ns.name });
    reference = kernelState(ns);
  });

  after(() => {
    for (const ns of namespaces) ns.remove();
    sb?.remove();
  });

  it('removeNodeNetwork keeps what is not tsk\'s (the reference is sound)', () => {
    assert.ok(!JSON.stringify(reference).includes('TSK-'), 'no TSK- chain or jump left');
    assert.ok(!reference.links.includes('tsk0') && !reference.links.includes('tsk.1'));
    assert.ok(!reference.routes.some((r) => r.includes('proto 116')));
    assert.ok(reference.filter.includes('-A FORWARD -i eth0 -j OTHER'));
    assert.ok(reference.nat.includes('-A POSTROUTING -s 172.17.0.0/16 ! -o eth0 -j MASQUERADE'));
    assert.ok(reference.routes.some((r) => r.startsWith('10.99.0.0/24 via 192.168.50.3 dev eth0 proto static')));
  });

  for (const [shellName, shell] of Object.entries(SHELLS)) {
    it(`under ${shellName}: the same kernel state, and a second run changes nothing`, async () => {
      const ns = Netns.create('tsk-killall');
      namespaces.push(ns);
      await buildNodeNetwork(ns);
      const run = () => sb.run(['ip', 'netns', 'exec', ns.name, ...shell, killall]);
      const first = await run();
      assert.equal(first.code, 0, first.stderr);
      assert.deepEqual(kernelState(ns), reference);
      const second = await run();
      assert.equal(second.code, 0, second.stderr);
      assert.equal(second.stderr, '');
      assert.deepEqual(kernelState(ns), reference);
    });
  }
});
