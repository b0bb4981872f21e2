/**
 * ResourceQuota and LimitRange through the real binary and kubectl: the controller's
 * status.used, Kubernetes' exact refusals (exceeded quota, must specify), a burst of
 * concurrent creates that cannot overshoot, usage given back when pods go, and LimitRange
 * defaults and limits on new pods.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clusterPerFile } from './lib/cluster.ts';
import { until } from './lib/until.ts';

const { cluster, ok, fails } = clusterPerFile(['--disable-scheduler']);

const pod = (name: string, resources?: Record<string, unknown>) => JSON.stringify({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'app', image: 'busybox', ...(resources ? { resources } : {}) }] },
});

const quota = (name: string, hard: Record<string, string>) => JSON.stringify({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name }, spec: { hard } });

async function used(ns: string, name: string): Promise<Record<string, string> | undefined> {
  return JSON.parse(await ok(['get', 'quota', name, '-n', ns, '-o', 'json'])).status?.used;
}

async function namespace(name: string): Promise<void> {
  await ok(['create', 'namespace', name]);
}

describe('resource quotas', () => {
  it('counts pods, refuses the one past the limit with Kubernetes\' message, and describe shows usage', async () => {
    await namespace('q1');
    // The root-CA publisher creates kube-root-ca.crt shortly after the namespace; the quota
    // must be made after it so that its first count includes it.
    await until('kube-root-ca.crt in q1', async () => (await cluster().kubectl(['get', 'configmap', 'kube-root-ca.crt', '-n', 'q1'])).code === 0 ? true : undefined);
    await ok(['create', '-n', 'q1', '-f', '-'], quota('q', { pods: '2', configmaps: '10' }));
    await until('quota status', async () => ((await used('q1', 'q'))?.pods === '0' ? true : undefined));
    await ok(['create', '-n', 'q1', '-f', '-'], pod('p0'));
    await ok(['create', '-n', 'q1', '-f', '-'], pod('p1'));
    const refused = await fails(['create', '-n', 'q1', '-f', '-'], pod('p2'));
    assert.match(refused, /Error from server \(Forbidden\): error when creating "STDIN": pods "p2" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2/);
    const described = await ok(['describe', 'quota', 'q', '-n', 'q1']);
    assert.match(described, /pods\s+2\s+2/);
    // kube-root-ca.crt was there before the quota: the controller counted it.
    assert.match(described, /configmaps\s+1\s+10/);
  });

  it('gives usage back when a pod goes', async () => {
    await ok(['delete', 'pod', 'p0', '-n', 'q1', '--wait=false']);
    await until('pods used 1', async () => ((await used('q1', 'q'))?.pods === '1' ? true : undefined));
    await ok(['create', '-n', 'q1', '-f', '-'], pod('p3'));
  });

  it('requires the requests and limits a quota covers, with Kubernetes\' message', async () => {
    await namespace('q2');
    await ok(['create', '-n', 'q2', '-f', '-'], quota('compute', { 'requests.cpu': '1', 'limits.memory': '1Gi' }));
    await until('quota status', async () => ((await used('q2', 'compute'))?.['requests.cpu'] === '0' ? true : undefined));
    const refused = await fails(['create', '-n', 'q2', '-f', '-'], pod('bare'));
    assert.match(refused, /pods "bare" is forbidden: failed quota: compute: must specify limits.memory for: app; must specify requests.cpu for: app/);
    await ok(['create', '-n', 'q2', '-f', '-'], pod('sized', { requests: { cpu: '600m' }, limits: { cpu: '600m', memory: '512Mi' } }));
    const over = await fails(['create', '-n', 'q2', '-f', '-'], pod('big', { requests: { cpu: '500m' }, limits: { cpu: '500m', memory: '256Mi' } }));
    assert.match(over, /pods "big" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=600m, limited: requests.cpu=1/);
    assert.deepEqual(await used('q2', 'compute'), { 'requests.cpu': '600m', 'limits.memory': '512Mi' });
  });

  it('charges a service turned NodePort for its node ports', async () => {
    await namespace('q4');
    await ok(['create', '-n', 'q4', '-f', '-'], quota('ports', { 'services.nodeports': '1' }));
    await until('quota status', async () => ((await used('q4', 'ports'))?.['services.nodeports'] === '0' ? true : undefined));
    await ok(['create', 'service', 'clusterip', 'web', '--tcp=80,443', '-n', 'q4']);
    const refused = await fails(['patch', 'service', 'web', '-n', 'q4', '-p', '{"spec":{"type":"NodePort"}}']);
    assert.match(refused, /services "web" is forbidden: exceeded quota: ports, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1/);
  });

  it('counts objects of any kind as count/<resource>.<group>', async () => {
    await namespace('q5');
    await ok(['create', 'deployment', 'first', '--image=busybox', '-n', 'q5']);
    await ok(['create', '-n', 'q5', '-f', '-'], quota('apps', { 'count/deployments.apps': '1' }));
    await until('the existing deployment counted', async () => ((await used('q5', 'apps'))?.['count/deployments.apps'] === '1' ? true : undefined));
    const refused = await fails(['create', 'deployment', 'second', '--image=busybox', '-n', 'q5']);
    assert.match(refused, /deployments.apps "second" is forbidden: exceeded quota: apps, requested: count\/deployments.apps=1, used: count\/deployments.apps=1, limited: count\/deployments.apps=1/);
  });

  it('does not overshoot under a burst of concurrent creates', async () => {
    await namespace('q3');
    await ok(['create', '-n', 'q3', '-f', '-'], quota('burst', { 'count/configmaps': '5' }));
    await until('quota status', async () => ((await used('q3', 'burst'))?.['count/configmaps'] !== undefined ? true : undefined));
    const before = Number((await used('q3', 'burst'))!['count/configmaps']);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => cluster().kubectl(['create', 'configmap', `cm${i}`, '-n', 'q3'])));
    const created = results.filter((r) => r.code === 0).length;
    assert.equal(created, 5 - before);
    for (const r of results.filter((x) => x.code !== 0)) assert.match(r.stderr, /exceeded quota: burst, requested: count\/configmaps=1, used: count\/configmaps=5, limited: count\/configmaps=5/);
    const listed = (await ok(['get', 'configmaps', '-n', 'q3', '-o', 'name'])).split('\n').filter(Boolean);
    assert.equal(listed.length, 5);
  });
});

describe('limit ranges', () => {
  it('default requests and limits appear on a new pod, with the limit-ranger annotation', async () => {
    await namespace('lr');
    await ok(['create', '-n', 'lr', '-f', '-'], JSON.stringify({
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'defaults' },
      spec: { limits: [{ type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '250m' }, max: { cpu: '1' } }] },
    }));
    await until('the LimitRange applies', async () => {
      await ok(['create', '-n', 'lr', '-f', '-'], pod('defaulted'));
      const p = JSON.parse(await ok(['get', 'pod', 'defaulted', '-n', 'lr', '-o', 'json']));
      if (!p.spec.containers[0].resources?.limits) {
        await ok(['delete', 'pod', 'defaulted', '-n', 'lr']);
        return undefined;
      }
      assert.deepEqual(p.spec.containers[0].resources, { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '250m', memory: '256Mi' } });
      assert.equal(p.metadata.annotations['kubernetes.io/limit-ranger'], 'LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app');
      return true;
    });
  });

  it('refuses a claim asking more storage than the maximum', async () => {
    await ok(['create', '-n', 'lr', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'claims' }, spec: { limits: [{ type: 'PersistentVolumeClaim', max: { storage: '1Gi' } }] } }));
    const claim = JSON.stringify({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } } });
    const refused = await until('the claim refused', async () => {
      const r = await cluster().kubectl(['create', '-n', 'lr', '-f', '-'], { input: claim });
      if (r.code === 0) await ok(['delete', 'pvc', 'data', '-n', 'lr']);
      return r.code !== 0 ? r.stderr : undefined;
    });
    assert.match(refused, /persistentvolumeclaims "data" is forbidden: maximum storage usage per PersistentVolumeClaim is 1Gi, but request is 2Gi/);
  });

  it('refuses a container past the maximum with Kubernetes\' message', async () => {
    const refused = await fails(['create', '-n', 'lr', '-f', '-'], pod('huge', { limits: { cpu: '2' } }));
    assert.match(refused, /pods "huge" is forbidden: maximum cpu usage per Container is 1, but limit is 2/);
  });
});
