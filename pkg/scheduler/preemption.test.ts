import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../api/types.ts';
import type { Client } from '../client/client.ts';
import type { Informer } from '../client/informer.ts';
import { Algorithm } from './algorithm.ts';
import { cacheWith, info, node, pod } from './fixtures.ts';
import { fitErrorMessage } from './messages.ts';
import { Preemptor } from './preemption.ts';
import { PodStatusWriter } from './status.ts';
import type { SchedulerCache } from './cache.ts';
import type { Pod } from './types.ts';

function setup(cache: SchedulerCache, pdbs: KObject[] = []) {
  const deleted: string[] = [];
  const events: string[] = [];
  const client = {
    delete: async (path: string) => {
      deleted.push(path.split('/').pop()!);
      return {};
    },
    patch: async () => ({}),
  } as unknown as Client;
  const preemptor = new Preemptor(client, cache, { list: () => pdbs } as unknown as Informer<KObject>, { event: (_o, _t, reason, message) => events.push(`${reason}: ${message}`) }, new PodStatusWriter(client), 'default-scheduler');
  const attempt = (p: Pod) => {
    const out = new Algorithm(cache, { nominated: (i, n) => preemptor.nominatedResources(i, n.name) }).schedule(info(p));
    assert.equal(out.node, undefined, 'the pod must not fit before preemption');
    if (out.node !== undefined) throw new Error('unreachable');
    return { ...preemptor.preempt(info(p), out.failures, out.numAllNodes), failures: out.failures, n: out.numAllNodes };
  };
  return { preemptor, attempt, deleted, events, settle: () => new Promise((r) => setTimeout(r, 10)) };
}

describe('preemption', () => {
  it('evicts the fewest, lowest-priority pods that make room, and nominates the node', async () => {
    const cache = cacheWith([node('n1', { cpu: '2' }), node('n2', { cpu: '2' })], [
      pod('low-a', { nodeName: 'n1', cpu: '1', priority: 1 }),
      pod('low-b', { nodeName: 'n1', cpu: '1', priority: 1 }),
      pod('mid', { nodeName: 'n2', cpu: '1', priority: 5 }),
      pod('lowest', { nodeName: 'n2', cpu: '1', priority: 0 }),
    ]);
    const { attempt, deleted, events, settle, preemptor } = setup(cache);
    const result = attempt(pod('vip', { cpu: '1', priority: 10 }));
    assert.equal(result.node, 'n2');
    assert.equal(result.message, undefined);
    await settle();
    assert.deepEqual(deleted, ['lowest']);
    assert.match(events[0]!, /^Preempted: Preempted by pod uid-vip on node n2$/);
    // Until it is bound, its room on n2 is kept from pods of lower priority.
    assert.deepEqual(preemptor.nominatedResources(info(pod('other', { priority: 3 })), 'n2'), { pods: 1, cpu: 1000 });
    assert.equal(preemptor.nominatedResources(info(pod('boss', { priority: 20 })), 'n2'), undefined);
  });

  it('says why it cannot help, in kube-scheduler words', () => {
    const cache = cacheWith([node('small', { cpu: '1' }), node('tainted', { cpu: '8', taints: [{ key: 'k', effect: 'NoSchedule' }] }), node('full', { cpu: '2' })], [pod('peer', { nodeName: 'full', cpu: '2', priority: 10 })]);
    const { attempt, deleted } = setup(cache);
    const r = attempt(pod('vip', { cpu: '2', priority: 10 }));
    assert.equal(r.node, '', 'no nomination (any earlier one is cleared)');
    assert.equal(r.message, 'preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.');
    assert.equal(fitErrorMessage(r.n, r.failures.values(), r.message), '0/3 nodes are available: 1 node(s) had untolerated taint {k: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling..');
    assert.deepEqual(deleted, []);
  });

  it('preemptionPolicy Never does not preempt', () => {
    const cache = cacheWith([node('n', { cpu: '1' })], [pod('low', { nodeName: 'n', cpu: '1', priority: 0 })]);
    const { attempt, deleted } = setup(cache);
    const r = attempt(pod('polite', { cpu: '1', priority: 10, spec: { preemptionPolicy: 'Never' } }));
    assert.equal(r.message, 'preemption: not eligible due to preemptionPolicy=Never.');
    assert.deepEqual(deleted, []);
  });

  it('prefers victims whose disruption budget allows it', async () => {
    const cache = cacheWith([node('n1', { cpu: '1' }), node('n2', { cpu: '1' })], [
      pod('guarded', { nodeName: 'n1', cpu: '1', priority: 0, labels: { app: 'guarded' } }),
      pod('free', { nodeName: 'n2', cpu: '1', priority: 0, labels: { app: 'free' } }),
    ]);
    const pdb = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'b', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'guarded' } } }, status: { disruptionsAllowed: 0 } };
    const { attempt, deleted, settle } = setup(cache, [pdb]);
    assert.equal(attempt(pod('vip', { cpu: '1', priority: 10 })).node, 'n2');
    await settle();
    assert.deepEqual(deleted, ['free']);
  });
});
