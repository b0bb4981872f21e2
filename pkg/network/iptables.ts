/**
 * The one way tsk programs netfilter: the iptables tools, which work on both kernels' backends
 * (iptables-nft on nftables hosts, iptables-legacy elsewhere), so one rule language serves the
 * service proxy, the cluster masquerade and network policy. Whole chains are written with
 * iptables-restore --noflush (one atomic transaction per call, other chains untouched); the
 * jumps from the built-in chains into ours are checked and added one by one, because
 * iptables-restore cannot say "add unless present".
 *
 * Calls are serialized per table inside the process: two components rewriting the nat table
 * at once would otherwise race on the xtables lock (legacy) or on chain generations (nft).
 */
import { spawn } from 'node:child_process';
import { NetworkError } from './errors.ts';

export type Table = 'filter' | 'nat' | 'mangle' | 'raw';

export interface IptablesOptions {
  /** 6 for ip6tables (default 4). */
  family?: 4 | 6;
  /** Run inside this named network namespace (`ip netns exec`): tests never touch the host's rules. */
  netns?: string;
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(argv: string[], input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (err) => reject(new NetworkError('iptables-failed', `${argv[0]}: ${err.message}`, { cause: err })));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    if (input !== undefined) child.stdin!.end(input);
  });
}

export class Iptables {
  private readonly prefix: string[];
  private readonly family: 4 | 6;
  private readonly queues = new Map<Table, Promise<unknown>>();

  constructor(options: IptablesOptions = {}) {
    this.family = options.family ?? 4;
    this.prefix = options.netns ? ['ip', 'netns', 'exec', options.netns] : [];
  }

  private tool(name: 'iptables' | 'iptables-restore' | 'iptables-save'): string {
    return this.family === 6 ? name.replace('iptables', 'ip6tables') : name;
  }

  /** Runs `task` after every earlier call on `table` has settled. */
  private serialized<T>(table: Table, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(table) ?? Promise.resolve();
    const next = previous.then(task, task);
    this.queues.set(table, next.catch(() => undefined));
    return next;
  }

  private async exec(args: string[], input?: string): Promise<RunResult> {
    return run([...this.prefix, ...args], input);
  }

  /**
   * Applies `rules` (iptables-restore syntax for `table`, without the `*table` and COMMIT
   * lines) in one transaction. Chains declared with `:NAME - [0:0]` are created or flushed;
   * every other chain keeps its rules.
   */
  restore(table: Table, rules: string): Promise<void> {
    return this.serialized(table, async () => {
      const input = `*${table}\n${rules}${rules.endsWith('\n') || rules === '' ? '' : '\n'}COMMIT\n`;
      const result = await this.exec([this.tool('iptables-restore'), '--noflush', '--wait'], input);
      if (result.code !== 0) {
        throw new NetworkError('iptables-failed', `${this.tool('iptables-restore')} (${table}): ${firstLine(result.stderr) || `exit ${result.code}`}`);
      }
    });
  }

  /** The table as iptables-save prints it. */
  save(table: Table): Promise<string> {
    return this.serialized(table, async () => {
      const result = await this.exec([this.tool('iptables-save'), '-t', table]);
      if (result.code !== 0) throw new NetworkError('iptables-failed', `${this.tool('iptables-save')} -t ${table}: ${firstLine(result.stderr) || `exit ${result.code}`}`);
      return result.stdout;
    });
  }

  /** Names of the chains in `table` (built-in and user-defined). */
  async chains(table: Table): Promise<Set<string>> {
    return chainsOf(await this.save(table));
  }

  /**
   * Makes sure `chain` of `table` holds `rule` (argument list as for `iptables -A`); inserts it
   * first or appends it last when it is missing. Returns true when it had to add it.
   */
  ensureRule(table: Table, chain: string, rule: string[], position: 'first' | 'last' = 'first'): Promise<boolean> {
    return this.serialized(table, async () => {
      const check = await this.exec([this.tool('iptables'), '--wait', '-t', table, '-C', chain, ...rule]);
      if (check.code === 0) return false;
      const add = await this.exec([this.tool('iptables'), '--wait', '-t', table, position === 'first' ? '-I' : '-A', chain, ...(position === 'first' ? ['1'] : []), ...rule]);
      if (add.code !== 0) throw new NetworkError('iptables-failed', `${this.tool('iptables')} -t ${table} ${position === 'first' ? '-I' : '-A'} ${chain}: ${firstLine(add.stderr) || `exit ${add.code}`}`);
      return true;
    });
  }

  /** Removes every copy of `rule` from `chain`; a missing chain or rule is not an error. */
  deleteRule(table: Table, chain: string, rule: string[]): Promise<void> {
    return this.serialized(table, async () => {
      for (let i = 0; i < 16; i++) {
        const result = await this.exec([this.tool('iptables'), '--wait', '-t', table, '-D', chain, ...rule]);
        if (result.code !== 0) return;
      }
    });
  }

  /** Flushes and deletes the named user chains (those that exist); jumps to them must be gone first. */
  async deleteChains(table: Table, names: Iterable<string>): Promise<void> {
    const existing = await this.chains(table);
    const doomed = [...names].filter((name) => existing.has(name));
    if (doomed.length === 0) return;
    await this.restore(table, [...doomed.map((name) => `:${name} - [0:0]`), ...doomed.map((name) => `-X ${name}`)].join('\n'));
  }
}

/** Chain names declared in iptables-save output. */
export function chainsOf(saved: string): Set<string> {
  const names = new Set<string>();
  for (const line of saved.split('\n')) {
    if (line.startsWith(':')) names.add(line.slice(1).split(' ')[0]!);
  }
  return names;
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '')?.trim() ?? '';
}
