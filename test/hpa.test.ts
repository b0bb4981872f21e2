/**
 * HorizontalPodAutoscaler end to end: the real `dist/tsk server` with its embedded agent on
 * containerd, a Deployment of busybox pods that burn CPU (throttled by a 100m limit, 5× their
 * 20m request), and an autoscaling/v2 HPA at 50 % of the request. The controller reads
 * metrics.k8s.io through the API, scales the Deployment through its scale subresource up to
 * maxReplicas, and — the load stopped and a zero scale-down window set in spec.behavior —
 * back down to minReplicas. kubectl reads the HPA's table, describe and events.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BUSYBOX_IMAGE, kubectlOk, startAgentCluster, type AgentCluster } from './lib/agent.ts';
import { until } from './lib/until.ts';

let c: AgentCluster;
before(async () => {
  c = await startAgentCluster();
});
after(async () => {
  await c?.stop();
});

const ok = (args: string[], input?: string) => kubectlOk(c, args, input === undefined ? {} : { input });

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'burn' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'burn' } },
    template: {
      metadata: { labels: { app: 'burn' } },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'burn',
            image: BUSYBOX_IMAGE,
            // Busy until told to stop (a file the test creates with kubectl exec), then idle.
            command: ['sh', '-c', 'while [ ! -f /tmp/stop ]; do :; done; exec sleep 3600'],
            resources: { requests: { cpu: '20m' }, limits: { cpu: '100m' } },
          },
        ],
      },
    },
  },
};

const hpa = {
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'burn' },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'burn' },
    minReplicas: 1,
    maxReplicas: 3,
    metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
    // Kubernetes waits 300 s before scaling down; the test has no reason to.
    behavior: { scaleDown: { stabilizationWindowSeconds: 0 } },
  },
};

async function specReplicas(): Promise<number> {
  return Number(await ok(['get', 'deployment', 'burn', '-o', 'jsonpath={.spec.replicas}']));
}

async function rescaleEvents(): Promise<string[]> {
  const out = await ok(['get', 'events', '--field-selector', 'involvedObject.kind=HorizontalPodAutoscaler,involvedObject.name=burn,reason=SuccessfulRescale', '--sort-by=.firstTimestamp', '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}']);
  return out.split('\n').filter(Boolean);
}

describe('HorizontalPodAutoscaler', () => {
  it('scales a CPU-bound Deployment up to maxReplicas, and down to minReplicas once the load stops', async () => {
    const started = Date.now();
    await ok(['apply', '-f', '-'], JSON.stringify(deployment));
    await until('the first pod to run', async () => ((await ok(['get', 'pods', '-l', 'app=burn', '-o', 'jsonpath={.items[*].status.phase}'])) === 'Running' ? true : undefined), 90_000);
    assert.equal(await specReplicas(), 1);
    await ok(['apply', '-f', '-'], JSON.stringify(hpa));

    await until('the HPA to scale the Deployment to 3', async () => ((await specReplicas()) === 3 ? true : undefined), 120_000);
    assert.deepEqual(await rescaleEvents(), ['New size: 3; reason: cpu resource utilization (percentage of request) above target']);
    const status = JSON.parse(await ok(['get', 'hpa', 'burn', '-o', 'json'])).status;
    assert.equal(status.desiredReplicas, 3);
    assert.match(status.lastScaleTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // Throttled at 100m against a 20m request: far above the 50 % target.
    assert.ok(status.currentMetrics[0].resource.current.averageUtilization > 100, JSON.stringify(status.currentMetrics));
    const conditions = Object.fromEntries(status.conditions.map((x: { type: string; reason: string }) => [x.type, x.reason]));
    assert.deepEqual(conditions, { AbleToScale: 'SucceededRescale', ScalingActive: 'ValidMetricFound', ScalingLimited: 'TooManyReplicas' });

    assert.match(await ok(['get', 'hpa', 'burn']), /^burn\s+Deployment\/burn\s+cpu: \d+%\/50%\s+1\s+3\s+[13]\s+\S+\s*$/m);
    const described = await ok(['describe', 'hpa', 'burn']);
    assert.match(described, /resource cpu on pods\s+\(as a percentage of request\):\s+\d+% \(\d+m\) \/ 50%/);
    assert.match(described, /ScalingLimited\s+True\s+TooManyReplicas\s+the desired replica count is more than the maximum replica count/);
    assert.match(described, /Normal\s+SuccessfulRescale\s+\S+\s+horizontal-pod-autoscaler\s+New size: 3; reason: cpu resource utilization \(percentage of request\) above target/);

    // Stop the load in every pod once all three run (a pod started later would burn again).
    const names = await until('three pods to run', async () => {
      const out = await ok(['get', 'pods', '-l', 'app=burn', '-o', 'jsonpath={range .items[?(@.status.phase=="Running")]}{.metadata.name}{"\\n"}{end}']);
      const running = out.split('\n').filter(Boolean);
      return running.length === 3 ? running : undefined;
    }, 90_000);
    for (const name of names) await ok(['exec', name, '--', 'touch', '/tmp/stop']);

    await until('the HPA to scale the Deployment back to 1', async () => ((await specReplicas()) === 1 ? true : undefined), 120_000);
    assert.deepEqual(await rescaleEvents(), ['New size: 3; reason: cpu resource utilization (percentage of request) above target', 'New size: 1; reason: All metrics below target']);
    console.log(`# scale up and down took ${Math.round((Date.now() - started) / 1000)} s`);
  });
});
