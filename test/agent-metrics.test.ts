/**
 * `kubectl top` end to end: the real `dist/tsk server` with its embedded agent on containerd,
 * a busybox pod of two containers, and kubectl 1.33 and 1.29 reading metrics.k8s.io, which
 * the API server computes from the kubelet's /metrics/resource. Also what metrics-server answers
 * for a pod without figures, who may read them (RBAC through the aggregated view role), a
 * simulated node (no kubelet to ask), and a server started with --disable metrics-server,
 * which serves no metrics API at all.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BUSYBOX_IMAGE, kubectlOk, NODE_NAME, startAgentCluster, type AgentCluster } from './lib/agent.ts';
import { startCluster, type KubectlOptions } from './lib/cluster.ts';
import { startSimulate } from './lib/simulate.ts';
import { until } from './lib/until.ts';

let c: AgentCluster;
before(async () => {
  c = await startAgentCluster();
});
after(async () => {
  await c?.stop();
});

const ok = (args: string[], opts: KubectlOptions = {}) => kubectlOk(c, args, opts);

/** Retries `kubectl args` until it succeeds: the first figures need two scrapes of a running container. */
function untilOk(args: string[], opts: KubectlOptions = {}): Promise<string> {
  return until(`kubectl ${args.join(' ')} to succeed`, async () => {
    const r = await c.kubectl(args, opts);
    return r.code === 0 ? r.stdout : undefined;
  }, 90_000);
}

const container = (name: string, script: string) => ({ name, image: BUSYBOX_IMAGE, command: ['sh', '-c', script] });

describe('kubectl top', () => {
  before(async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'busy', labels: { app: 'busy' } },
      spec: {
        terminationGracePeriodSeconds: 1,
        // A little CPU and a few pages of memory in each container.
        containers: [container('worker', 'while true; do echo tick > /dev/null; sleep 0.2; done'), container('idle', 'sleep 3600')],
      },
    };
    await ok(['apply', '-f', '-'], { input: JSON.stringify(pod) });
    await until('pod busy to run', async () => ((await ok(['get', 'pod', 'busy', '-o', 'jsonpath={.status.phase}'])) === 'Running' ? true : undefined), 90_000);
  });

  it('the kubelet serves /metrics/resource with the pod containers and the node', async () => {
    const text = await untilOk(['get', '--raw', `/api/v1/nodes/${NODE_NAME}/proxy/metrics/resource`]);
    assert.match(text, /^node_cpu_usage_seconds_total [0-9.e+]+ \d{13}$/m);
    assert.match(text, /^node_memory_working_set_bytes [0-9.e+]+ \d{13}$/m);
    for (const name of ['worker', 'idle']) {
      const labels = `\\{container="${name}",namespace="default",pod="busy"\\}`;
      assert.match(text, new RegExp(`^container_cpu_usage_seconds_total${labels} [0-9.e+-]+ \\d{13}$`, 'm'));
      assert.match(text, new RegExp(`^container_memory_working_set_bytes${labels} [0-9.e+]+ \\d{13}$`, 'm'));
      assert.match(text, new RegExp(`^container_start_time_seconds${labels} [0-9.e+]+ \\d{13}$`, 'm'));
    }
    assert.match(text, /^pod_cpu_usage_seconds_total\{namespace="default",pod="busy"\} [0-9.e+-]+ \d{13}$/m);
    assert.match(text, /^pod_memory_working_set_bytes\{namespace="default",pod="busy"\} [0-9.e+]+ \d{13}$/m);
    assert.match(text, /^resource_scrape_error 0$/m);
  });

  for (const minor of [33, 29]) {
    it(`kubectl 1.${minor} top node prints the node's CPU and memory`, async () => {
      const out = await untilOk(['top', 'node'], { minor });
      const [header, ...rows] = out.trim().split('\n');
      // kubectl 1.29 heads the percentages CPU% and MEMORY%, 1.33 CPU(%) and MEMORY(%).
      assert.match(header!, /^NAME\s+CPU\(cores\)\s+CPU(\(%\)|%)\s+MEMORY\(bytes\)\s+MEMORY(\(%\)|%)\s*$/);
      assert.equal(rows.length, 1, out);
      assert.match(rows[0]!, new RegExp(`^${NODE_NAME}\\s+\\d+m\\s+\\d+%\\s+\\d+Mi\\s+\\d+%\\s*$`));
    });

    it(`kubectl 1.${minor} top pod prints the pod's CPU and memory, per container too`, async () => {
      const out = await untilOk(['top', 'pod', 'busy'], { minor });
      assert.match(out, /^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*\n/);
      assert.match(out, /^busy\s+\d+m\s+\d+Mi\s*$/m);
      const all = await ok(['top', 'pod', '-l', 'app=busy', '--containers'], { minor });
      assert.match(all, /^busy\s+worker\s+\d+m\s+\d+Mi\s*$/m);
      assert.match(all, /^busy\s+idle\s+\d+m\s+\d+Mi\s*$/m);
    });
  }

  it('serves the objects and tables metrics-server serves', async () => {
    const pm = JSON.parse(await untilOk(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/busy']));
    assert.equal(pm.kind, 'PodMetrics');
    assert.deepEqual(pm.metadata.labels, { app: 'busy' });
    assert.match(pm.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(pm.window, /^[\d.]+m?s$|^\d+m[\d.]+s$/);
    assert.deepEqual(pm.containers.map((x: { name: string }) => x.name).sort(), ['idle', 'worker']);
    for (const x of pm.containers) assert.match(`${x.usage.cpu} ${x.usage.memory}`, /^\d+[num]? \d+(Ki|Mi|k)?$/);
    const nm = JSON.parse(await ok(['get', '--raw', `/apis/metrics.k8s.io/v1beta1/nodes/${NODE_NAME}`]));
    assert.equal(nm.kind, 'NodeMetrics');
    assert.ok(nm.usage.cpu && nm.usage.memory, JSON.stringify(nm));
    const table = await ok(['get', 'podmetrics']);
    assert.match(await ok(['get', 'nodemetrics']), new RegExp(`^NAME\\s+CPU\\s+MEMORY\\s+WINDOW\\s*\\n${NODE_NAME}\\s`));
    assert.match(table, /^NAME\s+CPU\s+MEMORY\s+WINDOW\s*\nbusy\s+\S+\s+\S+\s+\S+s\s*$/);
    assert.match(await ok(['explain', 'podmetrics.containers']), /FIELD: containers <\[\]ContainerMetrics>/);
    const resources = await ok(['api-resources', '--api-group=metrics.k8s.io', '--no-headers']);
    assert.match(resources, /^nodes\s+metrics\.k8s\.io\/v1beta1\s+false\s+NodeMetrics$/m);
    assert.match(resources, /^pods\s+metrics\.k8s\.io\/v1beta1\s+true\s+PodMetrics$/m);
  });

  it('a pod without figures is NotFound as metrics-server words it; a missing pod too', async () => {
    const waiting = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'waiting' }, spec: { containers: [{ name: 'c', image: 'tsk.local/not-there:1' }] } };
    await ok(['apply', '-f', '-'], { input: JSON.stringify(waiting) });
    for (const minor of [33, 29]) {
      const r = await c.kubectl(['top', 'pod', 'waiting'], { minor });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /NotFound.*podmetrics\.metrics\.k8s\.io "default\/waiting" not found/);
    }
    const missing = await c.kubectl(['top', 'pod', 'nosuch']);
    assert.match(missing.stderr, /pods "nosuch" not found/);
    const raw = await c.kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes/nosuch']);
    assert.match(raw.stderr, /node "nosuch" not found/);
  });

  it('only those RBAC lets read metrics.k8s.io get figures', async () => {
    const pods = await c.kubectl(['top', 'pod', '--as=bob']);
    assert.notEqual(pods.code, 0);
    assert.match(pods.stderr, /pods\.metrics\.k8s\.io is forbidden: User "bob" cannot list resource "pods" in API group "metrics\.k8s\.io" in the namespace "default"/);
    const nodes = await c.kubectl(['top', 'node', '--as=bob']);
    assert.match(nodes.stderr, /nodes\.metrics\.k8s\.io is forbidden: User "bob" cannot list resource "nodes" in API group "metrics\.k8s\.io" at the cluster scope/);
    // view aggregates system:aggregated-metrics-reader, as with metrics-server's manifests.
    await ok(['create', 'rolebinding', 'bob-views', '--clusterrole=view', '--user=bob']);
    assert.match(await untilOk(['top', 'pod', 'busy', '--as=bob']), /^busy\s+\d+m\s+\d+Mi\s*$/m);
    assert.equal((await ok(['auth', 'can-i', 'list', 'pods.metrics.k8s.io', '--as=bob'])).trim(), 'yes');
    // The binding is namespaced: node figures, which are cluster-scoped, stay closed.
    assert.match((await c.kubectl(['top', 'node', '--as=bob'])).stderr, /nodes\.metrics\.k8s\.io is forbidden/);
  });
});

describe('without kubelets to ask', () => {
  it('a simulated node has no figures; watch is not served', async () => {
    const cluster = await startCluster();
    const sim = await startSimulate(cluster, { nodes: 1 });
    try {
      const top = await cluster.kubectl(['top', 'node']);
      assert.notEqual(top.code, 0);
      assert.match(top.stderr, /metrics not available yet/);
      const raw = await cluster.kubectl(['get', '--raw', `/apis/metrics.k8s.io/v1beta1/nodes/${sim.nodeNames[0]}`]);
      assert.match(raw.stderr, new RegExp(`nodemetrics\\.metrics\\.k8s\\.io "${sim.nodeNames[0]}" not found`));
      const watch = await cluster.kubectl(['get', 'podmetrics', '--watch', '--request-timeout=5s']);
      assert.match(watch.stderr, /MethodNotAllowed/);
    } finally {
      await sim.kill();
      await cluster.stop();
    }
  });

  it('--disable metrics-server serves no metrics API, so kubectl top says it is not available', async () => {
    const plain = await startCluster(['--disable', 'metrics-server']);
    try {
      const resources = await plain.kubectl(['api-resources', '--api-group=metrics.k8s.io', '--no-headers']);
      assert.equal(resources.stdout.trim(), '');
      const top = await plain.kubectl(['top', 'node']);
      assert.notEqual(top.code, 0);
      assert.match(top.stderr, /Metrics API not available/);
    } finally {
      await plain.stop();
    }
  });
});
