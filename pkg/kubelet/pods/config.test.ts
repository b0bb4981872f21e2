import assert from 'node:assert/strict';
import { test } from 'node:test';
import { containerConfig } from './container.ts';
import { parseResolvConf, podDnsConfig } from './dns.ts';
import { etcHostsContent } from './hosts.ts';
import { cgroupParent, containerResources, oomScoreAdj } from './resources.ts';
import { podHostname, sandboxConfig } from './sandbox.ts';
import { makePod } from './testing/harness.ts';

const host = parseResolvConf('# generated\nnameserver 192.168.1.1\nnameserver 192.168.1.2\nsearch lan home\noptions edns0 ndots:1\n');
const cluster = { servers: ['10.43.0.10'], domain: 'cluster.local' };

test('resolv.conf is parsed into servers, searches and options', () => {
  assert.deepEqual(host, { servers: ['192.168.1.1', '192.168.1.2'], searches: ['lan', 'home'], options: ['edns0', 'ndots:1'] });
});

test('dnsPolicy: ClusterFirst, Default, None, host network, and the pod dnsConfig merged last', () => {
  const pod = (spec: object) => makePod('p', { containers: [], ...spec });
  assert.deepEqual(podDnsConfig(pod({}), cluster, host), { servers: ['10.43.0.10'], searches: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'lan', 'home'], options: ['ndots:5'] });
  assert.deepEqual(podDnsConfig(pod({ dnsPolicy: 'Default' }), cluster, host), host);
  assert.deepEqual(podDnsConfig(pod({ hostNetwork: true }), cluster, host), host, 'ClusterFirst on the host network behaves as Default');
  assert.equal(podDnsConfig(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), cluster, host).servers[0], '10.43.0.10');
  assert.deepEqual(podDnsConfig(pod({}), { servers: [], domain: 'cluster.local' }, host), host, 'no cluster DNS: the node resolver');
  assert.deepEqual(podDnsConfig(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: ['x.y'], options: [{ name: 'ndots', value: '2' }, { name: 'rotate' }] } }), cluster, host), {
    servers: ['1.1.1.1'],
    searches: ['x.y'],
    options: ['ndots:2', 'rotate'],
  });
  assert.deepEqual(podDnsConfig(pod({ dnsConfig: { options: [{ name: 'ndots', value: '2' }] } }), cluster, host).options, ['ndots:2']);
});

test('cgroup parents by QoS class, for cgroupfs and systemd', () => {
  const pod = makePod('p', { containers: [] });
  const uid = pod.metadata.uid!;
  assert.equal(cgroupParent(pod, 'Guaranteed', 'cgroupfs', '/kubepods'), `/kubepods/pod${uid}`);
  assert.equal(cgroupParent(pod, 'BestEffort', 'cgroupfs', '/kubepods'), `/kubepods/besteffort/pod${uid}`);
  assert.equal(cgroupParent(pod, 'Burstable', 'systemd', '/kubepods'), `kubepods-burstable-pod${uid.replace(/-/g, '_')}.slice`);
});

test('CPU shares, quota and memory limit; OOM score by QoS', () => {
  assert.deepEqual(containerResources({ name: 'c', resources: { limits: { cpu: '2', memory: '1Gi' }, requests: { cpu: '2', memory: '1Gi' } } }, 'Guaranteed', 8 * 2 ** 30), {
    cpuShares: 2048,
    cpuPeriod: 100000,
    cpuQuota: 200000,
    memoryLimitInBytes: 2 ** 30,
    oomScoreAdj: -997,
  });
  assert.deepEqual(containerResources({ name: 'c' }, 'BestEffort', 8 * 2 ** 30), { cpuShares: 2, oomScoreAdj: 1000 });
  assert.equal(containerResources({ name: 'c', resources: { limits: { cpu: '1m' } } }, 'Burstable', 1).cpuQuota, 1000, 'quota has a floor');
  assert.equal(oomScoreAdj('Burstable', 0, 8), 999);
  assert.equal(oomScoreAdj('Burstable', 8, 8), 3);
  assert.equal(oomScoreAdj('Burstable', 4, 8), 500);
});

test('host network, host PID and IPC, privileged containers and long hostnames', () => {
  const settings = { dataDir: '/d', dns: cluster, hostDns: host, cgroupDriver: 'cgroupfs' as const, cgroupRoot: '/kubepods' };
  const pod = makePod('x'.repeat(70), { hostNetwork: true, hostPID: true, hostIPC: true, containers: [{ name: 'c', image: 'i', securityContext: { privileged: true } }] });
  const sandbox = sandboxConfig(pod, 0, settings);
  assert.equal(sandbox.hostname, undefined, 'the host network keeps the node hostname');
  assert.deepEqual(sandbox.linux!.securityContext!.namespaceOptions, { network: 'NODE', pid: 'NODE', ipc: 'NODE' });
  assert.equal(sandbox.linux!.securityContext!.privileged, true);
  assert.equal(podHostname(pod).length, 63);
  const config = containerConfig(pod, pod.spec!.containers[0], { restartCount: 2, imageRef: 'sha256:i', envs: [], mounts: [], qos: 'BestEffort', memoryCapacity: 1 });
  assert.equal(config.linux!.securityContext!.privileged, true);
  assert.deepEqual(config.linux!.securityContext!.maskedPaths, []);
  assert.equal(config.logPath, 'c/2.log');
  assert.equal(config.annotations!['io.kubernetes.container.restartCount'], '2');
  const shared = makePod('s', { shareProcessNamespace: true, securityContext: { seccompProfile: { type: 'RuntimeDefault' } }, containers: [] });
  assert.equal(sandboxConfig(shared, 0, settings).linux!.securityContext!.namespaceOptions!.pid, 'POD');
  assert.deepEqual(sandboxConfig(shared, 0, settings).linux!.securityContext!.seccomp, { profileType: 'RuntimeDefault' });
});

test('the managed /etc/hosts: the pod under its hostname and FQDN, then hostAliases; the host network starts from the node file', () => {
  const pod = makePod('web-0', { hostname: 'web-0', subdomain: 'web', hostAliases: [{ ip: '10.0.0.9', hostnames: ['db', 'db.local'] }], containers: [] });
  const text = etcHostsContent(pod, '10.42.0.7', 'cluster.local', '');
  assert.ok(text.startsWith('# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'));
  assert.ok(text.includes('\n10.42.0.7\tweb-0.web.default.svc.cluster.local\tweb-0\n'));
  assert.ok(text.endsWith('\n# Entries added by HostAliases.\n10.0.0.9\tdb\tdb.local\n'));
  const host = makePod('h', { hostNetwork: true, containers: [] });
  assert.equal(etcHostsContent(host, '192.168.1.10', 'cluster.local', '127.0.0.1 localhost\n192.168.1.10 node1'), '# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n192.168.1.10 node1\n');
});
