/**
 * The Backend contract suite: etcd v3 semantics as the Backend interface exposes them.
 * Every implementation runs it (sqlite, etcd), and it passes against a real etcd, which is
 * how we know the spec is right. Keys live under a random prefix, so a run can share a
 * store with others (set `shared`); waits are bounded loops, never timing assertions.
 *
 *   runBackendContract('sqlite', () => openSqliteBackend({ file }));
 */
import { after, before, describe } from 'node:test';
import type { Backend } from './types.ts';
import { createHarness, type ContractOptions, type ContractSection } from './contract/harness.ts';
import { closeContract } from './contract/close.ts';
import { compactionContract } from './contract/compaction.ts';
import { concurrencyContract } from './contract/concurrency.ts';
import { kvContract } from './contract/kv.ts';
import { leaseContract } from './contract/lease.ts';
import { scaleContract } from './contract/scale.ts';
import { txnContract } from './contract/txn.ts';
import { watchContract } from './contract/watch.ts';

export type { ContractOptions, ContractSection };

/**
 * Registers the contract under describe(`${name}: Backend contract`). `open` is called once
 * for the backend the sections share and again for tests that need their own (close()).
 */
export function runBackendContract(name: string, open: () => Promise<Backend>, options: ContractOptions = {}): void {
  const skip = new Set<ContractSection>(options.skip ?? []);
  // Compaction is global: on a shared store it would cut other users' history.
  if (options.shared) skip.add('compaction');
  const h = createHarness(open, options);
  const section = (s: ContractSection, register: () => void) => {
    if (!skip.has(s)) register();
  };
  describe(`${name}: Backend contract`, () => {
    before(() => h.start());
    after(() => h.stop());
    section('kv', () => kvContract(h));
    section('txn', () => txnContract(h));
    section('concurrency', () => concurrencyContract(h));
    section('watch', () => watchContract(h));
    section('lease', () => leaseContract(h, { expiry: !skip.has('lease-expiry') }));
    section('compaction', () => compactionContract(h));
    section('scale', () => scaleContract(h));
    section('close', () => closeContract(h));
  });
}
