/**
 * The server's side of cluster networking, through the real binary, `tsk simulate` and kubectl:
 * the kube-dns Service at --cluster-dns with each node's DNS endpoint (its bridge address), put
 * back when deleted; ServiceLB giving LoadBalancer Services the nodes' addresses, keeping a
 * port for the older Service, and `--disable servicelb` leaving them pending.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clusterPerFile, startCluster } from './lib/cluster.ts';
import { startSimulate, type SimulateProcess } from './lib/simulate.ts';
import { until } from './lib/until.ts';

const { cluster, ok } = clusterPerFile(['--node-monitor-grace-period', '10m']);
let sim: SimulateProcess | undefined;

/** Inside the first suite: a top-level before() races clusterPerFile's on Node 20. */
async function simulatedNodes(): Promise<void> {
  sim ??= await startSimulate(cluster(), { nodes: 2, namePrefix: 'net-' });
}
after(async () => {
  await sim?.stop();
});

const loadBalancer = (name: string, port: number) => JSON.stringify({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name },
  spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ port, targetPort: 8080 }] },
});

async function ingress(name: string): Promise<string[]> {
  const svc = JSON.parse(await ok(['get', 'service', name, '-o', 'json']));
  return (svc.status?.loadBalancer?.ingress ?? []).map((i: { ip: string }) => i.ip);
}

async function nodeIps(): Promise<string[]> {
  const nodes = JSON.parse(await ok(['get', 'nodes', '-o', 'json'])).items;
  return nodes.map((n: any) => n.status.addresses.find((a: any) => a.type === 'InternalIP').address).sort();
}

describe('cluster DNS Service', () => {
  before(simulatedNodes);
  it('kube-dns holds --cluster-dns, with each node\'s bridge address as its endpoint', async () => {
    const svc = JSON.parse(await until('kube-dns', async () => {
      const r = await cluster().kubectl(['get', 'service', 'kube-dns', '-n', 'kube-system', '-o', 'json']);
      return r.code === 0 ? r.stdout : undefined;
    }));
    assert.equal(svc.spec.clusterIP, '10.43.0.10');
    assert.equal(svc.spec.internalTrafficPolicy, 'Local');
    assert.deepEqual(svc.spec.ports.map((p: any) => `${p.name} ${p.protocol} ${p.port}`), ['dns UDP 53', 'dns-tcp TCP 53']);
    const nodes = JSON.parse(await ok(['get', 'nodes', '-o', 'json'])).items;
    const gateways = nodes.map((n: any) => `${n.metadata.name} ${n.spec.podCIDR.replace(/0\/24$/, '1')}`).sort();
    const listed = await until('every node listed', async () => {
      const slices = JSON.parse(await ok(['get', 'endpointslices', '-n', 'kube-system', '-l', 'kubernetes.io/service-name=kube-dns', '-o', 'json'])).items;
      const endpoints = slices.flatMap((s: any) => s.endpoints ?? []).filter((e: any) => e.conditions.ready);
      return endpoints.length === gateways.length ? endpoints.map((e: any) => `${e.nodeName} ${e.addresses[0]}`).sort() : undefined;
    });
    assert.deepEqual(listed, gateways);
    const described = await ok(['describe', 'service', 'kube-dns', '-n', 'kube-system']);
    assert.match(described, /IP:\s+10\.43\.0\.10/);
    assert.match(described, new RegExp(`Endpoints:\\s+${gateways[0]!.split(' ')[1]!.replace(/\./g, '\\.')}:53`));
  });

  it('is put back when deleted', async () => {
    const before = JSON.parse(await ok(['get', 'service', 'kube-dns', '-n', 'kube-system', '-o', 'json'])).metadata.uid;
    await ok(['delete', 'service', 'kube-dns', '-n', 'kube-system']);
    const after = await until('kube-dns again', async () => {
      const r = await cluster().kubectl(['get', 'service', 'kube-dns', '-n', 'kube-system', '-o', 'json']);
      return r.code === 0 ? JSON.parse(r.stdout) : undefined;
    });
    assert.notEqual(after.metadata.uid, before);
    assert.equal(after.spec.clusterIP, '10.43.0.10');
  });
});

describe('ServiceLB', () => {
  before(simulatedNodes);
  it('gives a LoadBalancer Service the nodes\' addresses, which kubectl shows as EXTERNAL-IP', async () => {
    const ips = await nodeIps();
    await ok(['create', '-f', '-'], loadBalancer('web', 80));
    assert.deepEqual(await until('ingress', async () => ((await ingress('web')).length === ips.length ? ingress('web') : undefined)), ips);
    assert.match(await ok(['get', 'service', 'web']), new RegExp(`web\\s+LoadBalancer\\s+\\S+\\s+${ips.join(',').replace(/\./g, '\\.')}\\s+80:\\d+/TCP`));
  });

  it('keeps a taken port for the older Service and hands it over when that one goes', async () => {
    await ok(['create', '-f', '-'], loadBalancer('late', 80));
    const events = await until('PortInUse event', async () => {
      const out = await ok(['get', 'events', '--field-selector', 'involvedObject.name=late', '-o', 'json']);
      return JSON.parse(out).items.find((e: any) => e.reason === 'PortInUse');
    });
    assert.match(events.message, /port TCP\/80 is already served on the nodes by LoadBalancer Service default\/web/);
    assert.deepEqual(await ingress('late'), []);
    assert.match(await ok(['get', 'service', 'late']), /late\s+LoadBalancer\s+\S+\s+<pending>/);
    await ok(['delete', 'service', 'web']);
    const ips = await nodeIps();
    assert.deepEqual(await until('late gets the port', async () => ((await ingress('late')).length === ips.length ? ingress('late') : undefined)), ips);
  });

  it('takes its addresses back from a Service that stops being a LoadBalancer', async () => {
    await ok(['patch', 'service', 'late', '-p', '{"spec":{"type":"ClusterIP"}}']);
    await until('no ingress', async () => ((await ingress('late')).length === 0 ? true : undefined));
  });
});

describe('--disable servicelb', () => {
  it('leaves LoadBalancer Services pending', async () => {
    const other = await startCluster(['--disable', 'servicelb']);
    try {
      const sim2 = await startSimulate(other, { nodes: 1, namePrefix: 'nolb-' });
      try {
        const create = await other.kubectl(['create', '-f', '-'], { input: loadBalancer('web', 80) });
        assert.equal(create.code, 0, create.stderr);
        // kube-dns appearing shows the controllers run; ServiceLB, had it run, would have acted by then too.
        await until('kube-dns endpoints', async () => {
          const r = await other.kubectl(['get', 'endpointslices', '-n', 'kube-system', '-l', 'kubernetes.io/service-name=kube-dns', '-o', 'json']);
          return r.code === 0 && JSON.parse(r.stdout).items.some((s: any) => (s.endpoints ?? []).some((e: any) => e.conditions.ready)) ? true : undefined;
        });
        const svc = JSON.parse((await other.kubectl(['get', 'service', 'web', '-o', 'json'])).stdout);
        assert.deepEqual(svc.status.loadBalancer, {});
      } finally {
        await sim2.stop();
      }
    } finally {
      await other.stop();
    }
  });
});
