/**
 * Services, cluster DNS and ServiceLB end to end on one node (issue 6, "How it is checked"):
 * the real `dist/tsk server` with its agent on containerd and CNI, real kubectl, and busybox
 * inside the pods doing what users' programs do — resolve names through the resolv.conf the
 * kubelet wrote and fetch from Services. The node has the host's real address, so NodePorts
 * and ServiceLB are reached the way other machines would reach them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BUSYBOX_IMAGE, defaultRouteAddress, kubectlOk, startAgentCluster, type AgentCluster } from './lib/agent.ts';
import type { KubectlOptions } from './lib/cluster.ts';
import { until } from './lib/until.ts';

let c: AgentCluster;
let nodeIp: string;
before(async () => {
  nodeIp = defaultRouteAddress();
  c = await startAgentCluster({ nodeIp });
  await setUp().catch((err: Error) => {
    const pods = c.kubectl(['get', 'pods', '-o', 'wide']);
    return pods.then((p) => {
      throw new Error(`${err.message}\n${p.stdout}\nthe server's last log lines:\n${c.server().stderr().split('\n').slice(-40).join('\n')}`);
    });
  });
});
after(async () => {
  await c?.stop();
});

const ok = (args: string[], opts: KubectlOptions = {}) => kubectlOk(c, args, opts);

const apply = (obj: object) => ok(['apply', '-f', '-'], { input: JSON.stringify(obj) });

/**
 * Runs a shell script in the client pod; its stdout. (busybox-static's wget crashes on -T:
 * the scripts bound their fetches with busybox timeout instead.)
 */
const inClient = (script: string) => ok(['exec', 'client', '--', 'sh', '-c', script], { timeoutMs: 120_000 });

/** Pods answering HTTP on 8080 with their own name; ready only while /www/ready exists. */
const web = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [{
          name: 'httpd',
          image: BUSYBOX_IMAGE,
          command: ['sh', '-c', 'mkdir -p /www && hostname > /www/index.html && touch /www/ready && exec httpd -f -p 8080 -h /www'],
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: { exec: { command: ['test', '-f', '/www/ready'] }, periodSeconds: 1, failureThreshold: 1 },
        }],
      },
    },
  },
};

const service = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }], ...spec },
});

async function setUp(): Promise<void> {
  await apply(web);
  await apply(service('web', {}));
  await apply(service('web-headless', { clusterIP: 'None' }));
  await apply({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'client' },
    spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'sh', image: BUSYBOX_IMAGE, command: ['sleep', '3600'] }] },
  });
  // A busy machine starts four pods slowly: poll, rather than hold one kubectl open.
  await until('3 ready endpoints', async () => ((await readyEndpoints('web')).length === 3 ? true : undefined), 180_000);
  await until('the client pod to run', async () => ((await ok(['get', 'pod', 'client', '-o', 'jsonpath={.status.phase}'])).trim() === 'Running' ? true : undefined), 180_000);
}

async function readyEndpoints(svc: string): Promise<string[]> {
  const slices = JSON.parse(await ok(['get', 'endpointslices', '-l', `kubernetes.io/service-name=${svc}`, '-o', 'json'])).items;
  return slices.flatMap((s: any) => (s.endpoints ?? []).filter((e: any) => e.conditions.ready).map((e: any) => e.addresses[0])).sort();
}

async function webPods(): Promise<{ name: string; ip: string }[]> {
  const pods = JSON.parse(await ok(['get', 'pods', '-l', 'app=web', '-o', 'json'])).items;
  return pods.map((p: any) => ({ name: p.metadata.name, ip: p.status.podIP })).sort((a: any, b: any) => a.ip.localeCompare(b.ip));
}

/** The names that answered `count` fetches of `url` from the client pod. */
async function answering(url: string, count: number): Promise<Set<string>> {
  const out = await inClient(`for i in $(seq ${count}); do timeout 5 wget -q -O - ${url} || echo FAILED; done`);
  return new Set(out.split('\n').filter(Boolean));
}

describe('Services and cluster DNS on one node', () => {
  it('pods get the cluster DNS server, the search path and ndots:5 in resolv.conf', async () => {
    const conf = await inClient('cat /etc/resolv.conf');
    assert.match(conf, /nameserver 10\.43\.0\.10/);
    assert.match(conf, /search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local/);
    assert.match(conf, /options ndots:5/);
  });

  it('a ClusterIP reaches every ready backend, by short and by full name', async () => {
    const names = (await webPods()).map((p) => p.name).sort();
    const byShort = await answering('http://web', 45);
    assert.deepEqual([...byShort].sort(), names, 'every backend answers, none fails');
    const byFull = await answering('http://web.default.svc.cluster.local', 15);
    assert.equal(byFull.has('FAILED'), false);
    const resolved = await inClient('nslookup web.default.svc.cluster.local');
    const clusterIp = (await ok(['get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    assert.match(resolved, new RegExp(`Address: ${clusterIp.replace(/\./g, '\\.')}`));
  });

  it('a headless Service resolves to its pods, with SRV records for its named port', async () => {
    const ips = (await webPods()).map((p) => p.ip);
    const resolved = await inClient('nslookup web-headless.default.svc.cluster.local');
    for (const ip of ips) assert.match(resolved, new RegExp(`Address: ${ip.replace(/\./g, '\\.')}`));
    const srv = await inClient('nslookup -type=SRV _http._tcp.web-headless.default.svc.cluster.local');
    // busybox prints SRV as "service = priority weight port target".
    assert.equal(srv.match(/service = 0 \d+ 8080 10-\S+\.web-headless\.default\.svc\.cluster\.local/g)?.length, 3, srv);
    const ptr = await inClient(`nslookup ${ips[0]}`);
    assert.match(ptr, new RegExp(`${ips[0]!.replace(/\./g, '-')}\\.web-headless\\.default\\.svc\\.cluster\\.local`));
  });

  it('a pod reaches itself through its own Service (hairpin)', async () => {
    const [first] = await webPods();
    const out = await ok(['exec', first!.name, '--', 'sh', '-c', 'for i in $(seq 12); do timeout 5 wget -q -O - http://web || echo FAILED; done'], { timeoutMs: 120_000 });
    const names = new Set(out.split('\n').filter(Boolean));
    assert.equal(names.has('FAILED'), false, out);
    assert.ok(names.has(first!.name), `${first!.name} answered itself: ${[...names].join(', ')}`);
  });

  it('an endpoint that turns unready gets no more requests, and none fails', async () => {
    const [victim] = await webPods();
    await ok(['exec', victim!.name, '--', 'rm', '/www/ready']);
    await until('the endpoint to leave', async () => ((await readyEndpoints('web')).includes(victim!.ip) ? undefined : true));
    const names = await answering('http://web', 30);
    assert.equal(names.has('FAILED'), false);
    assert.equal(names.has(victim!.name), false, 'the unready pod got traffic');
    assert.equal(names.size, 2);
    await ok(['exec', victim!.name, '--', 'touch', '/www/ready']);
    await until('the endpoint to come back', async () => ((await readyEndpoints('web')).includes(victim!.ip) ? true : undefined));
  });

  it('the API server proxies to a Service and to a pod (kubectl get --raw …/proxy/)', async () => {
    const names = new Set<string>();
    for (let i = 0; i < 12; i++) names.add((await ok(['get', '--raw', '/api/v1/namespaces/default/services/web:http/proxy/'])).trim());
    const pods = (await webPods()).map((p) => p.name);
    assert.ok([...names].every((n) => pods.includes(n)) && names.size > 1, [...names].join(', '));
    const [first] = await webPods();
    assert.equal((await ok(['get', '--raw', `/api/v1/namespaces/default/pods/${first!.name}:8080/proxy/index.html`])).trim(), first!.name);
    const missing = await c.kubectl(['get', '--raw', `/api/v1/namespaces/default/pods/${first!.name}:8080/proxy/nothing-here`]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /NotFound|404/);
  });

  it('a NodePort answers on the node\'s address from the host', async () => {
    await apply(service('web-np', { type: 'NodePort' }));
    const port = (await ok(['get', 'service', 'web-np', '-o', 'jsonpath={.spec.ports[0].nodePort}'])).trim();
    const names = new Set<string>();
    await until('the NodePort to answer', async () => {
      const r = await fetch(`http://${nodeIp}:${port}/`).then((res) => res.text(), () => undefined);
      if (r) names.add(r.trim());
      return r ? true : undefined;
    });
    for (let i = 0; i < 20; i++) names.add((await (await fetch(`http://${nodeIp}:${port}/`)).text()).trim());
    assert.deepEqual([...names].sort(), (await webPods()).map((p) => p.name).sort());
  });

  it('a LoadBalancer Service gets the node\'s address and answers there on its own port', async () => {
    await apply({ ...service('web-lb', { type: 'LoadBalancer' }), spec: { ...service('web-lb', {}).spec, type: 'LoadBalancer', ports: [{ name: 'http', port: 18080, targetPort: 'http' }] } });
    await until('the ingress address', async () => ((await ok(['get', 'service', 'web-lb', '-o', 'jsonpath={.status.loadBalancer.ingress[*].ip}'])).trim() === nodeIp ? true : undefined));
    assert.match(await ok(['get', 'service', 'web-lb']), new RegExp(`web-lb\\s+LoadBalancer\\s+\\S+\\s+${nodeIp.replace(/\./g, '\\.')}\\s+18080:`));
    const body = await until('port 18080 to answer', async () => fetch(`http://${nodeIp}:18080/`).then((res) => res.text(), () => undefined));
    assert.ok((await webPods()).some((p) => p.name === body.trim()), body);
  });

  it('a deleted Service stops answering', async () => {
    const clusterIp = (await ok(['get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    await ok(['delete', 'service', 'web']);
    await until('the ClusterIP to stop answering', async () => {
      const out = await inClient(`timeout 2 wget -q -O - http://${clusterIp} >/dev/null 2>&1 && echo answered || echo refused`);
      return out.trim() === 'refused' ? true : undefined;
    });
    const lookup = await c.kubectl(['exec', 'client', '--', 'nslookup', 'web.default.svc.cluster.local']);
    assert.match(lookup.stdout + lookup.stderr, /NXDOMAIN|can't find/);
  });
});
