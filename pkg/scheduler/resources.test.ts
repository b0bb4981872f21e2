import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pod } from './fixtures.ts';
import { DEFAULT_MEMORY, DEFAULT_MILLI_CPU, podHostPorts, podRequests } from './resources.ts';

describe('pod requests', () => {
  it('sums containers, adds overhead, and defaults cpu/memory only for scoring', () => {
    const p = pod('p', { cpu: '250m', spec: { overhead: { cpu: '50m', memory: '10Mi' } } });
    p.spec.containers!.push({ name: 'd', resources: { requests: { memory: '1Gi', 'example.com/gpu': '2' } } });
    const r = podRequests(p);
    assert.deepEqual(r.requests, { cpu: 300, memory: 1024 ** 3 + 10 * 1024 ** 2, 'example.com/gpu': 2 });
    assert.equal(r.nonZeroMilliCpu, 250 + DEFAULT_MILLI_CPU + 50);
    assert.equal(r.nonZeroMemory, DEFAULT_MEMORY + 1024 ** 3 + 10 * 1024 ** 2);
  });

  it('takes the largest init container when it exceeds the containers', () => {
    const p = pod('p', { cpu: '100m', spec: { initContainers: [{ name: 'i', resources: { requests: { cpu: '2' } } }] } });
    assert.equal(podRequests(p).requests.cpu, 2000);
  });

  it('counts sidecars for the whole life of the pod and under later init containers', () => {
    const p = pod('p', {
      cpu: '100m',
      spec: {
        initContainers: [
          { name: 'sidecar', restartPolicy: 'Always', resources: { requests: { cpu: '500m' } } },
          { name: 'init', resources: { requests: { cpu: '1' } } },
        ],
      },
    });
    // init runs beside the sidecar: 1500m; afterwards container + sidecar: 600m.
    assert.equal(podRequests(p).requests.cpu, 1500);
  });

  it('lists host ports of containers with their protocol and IP', () => {
    const p = pod('p');
    p.spec.containers![0]!.ports = [{ containerPort: 80, hostPort: 8080 }, { containerPort: 53, hostPort: 53, protocol: 'UDP', hostIP: '10.0.0.1' }, { containerPort: 9000 }];
    assert.deepEqual(podHostPorts(p), [
      { protocol: 'TCP', ip: '0.0.0.0', port: 8080 },
      { protocol: 'UDP', ip: '10.0.0.1', port: 53 },
    ]);
  });
});
