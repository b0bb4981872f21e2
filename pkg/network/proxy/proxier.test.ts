import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Table } from '../iptables.ts';
import { endpointSlice, FakeSource, service } from '../dns/testkit.ts';
import { setLogSink } from '../../log/log.ts';
import { chainName } from './chains.ts';
import { JUMPS, removeServiceProxyRules, type ProxyIptables } from './jumps.ts';
import { startServiceProxy, type ServiceProxy } from './proxier.ts';

const BUILT_IN: Record<string, string[]> = { nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'], filter: ['INPUT', 'FORWARD', 'OUTPUT'] };

/**
 * iptables in memory, as strict as the real one where it matters here: a rule may only jump
 * to a chain that exists, and a chain may only be deleted when nothing jumps to it.
 */
class FakeIptables implements ProxyIptables {
  readonly tables = new Map<string, Map<string, string[]>>();
  readonly restores: { table: Table; text: string }[] = [];
  failures = 0;

  constructor() {
    for (const [table, chains] of Object.entries(BUILT_IN)) this.tables.set(table, new Map(chains.map((c) => [c, []])));
  }

  chains(table: Table): Map<string, string[]> {
    return this.tables.get(table)!;
  }

  async restore(table: Table, text: string): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('iptables-restore: resource temporarily unavailable');
    }
    this.restores.push({ table, text });
    const next = new Map([...this.chains(table)].map(([c, r]) => [c, [...r]]));
    for (const line of text.split('\n').filter(Boolean)) {
      const [op, chain, ...rest] = line.split(' ');
      if (op!.startsWith(':')) next.set(op!.slice(1), []);
      else if (op === '-A') {
        const target = rest[rest.indexOf('-j') + 1]!;
        if (target.startsWith('TSK-') && !next.has(target)) throw new Error(`no chain ${target}`);
        next.get(chain!)!.push(rest.join(' '));
      } else if (op === '-X') {
        for (const [c, r] of next) if (r.some((rule) => rule.endsWith(`-j ${chain}`))) throw new Error(`${chain} is still used by ${c}`);
        next.delete(chain!);
      }
    }
    this.tables.set(table, next);
  }

  async save(table: Table): Promise<string> {
    const chains = this.chains(table);
    return [`*${table}`, ...[...chains.keys()].map((c) => `:${c} - [0:0]`), ...[...chains].flatMap(([c, rules]) => rules.map((r) => `-A ${c} ${r}`)), 'COMMIT', ''].join('\n');
  }

  async ensureRule(table: Table, chain: string, rule: string[]): Promise<boolean> {
    const rules = this.chains(table).get(chain)!;
    if (rules.includes(rule.join(' '))) return false;
    rules.unshift(rule.join(' '));
    return true;
  }

  async deleteRule(table: Table, chain: string, rule: string[]): Promise<void> {
    const rules = this.chains(table).get(chain);
    if (rules) this.chains(table).set(chain, rules.filter((r) => r !== rule.join(' ')));
  }
}

const web = service('default', 'web', { clusterIP: '10.43.0.10', ports: [{ name: 'http', port: 80 }] });
const api = service('default', 'api', { clusterIP: '10.43.0.11', ports: [{ name: 'http', port: 80 }] });
const slice = (svc: string, ...ips: string[]) => endpointSlice('default', svc, ips.map((ip) => ({ addresses: [ip], conditions: { ready: true }, nodeName: 'node-a' })), [{ name: 'http', port: 8080 }]);
const SVC_WEB = chainName('SVC', 'default/web:http', 'TCP');
const sepWeb = (ip: string) => chainName('SEP', 'default/web:http', 'TCP', `${ip}:8080`);

describe('startServiceProxy with fake iptables', () => {
  let iptables: FakeIptables;
  let services: FakeSource;
  let slices: FakeSource;
  let proxy: ServiceProxy | undefined;
  let logged: string[];
  let restoreSink: (line: string) => void;

  beforeEach(() => {
    iptables = new FakeIptables();
    services = new FakeSource([web, api]);
    slices = new FakeSource([slice('web', '10.42.0.5', '10.42.0.6'), slice('api', '10.42.0.9')]);
    logged = [];
    restoreSink = setLogSink((line) => logged.push(line));
  });
  afterEach(async () => {
    await proxy?.stop();
    setLogSink(restoreSink);
  });

  const start = (extra = {}) => (proxy = startServiceProxy({ services, endpointSlices: slices, nodeName: 'node-a', clusterCidr: '10.42.0.0/16', iptables, debounceMs: 5, retryMs: 20, ...extra }));

  it('syncs fully at start: every chain, stale proxy chains of an earlier run deleted, other components\' chains kept, jumps added once', async () => {
    await iptables.restore('nat', ':TSK-SVC-AAAAAAAAAAAAAAAA - [0:0]\n:TSK-SEP-BBBBBBBBBBBBBBBB - [0:0]\n:TSK-POL-X - [0:0]\n:TSK-MASQ - [0:0]\n-A TSK-SVC-AAAAAAAAAAAAAAAA -j TSK-SEP-BBBBBBBBBBBBBBBB');
    const p = start();
    await p.synced;
    const nat = iptables.chains('nat');
    assert.equal(nat.has('TSK-SVC-AAAAAAAAAAAAAAAA') || nat.has('TSK-SEP-BBBBBBBBBBBBBBBB'), false);
    assert.ok(nat.has('TSK-POL-X') && nat.has('TSK-MASQ'));
    assert.ok(nat.has(SVC_WEB) && nat.has(sepWeb('10.42.0.5')) && nat.has(sepWeb('10.42.0.6')));
    for (const jump of JUMPS) assert.equal(iptables.chains(jump.table).get(jump.chain)!.filter((r) => r === jump.rule.join(' ')).length, 1, `${jump.chain} → ${jump.rule.at(-1)}`);
    assert.equal(p.lastSync()!.full, true);
    assert.ok(logged.some((l) => /service proxy synced/.test(l)));
  });

  it('coalesces a burst of events into one sync that writes only the chains that changed', async () => {
    const p = start();
    await p.synced;
    const before = iptables.restores.length;
    for (let i = 0; i < 50; i++) slices.set(slice('web', '10.42.0.5', '10.42.0.6', `10.42.1.${i}`));
    slices.set(slice('web', '10.42.0.5'));
    await p.flushed();
    const written = iptables.restores.slice(before);
    assert.equal(written.length, 1, 'one restore for the burst (nat only: filter did not change)');
    assert.equal(written[0]!.table, 'nat');
    const declared = written[0]!.text.split('\n').filter((l) => l.startsWith(':')).map((l) => l.slice(1, -8));
    assert.deepEqual(declared.sort(), [SVC_WEB, sepWeb('10.42.0.6')].sort());
    assert.match(written[0]!.text, new RegExp(`^-X ${sepWeb('10.42.0.6')}$`, 'm'));
    assert.equal(iptables.chains('nat').has(sepWeb('10.42.0.6')), false);
    assert.deepEqual(p.lastSync()!.changedChains, 2);
  });

  it('does not call iptables when an event changes nothing it programs', async () => {
    const p = start();
    await p.synced;
    const before = iptables.restores.length;
    services.set({ ...web, metadata: { ...web.metadata, resourceVersion: '2', labels: { app: 'web' } } });
    await p.flushed();
    assert.equal(iptables.restores.length, before);
    assert.equal(p.lastSync()!.changedChains, 0);
  });

  it('deletes a Service\'s chains when it goes, and rejects its cluster IP when its endpoints go', async () => {
    const p = start();
    await p.synced;
    slices.set(slice('api'));
    services.remove(web);
    await p.flushed();
    const nat = [...iptables.chains('nat').keys()].join(' ');
    assert.doesNotMatch(nat, new RegExp(`${SVC_WEB}|${sepWeb('10.42.0.5')}`));
    assert.equal(iptables.chains('nat').get('TSK-SERVICES')!.some((r) => r.includes('10.43.0.1')), false);
    assert.ok(iptables.chains('filter').get('TSK-SERVICES')!.some((r) => r.includes('-d 10.43.0.11/32') && r.endsWith('-j REJECT')));
  });

  it('retries a failed sync with a full one, logging one line per failure', async () => {
    iptables.failures = 2;
    const p = start();
    await p.synced;
    assert.equal(logged.filter((l) => /WARN .*service proxy sync failed/.test(l)).length, 2);
    assert.ok(logged.some((l) => /rules in place again after 2 failed/.test(l)));
    assert.equal(p.lastSync()!.full, true);
    // A failure after the start also falls back to a full sync.
    iptables.failures = 1;
    slices.set(slice('web', '10.42.0.5'));
    await p.flushed();
    assert.equal(p.lastSync()!.full, true);
    assert.equal(iptables.chains('nat').has(sepWeb('10.42.0.6')), false);
  });

  it('stops syncing on stop() and leaves the rules; synced rejects when stopped before the first sync', async () => {
    const p = start();
    await p.synced;
    await p.stop();
    const before = iptables.restores.length;
    slices.set(slice('web'));
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(iptables.restores.length, before);
    assert.ok(iptables.chains('nat').has(SVC_WEB));
    iptables.failures = 100;
    const early = start({ retryMs: 10_000 });
    await new Promise((r) => setTimeout(r, 30));
    await early.stop();
    await assert.rejects(early.synced, /stopped before syncing \(last error: iptables-restore/);
  });

  it('removeServiceProxyRules takes away the jumps and every proxy chain, nothing else', async () => {
    const p = start();
    await p.synced;
    await p.stop();
    await iptables.restore('nat', ':TSK-POL-X - [0:0]');
    await iptables.ensureRule('filter', 'FORWARD', ['-j', 'ACCEPT']);
    await removeServiceProxyRules(iptables);
    for (const table of ['nat', 'filter'] as const) {
      const chains = iptables.chains(table);
      assert.deepEqual([...chains.keys()].filter((c) => c.startsWith('TSK-') && c !== 'TSK-POL-X'), []);
      assert.equal([...chains.values()].flat().some((r) => r.includes('TSK-') && !r.includes('TSK-POL-X')), false);
    }
    assert.deepEqual(iptables.chains('filter').get('FORWARD'), ['-j ACCEPT']);
    assert.ok(iptables.chains('nat').has('TSK-POL-X'));
  });
});
