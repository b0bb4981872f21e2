import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KObject } from '../api/types.ts';
import { runningStatus, runsToCompletion, succeededStatus } from './podstatus.ts';

const T0 = Date.parse('2026-01-02T03:04:05.678Z');

function pod(spec: Record<string, unknown>, status: Record<string, unknown> = {}): KObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', uid: 'u1' }, spec: { containers: [{ name: 'app', image: 'busybox' }], ...spec }, status };
}

const byType = (status: Record<string, unknown>) => Object.fromEntries((status.conditions as { type: string; status: string }[]).map((c) => [c.type, c.status]));

describe('simulated pod status', () => {
  test('running: every condition True, addresses, started and ready containers', () => {
    const s = runningStatus(pod({}), { podIP: '10.42.0.5', hostIP: '10.200.0.1' }, T0);
    assert.equal(s.phase, 'Running');
    assert.deepEqual(byType(s), { PodReadyToStartContainers: 'True', Initialized: 'True', Ready: 'True', ContainersReady: 'True', PodScheduled: 'True' });
    assert.equal(s.podIP, '10.42.0.5');
    assert.deepEqual(s.podIPs, [{ ip: '10.42.0.5' }]);
    assert.deepEqual(s.hostIPs, [{ ip: '10.200.0.1' }]);
    assert.equal(s.startTime, '2026-01-02T03:04:05Z');
    const [c] = s.containerStatuses as Record<string, unknown>[];
    assert.equal(c!.name, 'app');
    assert.equal(c!.ready, true);
    assert.equal(c!.started, true);
    assert.equal(c!.restartCount, 0);
    assert.match(c!.containerID as string, /^containerd:\/\/[0-9a-f]{64}$/);
    assert.deepEqual(c!.state, { running: { startedAt: '2026-01-02T03:04:05Z' } });
    assert.equal('initContainerStatuses' in s, false);
  });

  test('the scheduler\'s PodScheduled condition is kept; init containers completed, sidecars running', () => {
    const scheduled = { type: 'PodScheduled', status: 'True', lastTransitionTime: '2025-01-01T00:00:00Z' };
    const p = pod({ initContainers: [{ name: 'init', image: 'i' }, { name: 'side', image: 's', restartPolicy: 'Always' }] }, { conditions: [scheduled] });
    const s = runningStatus(p, { podIP: '1.2.3.4', hostIP: '5.6.7.8' }, T0);
    assert.deepEqual((s.conditions as unknown[]).at(-1), scheduled);
    const [init, side] = s.initContainerStatuses as Record<string, Record<string, Record<string, unknown>>>[];
    assert.equal(init!.state!.terminated!.reason, 'Completed');
    assert.ok(side!.state!.running);
  });

  test('succeeded: containers terminated with exit code 0, Ready False with reason PodCompleted', () => {
    const p = pod({ restartPolicy: 'Never' }, { startTime: '2026-01-02T03:04:05Z' });
    const s = succeededStatus(p, T0 + 1500);
    assert.equal(s.phase, 'Succeeded');
    assert.deepEqual(byType(s), { PodReadyToStartContainers: 'False', Initialized: 'True', Ready: 'False', ContainersReady: 'False', PodScheduled: 'True' });
    assert.equal((s.conditions as { type: string; reason?: string }[]).find((c) => c.type === 'Ready')!.reason, 'PodCompleted');
    const [c] = s.containerStatuses as Record<string, Record<string, Record<string, unknown>>>[];
    assert.deepEqual({ ...c!.state!.terminated, containerID: undefined }, { exitCode: 0, reason: 'Completed', startedAt: '2026-01-02T03:04:05Z', finishedAt: '2026-01-02T03:04:07Z', containerID: undefined });
    assert.equal(c!.ready as unknown, false);
  });

  test('only restartPolicy Always runs forever', () => {
    assert.equal(runsToCompletion(pod({})), false);
    assert.equal(runsToCompletion(pod({ restartPolicy: 'Always' })), false);
    assert.equal(runsToCompletion(pod({ restartPolicy: 'OnFailure' })), true);
    assert.equal(runsToCompletion(pod({ restartPolicy: 'Never' })), true);
  });
});
