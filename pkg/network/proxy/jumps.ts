/**
 * Where the built-in chains enter the proxy's chains (kube-proxy's jumps, TSK- names), and the
 * uninstall path that removes every trace. Filter jumps match only NEW connections: packets of
 * established flows never walk the REJECT lists.
 */
import type { Iptables, Table } from '../iptables.ts';
import { EXTERNAL_SERVICES, FORWARD, POSTROUTING, SERVICE_CHAIN, SERVICES, TOP_CHAINS } from './chains.ts';

/** What the proxy needs of pkg/network/iptables's runner (tests hand in fakes). */
export type ProxyIptables = Pick<Iptables, 'restore' | 'save' | 'ensureRule' | 'deleteRule'>;

export interface Jump {
  table: Table;
  chain: string;
  rule: string[];
}

const comment = (text: string) => ['-m', 'comment', '--comment', text];
const newOnly = ['-m', 'conntrack', '--ctstate', 'NEW'];

export const JUMPS: readonly Jump[] = [
  { table: 'nat', chain: 'PREROUTING', rule: [...comment('tsk service portals'), '-j', SERVICES] },
  { table: 'nat', chain: 'OUTPUT', rule: [...comment('tsk service portals'), '-j', SERVICES] },
  { table: 'nat', chain: 'POSTROUTING', rule: [...comment('tsk postrouting rules'), '-j', POSTROUTING] },
  { table: 'filter', chain: 'INPUT', rule: [...newOnly, ...comment('tsk externally-visible service portals'), '-j', EXTERNAL_SERVICES] },
  { table: 'filter', chain: 'FORWARD', rule: [...newOnly, ...comment('tsk service portals'), '-j', SERVICES] },
  { table: 'filter', chain: 'FORWARD', rule: [...newOnly, ...comment('tsk externally-visible service portals'), '-j', EXTERNAL_SERVICES] },
  { table: 'filter', chain: 'FORWARD', rule: [...comment('tsk forwarding rules'), '-j', FORWARD] },
  { table: 'filter', chain: 'OUTPUT', rule: [...newOnly, ...comment('tsk service portals'), '-j', SERVICES] },
];

/** Adds the jumps that are missing (first in their chain); the target chains must exist. */
export async function ensureJumps(iptables: ProxyIptables): Promise<void> {
  for (const jump of JUMPS) await iptables.ensureRule(jump.table, jump.chain, jump.rule, 'first');
}

/** The proxy's chains present in an iptables-save of `table`: fixed ones and per-service ones. */
export function proxyChainsIn(saved: string, table: 'nat' | 'filter'): string[] {
  const fixed = new Set<string>(TOP_CHAINS[table]);
  const out: string[] = [];
  for (const line of saved.split('\n')) {
    if (!line.startsWith(':')) continue;
    const name = line.slice(1).split(' ')[0]!;
    if (fixed.has(name) || SERVICE_CHAIN.test(name)) out.push(name);
  }
  return out;
}

/**
 * For uninstall: the jumps, then every proxy chain of nat and filter (flushed and deleted in
 * one transaction per table, so chains that jump to each other go together). Pods lose their
 * Services; nothing else is touched.
 */
export async function removeServiceProxyRules(iptables: ProxyIptables): Promise<void> {
  for (const jump of JUMPS) await iptables.deleteRule(jump.table, jump.chain, jump.rule);
  for (const table of ['nat', 'filter'] as const) {
    const chains = proxyChainsIn(await iptables.save(table), table);
    if (chains.length === 0) continue;
    await iptables.restore(table, [...chains.map((c) => `:${c} - [0:0]`), ...chains.map((c) => `-X ${c}`)].join('\n'));
  }
}
