/**
 * Priority admission through kubectl: the system classes exist from the start, a pod gets the
 * value of its PriorityClass (or the global default, or 0), and a pod naming a class that does
 * not exist, or setting a priority of its own, is refused as Kubernetes refuses it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clusterPerFile } from './lib/cluster.ts';

const { ok, fails } = clusterPerFile(['--disable-scheduler', '--disable-controller-manager']);

const pod = (name: string, extra: Record<string, unknown> = {}) => JSON.stringify({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...extra },
});

describe('priority admission', () => {
  it('creates the system priority classes', async () => {
    const out = await ok(['get', 'priorityclasses', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.value}{"\\n"}{end}']);
    assert.match(out, /^system-cluster-critical=2000000000$/m);
    assert.match(out, /^system-node-critical=2000001000$/m);
  });

  it('resolves the class, the global default, or 0', async () => {
    await ok(['create', '-f', '-'], pod('plain'));
    assert.equal(await ok(['get', 'pod', 'plain', '-o', 'jsonpath={.spec.priority} {.spec.preemptionPolicy}']), '0 PreemptLowerPriority');
    await ok(['create', 'priorityclass', 'high', '--value', '1000', '--preemption-policy', 'Never']);
    await ok(['create', '-f', '-'], pod('important', { priorityClassName: 'high' }));
    assert.equal(await ok(['get', 'pod', 'important', '-o', 'jsonpath={.spec.priority} {.spec.preemptionPolicy}']), '1000 Never');
    await ok(['create', 'priorityclass', 'everyone', '--value', '7', '--global-default']);
    await ok(['create', '-f', '-'], pod('defaulted'));
    assert.equal(await ok(['get', 'pod', 'defaulted', '-o', 'jsonpath={.spec.priorityClassName} {.spec.priority}']), 'everyone 7');
  });

  it('refuses unknown classes and hand-set priorities', async () => {
    const missing = await fails(['create', '-f', '-'], pod('lost', { priorityClassName: 'nope' }));
    assert.match(missing, /pods "lost" is forbidden: no PriorityClass with name nope was found/);
    const own = await fails(['create', '-f', '-'], pod('selfish', { priorityClassName: 'high', priority: 5 }));
    assert.match(own, /the integer value of priority \(5\) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name/);
  });
});
