/**
 * The kubelet's node side against a real `tsk server`. NodeAgent: the Node it registers
 * becomes Ready with its labels and taints, `kubectl get nodes -o wide` shows its address and
 * versions, the Lease renews, and an unchanged status is not written again. VolumeManager and
 * EnvResolver with the real API: the kube-api-access volume holds a token the API server
 * accepts, the cluster CA and the namespace; a configMap volume follows an update; env sees
 * configmaps, secrets, fields and the kubernetes service.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, resourcePath } from '../pkg/client/client.ts';
import { EnvResolver } from '../pkg/kubelet/env.ts';
import { NodeAgent } from '../pkg/kubelet/node/agent.ts';
import { hostIdentity } from '../pkg/kubelet/node/host.ts';
import { REFRESH_MS, VolumeManager } from '../pkg/kubelet/volumes/manager.ts';
import { ClientObjectReader } from '../pkg/kubelet/volumes/objects.ts';
import { ClientTokenSource } from '../pkg/kubelet/volumes/tokens.ts';
import { clusterPerFile } from './lib/cluster.ts';
import { until } from './lib/until.ts';

const { cluster, ok } = clusterPerFile();
const NAME = 'edge-agent-1';

describe('NodeAgent against a real cluster', () => {
  let client: Client;
  let agent: NodeAgent;
  before(async () => {
    client = Client.fromKubeconfig(cluster().kubeconfig, { userAgent: 'kubelet-node-test' });
    agent = new NodeAgent({
      client,
      nodeName: NAME,
      dataDir: cluster().dataDir,
      nodeIp: '127.0.0.1',
      nodeLabels: ['topology.kubernetes.io/zone=lab'],
      nodeTaints: ['dedicated=edge:NoSchedule'],
      controlPlane: true,
      kubeletPort: 10250,
      runtimeVersion: async () => 'containerd://1.6.20',
      listImages: async () => [{ id: 'sha256:aa', repoTags: ['docker.io/library/busybox:latest'], repoDigests: [], size: 1_200_000 }],
      readiness: async () => ({ ready: true }),
    });
    await agent.start();
  });
  after(() => {
    agent?.stop();
    client?.close();
  });

  it('appears Ready with its labels, taints, address and versions', async () => {
    const node = await until('the node to be Ready', async () => {
      const n = JSON.parse(await ok(['get', 'node', NAME, '-o', 'json']));
      return n.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True') ? n : undefined;
    });
    assert.equal(node.metadata.labels['topology.kubernetes.io/zone'], 'lab');
    assert.equal(node.metadata.labels['kubernetes.io/hostname'], NAME);
    assert.equal(node.metadata.labels['node-role.kubernetes.io/control-plane'], 'true');
    assert.ok(node.spec.taints.some((t: { key: string; value: string; effect: string }) => t.key === 'dedicated' && t.value === 'edge' && t.effect === 'NoSchedule'));
    assert.deepEqual(node.status.images, [{ names: ['docker.io/library/busybox:latest'], sizeBytes: 1200000 }]);
    assert.equal(node.status.daemonEndpoints.kubeletEndpoint.Port, 10250);
    assert.match(node.status.capacity.memory, /^\d+Ki$/);

    const wide = await ok(['get', 'nodes', NAME, '-o', 'wide', '--no-headers']);
    const cols = wide.trim().split(/\s{2,}/);
    // NAME STATUS ROLES AGE VERSION INTERNAL-IP EXTERNAL-IP OS-IMAGE KERNEL-VERSION CONTAINER-RUNTIME
    assert.equal(cols[0], NAME);
    assert.equal(cols[1], 'Ready');
    assert.equal(cols[2], 'control-plane,master');
    assert.match(cols[4]!, /^v1\.\d+\.\d+\+tsk/);
    assert.equal(cols[5], '127.0.0.1');
    assert.equal(cols[7], hostIdentity().osImage);
    assert.equal(cols[8], hostIdentity().kernelVersion);
    assert.equal(cols[9], 'containerd://1.6.20');
  });

  it('renews its Lease without writing an unchanged node status', async () => {
    const leaseTime = async () => JSON.parse(await ok(['get', 'lease', '-n', 'kube-node-lease', NAME, '-o', 'json'])).spec.renewTime as string;
    const nodeVersion = async () => JSON.parse(await ok(['get', 'node', NAME, '-o', 'json'])).metadata.resourceVersion as string;
    // Controllers write the node early on (podCIDR, not-ready taint removal): wait until they are done.
    await until('the not-ready taint to go', async () => {
      const n = JSON.parse(await ok(['get', 'node', NAME, '-o', 'json']));
      return n.spec.taints.some((t: { key: string }) => t.key.startsWith('node.kubernetes.io/')) ? undefined : true;
    });
    const writes = agent.statusWrites;
    const version = await nodeVersion();
    const first = await leaseTime();
    const second = await until('a Lease renewal', async () => ((await leaseTime()) !== first ? leaseTime() : undefined), 30_000);
    await until('another Lease renewal', async () => ((await leaseTime()) !== second ? true : undefined), 30_000);
    assert.equal(agent.statusWrites, writes, 'no status write while nothing changed');
    assert.equal(await nodeVersion(), version, 'the Node object was not written');
  });
});

const POD = `apiVersion: v1
kind: Pod
metadata: { name: reader, namespace: default, labels: { app: reader } }
spec:
  nodeName: ${NAME}
  tolerations: [{ key: dedicated, operator: Exists }]
  containers:
  - name: app
    image: busybox
    env:
    - { name: COLOR, valueFrom: { configMapKeyRef: { name: settings, key: color } } }
    - { name: PASS, valueFrom: { secretKeyRef: { name: creds, key: password } } }
    - { name: ME, valueFrom: { fieldRef: { fieldPath: metadata.name } } }
    - { name: API, value: "https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)" }
    volumeMounts:
    - { name: conf, mountPath: /conf }
    - { name: creds, mountPath: /creds }
  volumes:
  - { name: conf, configMap: { name: settings } }
  - { name: creds, secret: { secretName: creds, defaultMode: 0400 } }
`;

describe('volumes and env against a real cluster', () => {
  let client: Client;
  let clock = Date.now();
  let volumes: VolumeManager;
  let uid: string;
  before(async () => {
    client = Client.fromKubeconfig(cluster().kubeconfig, { userAgent: 'kubelet-volumes-test' });
    await ok(['create', 'configmap', 'settings', '--from-literal=color=blue']);
    await ok(['create', 'secret', 'generic', 'creds', '--from-literal=password=s3cret']);
    // The ServiceAccount admission plugin needs the default account, which a controller makes.
    await until('the default service account', async () => ((await cluster().kubectl(['get', 'serviceaccount', 'default'])).code === 0 ? true : undefined));
    await ok(['apply', '-f', '-'], POD);
    uid = JSON.parse(await ok(['get', 'pod', 'reader', '-o', 'json'])).metadata.uid;
    volumes = new VolumeManager({
      dataDir: cluster().dataDir,
      objects: new ClientObjectReader(client),
      tokens: new ClientTokenSource(client),
      allocatable: () => ({ cpu: '2', memory: '1Gi' }),
      now: () => clock,
    });
  });
  after(async () => {
    await volumes?.tearDown(uid);
    client?.close();
  });

  const pod = async () => client.get(resourcePath({ version: 'v1', resource: 'pods', namespace: 'default', name: 'reader' }));

  it('fills kube-api-access with a token the API server accepts, the CA and the namespace', async () => {
    await until('kube-root-ca.crt', async () => ((await cluster().kubectl(['get', 'configmap', 'kube-root-ca.crt'])).code === 0 ? true : undefined));
    const p = await pod();
    const mounts = await volumes.setUp(p);
    const access = mounts.get('app')!.find((m) => m.containerPath === '/var/run/secrets/kubernetes.io/serviceaccount');
    assert.ok(access, 'the admission plugin added the kube-api-access volume');
    assert.equal(access.readonly, true);
    const token = fs.readFileSync(path.join(access.hostPath, 'token'), 'utf8');
    const ca = JSON.parse(await ok(['get', 'configmap', 'kube-root-ca.crt', '-o', 'json'])).data['ca.crt'];
    // Only the token: the admin kubeconfig's client certificate would win over it.
    const caFile = path.join(cluster().dataDir, 'test-ca.crt');
    const emptyConfig = path.join(cluster().dataDir, 'test-empty.kubeconfig');
    fs.writeFileSync(caFile, ca);
    fs.writeFileSync(emptyConfig, '');
    const whoami = spawnSync('kubectl', ['--kubeconfig', emptyConfig, '--server', cluster().url, '--certificate-authority', caFile, '--token', token, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], { encoding: 'utf8' });
    assert.equal(whoami.stdout, 'system:serviceaccount:default:default', whoami.stderr);
    assert.equal(fs.readFileSync(path.join(access.hostPath, 'ca.crt'), 'utf8'), ca);
    assert.equal(fs.readFileSync(path.join(access.hostPath, 'namespace'), 'utf8'), 'default');
    const creds = mounts.get('app')!.find((m) => m.containerPath === '/creds')!;
    assert.equal(fs.readFileSync(path.join(creds.hostPath, 'password'), 'utf8'), 's3cret');
    assert.equal(fs.statSync(path.join(creds.hostPath, 'password')).mode & 0o777, 0o400);
  });

  it('shows a configMap update in the volume at the next refresh', async () => {
    const mounts = await volumes.setUp(await pod());
    const conf = mounts.get('app')!.find((m) => m.containerPath === '/conf')!;
    assert.equal(fs.readFileSync(path.join(conf.hostPath, 'color'), 'utf8'), 'blue');
    await ok(['patch', 'configmap', 'settings', '-p', '{"data":{"color":"green"}}']);
    clock += REFRESH_MS;
    await volumes.setUp(await pod());
    assert.equal(fs.readFileSync(path.join(conf.hostPath, 'color'), 'utf8'), 'green');
  });

  it('resolves env from configmaps, secrets, fields and the kubernetes service', async () => {
    const env = new EnvResolver({
      objects: new ClientObjectReader(client),
      services: () => [],
      allocatable: () => ({ cpu: '2', memory: '1Gi' }),
    });
    const services = (await client.list(resourcePath({ version: 'v1', resource: 'services', namespace: 'default' }))).items;
    const withServices = new EnvResolver({ objects: new ClientObjectReader(client), services: (ns) => services.filter((s) => s.metadata.namespace === ns), allocatable: () => ({}) });
    const p = await pod();
    const vars = Object.fromEntries((await withServices.envFor(p, p.spec.containers[0])).map((v) => [v.key, v.value]));
    const kubernetes = services.find((s) => s.metadata.name === 'kubernetes')!;
    assert.equal(vars.COLOR, 'green');
    assert.equal(vars.PASS, 's3cret');
    assert.equal(vars.ME, 'reader');
    assert.equal(vars.API, `https://${kubernetes.spec.clusterIP}:${kubernetes.spec.ports[0].port}`);
    await ok(['delete', 'configmap', 'settings']);
    await assert.rejects(env.envFor(p, p.spec.containers[0]), { message: 'configmap "settings" not found' });
  });
});
