/**
 * EndpointSlices and Endpoints through the real binary, `tsk simulate` and kubectl: a Service
 * selecting pods on simulated nodes lists their pod IPs with the named target port resolved; a
 * pod whose status turns not-ready moves to ready=false / notReadyAddresses; a deleted pod
 * leaves both; the API server's own `kubernetes` endpoints stay as it wrote them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clusterPerFile } from './lib/cluster.ts';
import { until } from './lib/until.ts';
import { startSimulate, type SimulateProcess } from './lib/simulate.ts';

// A long grace period: the node without a kubelet below must not turn Unknown mid-test.
const { cluster, ok } = clusterPerFile(['--node-monitor-grace-period', '10m']);
const STATIC_IP = '10.42.250.5';
let sim: SimulateProcess | undefined;

const pod = (name: string, node: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'web' } },
  spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }] }] },
});

const service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', labels: { tier: 'front' } },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
};

interface Slice {
  metadata: { name: string; labels: Record<string, string>; ownerReferences: { kind: string; name: string; controller: boolean }[] };
  addressType: string;
  ports: { name: string; port: number; protocol: string }[];
  endpoints: { addresses: string[]; conditions: { ready: boolean; serving: boolean; terminating: boolean }; nodeName: string; targetRef: { kind: string; name: string } }[] | null;
}

async function slices(): Promise<Slice[]> {
  return JSON.parse(await ok(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'json'])).items;
}

async function podIps(): Promise<Record<string, string>> {
  const out = await ok(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.podIP}{"\\n"}{end}']);
  return Object.fromEntries(out.split('\n').filter(Boolean).map((l) => l.split('=') as [string, string]));
}

describe('endpoints of a service', () => {
  let ips: Record<string, string> = {};
  // Inside the suite: a top-level before() races clusterPerFile's on Node 20.
  before(async () => {
    sim = await startSimulate(cluster(), { nodes: 2, namePrefix: 'ep-' });
  });
  after(async () => {
    await sim?.kill();
  });

  it('lists the pods of simulated nodes in an EndpointSlice and in Endpoints', async () => {
    await ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [service, pod('web-0', 'ep-0'), pod('web-1', 'ep-1')] }));
    ips = await until('pod IPs', async () => {
      const got = await podIps();
      return got['web-0'] && got['web-1'] ? got : undefined;
    });
    const [slice] = await until('a slice with both pods', async () => {
      const s = await slices();
      return s.length === 1 && s[0]!.endpoints?.length === 2 ? s : undefined;
    });
    assert.equal(slice!.metadata.name.startsWith('web-'), true);
    assert.equal(slice!.metadata.labels['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
    assert.equal(slice!.metadata.labels.tier, 'front');
    assert.deepEqual(slice!.metadata.ownerReferences.map((r) => [r.kind, r.name, r.controller]), [['Service', 'web', true]]);
    assert.equal(slice!.addressType, 'IPv4');
    assert.deepEqual(slice!.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const byPod = Object.fromEntries(slice!.endpoints!.map((e) => [e.targetRef.name, e]));
    assert.deepEqual(byPod['web-0']!.addresses, [ips['web-0']]);
    assert.equal(byPod['web-0']!.nodeName, 'ep-0');
    assert.deepEqual(byPod['web-1']!.conditions, { ready: true, serving: true, terminating: false });

    const endpoints = await until('Endpoints with both pods', async () => {
      const ep = JSON.parse(await ok(['get', 'endpoints', 'web', '-o', 'json']));
      return ep.subsets?.[0]?.addresses?.length === 2 ? ep : undefined;
    });
    assert.deepEqual(endpoints.subsets[0].addresses.map((a: { ip: string }) => a.ip).sort(), [ips['web-0'], ips['web-1']].sort());
    assert.deepEqual(endpoints.subsets[0].ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    assert.match(endpoints.metadata.annotations['endpoints.kubernetes.io/last-change-trigger-time'], /^\d{4}-\d\d-\d\dT/);
    const table = await ok(['get', 'endpoints', 'web']);
    assert.match(table, new RegExp(`web\\s+${ips['web-0']}:8080|web\\s+${ips['web-1']}:8080`));
    const described = await ok(['describe', 'service', 'web']);
    assert.match(described, new RegExp(`Endpoints:\\s+.*${ips['web-0']}:8080`));
  });

  it('moves a pod that is no longer ready to ready=false and notReadyAddresses', async () => {
    // The simulated kubelet reports its running pods Ready again, as a kubelet would: this pod
    // sits on a node without a kubelet, so its status is the test's to set.
    await ok(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'ep-static' } }));
    await ok(['create', '-f', '-'], JSON.stringify(pod('web-2', 'ep-static')));
    const setReady = (ready: 'True' | 'False') =>
      ok(['patch', 'pod', 'web-2', '--subresource=status', '--type=strategic', '-p', JSON.stringify({ status: { phase: 'Running', podIP: STATIC_IP, podIPs: [{ ip: STATIC_IP }], conditions: [{ type: 'Ready', status: ready }] } })]);
    const web2 = async () => (await slices())[0]?.endpoints?.find((e) => e.targetRef.name === 'web-2');
    await setReady('True');
    await until('web-2 ready in the slice', async () => ((await web2())?.conditions.ready === true ? true : undefined));
    await setReady('False');
    const ep = await until('web-2 not ready in the slice', async () => {
      const e = await web2();
      return e?.conditions.ready === false ? e : undefined;
    });
    assert.deepEqual(ep, { addresses: [STATIC_IP], conditions: { ready: false, serving: false, terminating: false }, nodeName: 'ep-static', targetRef: ep.targetRef });
    const subsets = await until('web-2 under notReadyAddresses', async () => {
      const endpoints = JSON.parse(await ok(['get', 'endpoints', 'web', '-o', 'json']));
      return endpoints.subsets?.[0]?.notReadyAddresses?.length === 1 ? endpoints.subsets : undefined;
    });
    assert.deepEqual(subsets[0].addresses.map((a: { ip: string }) => a.ip).sort(), [ips['web-0'], ips['web-1']].sort());
    assert.deepEqual(subsets[0].notReadyAddresses.map((a: { ip: string }) => a.ip), [STATIC_IP]);
  });

  it('removes a deleted pod from both, keeping the same slice', async () => {
    const before = (await slices())[0]!.metadata.name;
    await ok(['delete', 'pod', 'web-0', '--wait=true']);
    const [slice] = await until('web-0 gone from the slice', async () => {
      const s = await slices();
      return s.length === 1 && s[0]!.endpoints?.length === 2 ? s : undefined;
    });
    assert.equal(slice!.metadata.name, before);
    assert.deepEqual(slice!.endpoints!.map((e) => e.targetRef.name).sort(), ['web-1', 'web-2']);
    await until('web-0 gone from Endpoints', async () => {
      const endpoints = JSON.parse(await ok(['get', 'endpoints', 'web', '-o', 'json']));
      const ready = endpoints.subsets?.[0]?.addresses?.map((a: { ip: string }) => a.ip);
      return ready?.length === 1 && ready[0] === ips['web-1'] ? true : undefined;
    });
  });

  it('leaves the API server\'s kubernetes endpoints alone', async () => {
    const slicesOfKubernetes = JSON.parse(await ok(['get', 'endpointslices', '-n', 'default', '-l', 'kubernetes.io/service-name=kubernetes', '-o', 'json'])).items;
    assert.deepEqual(slicesOfKubernetes.map((s: Slice) => s.metadata.name), ['kubernetes']);
  });

  it('mirrors the Endpoints of a service without a selector into an EndpointSlice', async () => {
    await ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'external' }, spec: { ports: [{ name: 'pg', port: 5432 }] } },
      { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'external' }, subsets: [{ addresses: [{ ip: '192.0.2.10' }], notReadyAddresses: [{ ip: '192.0.2.11' }], ports: [{ name: 'pg', port: 5432 }] }] },
    ] }));
    const mirrored = async (): Promise<Slice[]> => JSON.parse(await ok(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=external', '-o', 'json'])).items;
    const [slice] = await until('a mirrored slice', async () => {
      const s = await mirrored();
      return s.length === 1 && s[0]!.endpoints?.length === 2 ? s : undefined;
    });
    assert.equal(slice!.metadata.labels['endpointslice.kubernetes.io/managed-by'], 'endpointslicemirroring-controller.k8s.io');
    assert.deepEqual(slice!.metadata.ownerReferences.map((r) => [r.kind, r.name]), [['Endpoints', 'external']]);
    assert.deepEqual(slice!.ports, [{ name: 'pg', port: 5432, protocol: 'TCP' }]);
    assert.deepEqual(slice!.endpoints!.map((e) => [e.addresses[0], e.conditions.ready]), [['192.0.2.10', true], ['192.0.2.11', false]]);
    await ok(['delete', 'endpoints', 'external']);
    await until('the mirrored slice gone', async () => ((await mirrored()).length === 0 ? true : undefined));
  });

  it('deletes the Endpoints and slices of a deleted service', async () => {
    await ok(['delete', 'service', 'web']);
    await until('no slices for web', async () => ((await slices()).length === 0 ? true : undefined));
    await until('no Endpoints for web', async () => ((await cluster().kubectl(['get', 'endpoints', 'web'])).code !== 0 ? true : undefined));
  });
});
