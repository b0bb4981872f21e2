/**
 * The jumps from the built-in chains into TSK-NWPLCY. They must come first: policy chains
 * only REJECT or RETURN, so nothing is lost by going first, while a rule above them that
 * ACCEPTs (kube-proxy style "accept what is marked for masquerade", Docker's chains) would let
 * traffic past policy. kube-router moves its jumps back to the top the same way.
 */
import type { Iptables } from '../iptables.ts';
import { TOP_CHAIN } from './rules.ts';

const COMMENT = ['-m', 'comment', '--comment', 'tsk network policy'];

export interface Jump {
  chain: 'FORWARD' | 'OUTPUT';
  rule: string[];
}

/** Packets that come from or go to the bridge, each once; the node's own packets to its pods. */
export function jumps(bridge: string): Jump[] {
  return [
    { chain: 'FORWARD', rule: ['-i', bridge, ...COMMENT, '-j', TOP_CHAIN] },
    { chain: 'FORWARD', rule: ['!', '-i', bridge, '-o', bridge, ...COMMENT, '-j', TOP_CHAIN] },
    { chain: 'OUTPUT', rule: ['-o', bridge, ...COMMENT, '-j', TOP_CHAIN] },
  ];
}

/** Splits an iptables-save rule into arguments ("quoted comments" stay one). */
export function ruleArgs(line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!));
}

/** The rules of the built-in chains in iptables-save output, as arguments, in order. */
export function builtinRules(saved: string): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  for (const line of saved.split('\n')) {
    const m = /^-A (INPUT|FORWARD|OUTPUT) (.*\S)\s*$/.exec(line);
    if (!m) continue;
    if (!out.has(m[1]!)) out.set(m[1]!, []);
    out.get(m[1]!)!.push(ruleArgs(m[2]!));
  }
  return out;
}

const intoTop = (args: string[]) => args.at(-2) === '-j' && args.at(-1) === TOP_CHAIN;

/**
 * Makes each chain start with exactly its jumps, in order; jumps elsewhere in it (lower down,
 * or naming another bridge) go. Returns true when anything had to change.
 */
export async function ensureJumpsFirst(iptables: Pick<Iptables, 'save' | 'ensureRule' | 'deleteRule'>, bridge: string): Promise<boolean> {
  const saved = builtinRules(await iptables.save('filter'));
  let changed = false;
  for (const chain of ['FORWARD', 'OUTPUT'] as const) {
    const want = jumps(bridge).filter((j) => j.chain === chain).map((j) => j.rule.join('\0'));
    const have = saved.get(chain) ?? [];
    const ours = have.filter(intoTop);
    if (ours.length === want.length && want.every((w, i) => have[i]?.join('\0') === w)) continue;
    changed = true;
    for (const rule of ours) await iptables.deleteRule('filter', chain, rule);
    for (const rule of [...want].reverse()) await iptables.ensureRule('filter', chain, rule.split('\0'), 'first');
  }
  return changed;
}

/** Every jump into TSK-NWPLCY from a built-in chain goes (uninstall). */
export async function removeJumps(iptables: Pick<Iptables, 'save' | 'deleteRule'>): Promise<void> {
  for (const [chain, rules] of builtinRules(await iptables.save('filter'))) {
    for (const rule of rules.filter(intoTop)) await iptables.deleteRule('filter', chain, rule);
  }
}
