import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { staleUdpFlows } from './conntrack.ts';
import type { Endpoint, ServicePort } from './model.ts';

const endpoint = (ip: string, ready = true): Endpoint => ({ ip, port: 53, ready, serving: ready, terminating: false, local: true });
const port = (endpoints: Endpoint[], extra: Partial<ServicePort> = {}): ServicePort => ({
  id: 'kube-system/dns:dns', protocol: 'UDP', clusterIP: '10.43.0.10', port: 53, nodePort: 0, externalIPs: [], loadBalancerIPs: [],
  externalLocal: false, internalLocal: false, endpoints, ...extra,
});
const base = ['-f', 'ipv4', '-p', 'udp'];

describe('staleUdpFlows', () => {
  it('clears flows to a UDP Service that just got endpoints (they were never DNATed)', () => {
    assert.deepEqual(staleUdpFlows([port([])], [port([endpoint('10.42.0.5')], { nodePort: 30053, externalIPs: ['192.0.2.9'] })], 4), [
      [...base, '--orig-dst', '10.43.0.10', '--orig-port-dst', '53'],
      [...base, '--orig-dst', '192.0.2.9', '--orig-port-dst', '53'],
      [...base, '--orig-port-dst', '30053'],
    ]);
    assert.deepEqual(staleUdpFlows([], [port([endpoint('10.42.0.5')])], 4), [[...base, '--orig-dst', '10.43.0.10', '--orig-port-dst', '53']]);
  });

  it('clears flows DNATed to an endpoint the port no longer uses, unready or gone, and those of a deleted Service', () => {
    const before = port([endpoint('10.42.0.5'), endpoint('10.42.0.6')], { nodePort: 30053 });
    const expected = [
      [...base, '--orig-dst', '10.43.0.10', '--orig-port-dst', '53', '--dst-nat', '10.42.0.6'],
      [...base, '--orig-port-dst', '30053', '--dst-nat', '10.42.0.6'],
    ];
    assert.deepEqual(staleUdpFlows([before], [port([endpoint('10.42.0.5')], { nodePort: 30053 })], 4), expected);
    assert.deepEqual(staleUdpFlows([before], [port([endpoint('10.42.0.5'), endpoint('10.42.0.6', false)], { nodePort: 30053 })], 4), expected);
    assert.equal(staleUdpFlows([before], [], 4).length, 4);
  });

  it('leaves TCP and unchanged ports alone', () => {
    const same = port([endpoint('10.42.0.5')]);
    assert.deepEqual(staleUdpFlows([same], [same], 4), []);
    const tcp = port([endpoint('10.42.0.5')], { protocol: 'TCP' });
    assert.deepEqual(staleUdpFlows([port([], { protocol: 'TCP' })], [tcp], 4), []);
    assert.deepEqual(staleUdpFlows([tcp], [], 4), []);
  });
});
