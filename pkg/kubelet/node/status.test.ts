import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { cpuCount, defaultNodeIp, defaultRouteInterface, hostIdentity, meminfo, osImage } from './host.ts';
import { kubeTime, nodeConditions, nodeImages, parseLabels, parseTaints, resources, significant } from './status.ts';

describe('node resources', () => {
  it('subtracts the default hard eviction thresholds and huge pages from allocatable', () => {
    const { capacity, allocatable } = resources({ cpus: 4, memoryBytes: 8 * 1024 ** 3, ephemeralStorageBytes: 100 * 1024 ** 3, hugepages: { 'hugepages-2Mi': 0, 'hugepages-1Gi': 1024 ** 3 } });
    assert.deepEqual(capacity, { cpu: '4', 'ephemeral-storage': `${100 * 1024 ** 2}Ki`, 'hugepages-2Mi': '0', 'hugepages-1Gi': '1Gi', memory: `${8 * 1024 ** 2}Ki`, pods: '110' });
    assert.deepEqual(allocatable, { cpu: '4', 'ephemeral-storage': String(Math.floor(100 * 1024 ** 3 * 0.9)), 'hugepages-2Mi': '0', 'hugepages-1Gi': '1Gi', memory: `${7 * 1024 ** 2 - 100 * 1024}Ki`, pods: '110' });
  });

  it('reads this host: cpus, memory, identity, os image, default route', () => {
    assert.ok(cpuCount() >= 1);
    assert.ok((meminfo('MemTotal') ?? 0) > 0);
    const id = hostIdentity();
    assert.equal(id.bootID, fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    assert.match(id.systemUUID, /^[0-9a-f-]{36}$/);
    assert.ok(id.osImage.length > 0 && id.kernelVersion.length > 0);
    assert.match(defaultNodeIp(), /^\d+\.\d+\.\d+\.\d+$/);
  });

  it('parses what the host files say', () => {
    assert.equal(meminfo('MemAvailable', 'MemTotal:  2048 kB\nMemAvailable:    1024 kB\n'), 1024 * 1024);
    assert.equal(cpuCount('max 100000'), cpuCount());
    assert.equal(cpuCount('150000 100000'), Math.min(2, cpuCount()));
    assert.equal(osImage('NAME="Debian"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'), 'Debian GNU/Linux 12 (bookworm)');
    const routes = 'Iface\tDestination\tGateway\tFlags\nwlan0\t0000A8C0\t00000000\t0001\neth1\t00000000\t0101A8C0\t0003\n';
    assert.equal(defaultRouteInterface(routes), 'eth1');
    const ifaces = { lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }], eth1: [{ address: 'fe80::1', family: 'IPv6', internal: false }, { address: '192.168.1.7', family: 'IPv4', internal: false }] };
    assert.equal(defaultNodeIp(ifaces as never, 'eth1'), '192.168.1.7');
    assert.equal(defaultNodeIp({ lo: ifaces.lo } as never, undefined), '127.0.0.1');
  });
});

describe('node conditions', () => {
  const healthy = { memory: false, disk: false, pid: false };
  it('speaks kubelet\'s reasons and keeps transition times while the status holds', () => {
    const first = nodeConditions({ ready: false, message: 'container runtime network not ready' }, healthy, undefined, 1_000_000);
    assert.deepEqual(first.map((c) => [c.type, c.status, c.reason]), [
      ['MemoryPressure', 'False', 'KubeletHasSufficientMemory'],
      ['DiskPressure', 'False', 'KubeletHasNoDiskPressure'],
      ['PIDPressure', 'False', 'KubeletHasSufficientPID'],
      ['Ready', 'False', 'KubeletNotReady'],
    ]);
    assert.equal(first[3]!.message, 'container runtime network not ready');
    const later = nodeConditions({ ready: true }, { ...healthy, disk: true }, first, 2_000_000);
    assert.deepEqual(later.map((c) => [c.type, c.status, c.lastTransitionTime, c.lastHeartbeatTime]), [
      ['MemoryPressure', 'False', kubeTime(1_000_000), kubeTime(2_000_000)],
      ['DiskPressure', 'True', kubeTime(2_000_000), kubeTime(2_000_000)],
      ['PIDPressure', 'False', kubeTime(1_000_000), kubeTime(2_000_000)],
      ['Ready', 'True', kubeTime(2_000_000), kubeTime(2_000_000)],
    ]);
    assert.equal(later[3]!.reason, 'KubeletReady');
  });

  it('sees no change in heartbeat times alone, and a change in a condition or resource', () => {
    const a = { capacity: { cpu: '2' }, conditions: nodeConditions({ ready: true }, healthy, undefined, 1_000_000) };
    const b = { capacity: { cpu: '2' }, conditions: nodeConditions({ ready: true }, healthy, a.conditions, 9_000_000) };
    assert.equal(significant(b), significant(a));
    assert.notEqual(significant({ ...b, capacity: { cpu: '3' } }), significant(a));
    assert.notEqual(significant({ ...b, conditions: nodeConditions({ ready: false }, healthy, a.conditions, 9_000_000) }), significant(a));
    const others = { ...b, conditions: [...b.conditions, { type: 'NetworkUnavailable', status: 'False' }] };
    assert.equal(significant(others), significant(a), 'conditions others own do not count');
  });
});

describe('node images and flags', () => {
  it('lists the 50 largest images with up to 5 names, digests first', () => {
    const images = Array.from({ length: 60 }, (_, i) => ({ id: `sha256:${i}`, repoTags: [`img${i}:latest`], repoDigests: [`img${i}@sha256:${i}`], size: String(i * 1000) }));
    images.push({ id: 'many', repoTags: ['a:1', 'a:2', 'a:3', 'a:4', 'a:5'], repoDigests: ['a@sha256:x'], size: '999999' });
    const listed = nodeImages(images);
    assert.equal(listed.length, 50);
    assert.deepEqual(listed[0], { names: ['a@sha256:x', 'a:1', 'a:2', 'a:3', 'a:4'], sizeBytes: 999999 });
    assert.deepEqual(listed[1], { names: ['img59@sha256:59', 'img59:latest'], sizeBytes: 59000 });
    assert.equal(listed[49]!.sizeBytes, 11000);
  });

  it('parses --node-label and --node-taint values', () => {
    assert.deepEqual(parseLabels(['zone=a', 'x.io/role=edge=1']), { zone: 'a', 'x.io/role': 'edge=1' });
    assert.deepEqual(parseTaints(['dedicated=gpu:NoSchedule', 'spot:PreferNoSchedule', 'k=:NoExecute']), [
      { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
      { key: 'spot', effect: 'PreferNoSchedule' },
      { key: 'k', effect: 'NoExecute' },
    ]);
  });
});
