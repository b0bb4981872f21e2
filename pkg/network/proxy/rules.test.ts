import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { endpointSlice, service } from '../dns/testkit.ts';
import { Iptables } from '../iptables.ts';
import { cniMissing, Netns } from '../testkit.ts';
import { chainName } from './chains.ts';
import { servicePorts, type ModelOptions } from './model.ts';
import { probability, renderRules, restoreText, type RenderCache, type RuleSet } from './rules.ts';

const NODE = 'node-a';
const model: ModelOptions = { nodeName: NODE, family: 4, serveLoadBalancerIPs: true };

function ep(ip: string, conditions: Record<string, boolean> = {}, nodeName = NODE): unknown {
  return { addresses: [ip], conditions, nodeName };
}

function rules(services: KObject[], slices: KObject[], options: Partial<ModelOptions> = {}): RuleSet {
  return renderRules(servicePorts(services, slices, { ...model, ...options }), { clusterCidr: '10.42.0.0/16', family: options.family ?? 4 });
}

/** Every rule of a table as one text, for pattern checks. */
function text(set: RuleSet, table: 'nat' | 'filter'): string {
  return [...set[table].values()].flat().join('\n');
}

const web = (spec: Record<string, unknown> = {}) => service('default', 'web', { clusterIP: '10.43.0.10', ports: [{ name: 'http', port: 80 }], ...spec });
const webSlice = (...endpoints: unknown[]) => endpointSlice('default', 'web', endpoints, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
const SVC = chainName('SVC', 'default/web:http', 'TCP');
const SVL = chainName('SVL', 'default/web:http', 'TCP');
const EXT = chainName('EXT', 'default/web:http', 'TCP');
const sep = (ip: string) => chainName('SEP', 'default/web:http', 'TCP', `${ip}:8080`);

describe('chain names', () => {
  it('are kube-proxy\'s hashes of the service port name, protocol and endpoint', () => {
    // kube-proxy's own test fixtures name these KUBE-SVC-XPGD46QRK7WJZT7O and KUBE-SEP-SXIVWICOYRO3J4NJ.
    assert.equal(chainName('SVC', 'ns1/svc1:p80', 'TCP'), 'TSK-SVC-XPGD46QRK7WJZT7O');
    assert.equal(chainName('SEP', 'ns1/svc1:p80', 'TCP', '10.180.0.1:80'), 'TSK-SEP-SXIVWICOYRO3J4NJ');
    assert.notEqual(chainName('SVC', 'ns1/svc1:p80', 'UDP'), chainName('SVC', 'ns1/svc1:p80', 'TCP'));
    assert.ok(chainName('SVC', 'ns1/svc1:p80', 'TCP').length <= 28, 'iptables chain names are at most 28 characters');
  });
});

describe('renderRules', () => {
  it('balances a ClusterIP over ready endpoints with probabilities 1/n, 1/(n-1), …, and the last always', () => {
    const set = rules([web()], [webSlice(ep('10.42.0.7'), ep('10.42.0.5'), ep('10.42.0.6'))]);
    assert.deepEqual(set.nat.get('TSK-SERVICES')!.slice(0, 1), [
      `-A TSK-SERVICES -m comment --comment "default/web:http cluster IP" -d 10.43.0.10/32 -p tcp -m tcp --dport 80 -j ${SVC}`,
    ]);
    const svc = set.nat.get(SVC)!;
    assert.equal(svc[0], `-A ${SVC} -m comment --comment "default/web:http cluster IP" ! -s 10.42.0.0/16 -d 10.43.0.10/32 -p tcp -m tcp --dport 80 -j TSK-MARK-MASQ`);
    assert.deepEqual(svc.slice(1).map((r) => r.replace(/ -m comment --comment "[^"]*"/, '')), [
      `-A ${SVC} -m statistic --mode random --probability 0.3333333333 -j ${sep('10.42.0.5')}`,
      `-A ${SVC} -m statistic --mode random --probability 0.5000000000 -j ${sep('10.42.0.6')}`,
      `-A ${SVC} -j ${sep('10.42.0.7')}`,
    ]);
    assert.deepEqual(set.nat.get(sep('10.42.0.5')), [
      `-A ${sep('10.42.0.5')} -m comment --comment "default/web:http" -s 10.42.0.5/32 -j TSK-MARK-MASQ`,
      `-A ${sep('10.42.0.5')} -m comment --comment "default/web:http" -p tcp -m tcp -j DNAT --to-destination 10.42.0.5:8080`,
    ]);
    assert.equal(probability(4), '0.2500000000');
    // The NodePort jump closes TSK-SERVICES, after every virtual IP.
    assert.match(set.nat.get('TSK-SERVICES')!.at(-1)!, /-m addrtype --dst-type LOCAL ! -d 127\.0\.0\.0\/8 -j TSK-NODEPORTS$/);
    assert.equal(text(set, 'filter').includes('10.43.0.10'), false);
  });

  it('rejects a Service without endpoints in filter and writes no nat chain for it', () => {
    const set = rules([web({ type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }], externalIPs: ['192.0.2.9'] })], [webSlice()]);
    assert.equal(set.nat.has(SVC) || set.nat.has(EXT), false);
    assert.doesNotMatch(text(set, 'nat'), /10\.43\.0\.10|30080|192\.0\.2\.9/);
    assert.deepEqual(set.filter.get('TSK-SERVICES'), [
      '-A TSK-SERVICES -m comment --comment "default/web:http has no endpoints" -d 10.43.0.10/32 -p tcp -m tcp --dport 80 -j REJECT',
    ]);
    const external = set.filter.get('TSK-EXTERNAL-SERVICES')!.join('\n');
    assert.match(external, /-d 192\.0\.2\.9\/32 -p tcp -m tcp --dport 80 -j REJECT/);
    assert.match(external, /-m addrtype --dst-type LOCAL -p tcp -m tcp --dport 30080 -j REJECT/);
  });

  it('uses ready endpoints only, and serving terminating ones only when none is ready', () => {
    const unready = ep('10.42.0.5', { ready: false });
    const draining = ep('10.42.0.6', { ready: false, serving: true, terminating: true });
    const gone = ep('10.42.0.7', { ready: false, serving: false, terminating: true });
    let set = rules([web()], [webSlice(ep('10.42.0.4'), unready, draining, gone)]);
    assert.deepEqual([...set.nat.keys()].filter((c) => c.startsWith('TSK-SEP-')), [sep('10.42.0.4')]);
    set = rules([web()], [webSlice(unready, draining, gone)]);
    assert.deepEqual([...set.nat.keys()].filter((c) => c.startsWith('TSK-SEP-')), [sep('10.42.0.6')]);
    set = rules([web()], [webSlice(unready, gone)]);
    assert.match(text(set, 'filter'), /10\.43\.0\.10\/32 .* -j REJECT/);
    // No conditions at all means ready (the API's "unknown").
    set = rules([web()], [webSlice({ addresses: ['10.42.0.9'] })]);
    assert.ok(set.nat.has(sep('10.42.0.9')));
  });

  it('sticks a client to its endpoint with the recent module when sessionAffinity is ClientIP', () => {
    let set = rules([web({ sessionAffinity: 'ClientIP' })], [webSlice(ep('10.42.0.5'), ep('10.42.0.6'))]);
    const svc = set.nat.get(SVC)!;
    assert.match(svc[1]!, new RegExp(`-m recent --name ${sep('10.42.0.5')} --rcheck --seconds 10800 --reap -j ${sep('10.42.0.5')}$`));
    assert.match(svc[2]!, new RegExp(`-m recent --name ${sep('10.42.0.6')} --rcheck --seconds 10800 --reap -j ${sep('10.42.0.6')}$`));
    assert.match(svc[3]!, /--probability 0\.5000000000/);
    assert.match(set.nat.get(sep('10.42.0.5'))![1]!, new RegExp(`-p tcp -m tcp -m recent --name ${sep('10.42.0.5')} --set -j DNAT --to-destination 10.42.0.5:8080$`));
    set = rules([web({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } })], [webSlice(ep('10.42.0.5'))]);
    assert.match(text(set, 'nat'), /--rcheck --seconds 60 --reap/);
  });

  it('sends NodePort traffic through the EXT chain, masqueraded under the Cluster policy', () => {
    const set = rules([web({ type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] })], [webSlice(ep('10.42.0.5'))]);
    assert.deepEqual(set.nat.get('TSK-NODEPORTS'), [`-A TSK-NODEPORTS -m comment --comment "default/web:http" -p tcp -m tcp --dport 30080 -j ${EXT}`]);
    assert.deepEqual(set.nat.get(EXT)!.map((r) => r.replace(/ -m comment --comment "[^"]*"/, '')), [`-A ${EXT} -j TSK-MARK-MASQ`, `-A ${EXT} -j ${SVC}`]);
  });

  it('keeps externalTrafficPolicy Local traffic on this node\'s endpoints, unmasqueraded, and drops it when there is none', () => {
    const spec = { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, nodePort: 30080 }] };
    const lb = { ...web(spec), status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } } };
    let set = rules([lb], [webSlice(ep('10.42.0.5'), ep('10.42.1.5', {}, 'node-b'))]);
    assert.deepEqual(set.nat.get(EXT)!.map((r) => r.replace(/ -m comment --comment "[^"]*"/, '')), [
      `-A ${EXT} -s 10.42.0.0/16 -j ${SVC}`,
      `-A ${EXT} -m addrtype --src-type LOCAL -j TSK-MARK-MASQ`,
      `-A ${EXT} -m addrtype --src-type LOCAL -j ${SVC}`,
      `-A ${EXT} -j ${SVL}`,
    ]);
    assert.deepEqual(set.nat.get(SVL)!.map((r) => r.split(' -j ')[1]), [sep('10.42.0.5')]);
    assert.equal(set.nat.get(SVC)!.filter((r) => r.includes('TSK-SEP-')).length, 2, 'the cluster IP still uses every endpoint');
    assert.match(text(set, 'nat'), new RegExp(`-d 192\\.0\\.2\\.1/32 -p tcp -m tcp --dport 80 -j ${EXT}`));

    set = rules([lb], [webSlice(ep('10.42.1.5', {}, 'node-b'))]);
    assert.equal(set.nat.has(SVL), false);
    assert.equal(set.nat.get(EXT)!.some((r) => r.endsWith(`-j ${SVL}`)), false);
    const external = set.filter.get('TSK-EXTERNAL-SERVICES')!.join('\n');
    assert.match(external, /has no local endpoints" -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 30080 -j DROP/);
    assert.match(external, /-d 192\.0\.2\.1\/32 -p tcp -m tcp --dport 80 -j DROP/);
    assert.equal(set.filter.get('TSK-SERVICES')!.length, 0, 'the cluster IP is not affected');

    // externalTrafficPolicy means nothing for a ClusterIP Service's external IPs.
    set = rules([web({ externalTrafficPolicy: 'Local', externalIPs: ['192.0.2.9'] })], [webSlice(ep('10.42.1.5', {}, 'node-b'))]);
    assert.match(set.nat.get(EXT)![0]!, /-j TSK-MARK-MASQ$/);
  });

  it('sends internalTrafficPolicy Local ClusterIP traffic to local endpoints only, and drops it when there is none', () => {
    let set = rules([web({ internalTrafficPolicy: 'Local' })], [webSlice(ep('10.42.0.5'), ep('10.42.1.5', {}, 'node-b'))]);
    assert.match(set.nat.get('TSK-SERVICES')![0]!, new RegExp(`-j ${SVL}$`));
    assert.equal(set.nat.has(SVC), false);
    assert.deepEqual([...set.nat.keys()].filter((c) => c.startsWith('TSK-SEP-')), [sep('10.42.0.5')]);
    set = rules([web({ internalTrafficPolicy: 'Local' })], [webSlice(ep('10.42.1.5', {}, 'node-b'))]);
    assert.match(set.filter.get('TSK-SERVICES')![0]!, /has no local endpoints" -d 10\.43\.0\.10\/32 .* -j DROP$/);
  });

  it('serves external IPs, and LoadBalancer ingress IPs unless told not to or ipMode is Proxy', () => {
    const lb = { ...web({ type: 'LoadBalancer', externalIPs: ['192.0.2.9'], ports: [{ name: 'http', port: 80, nodePort: 30080 }] }), status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }, { ip: '192.0.2.2', ipMode: 'Proxy' }, { hostname: 'lb.example' }] } } };
    const slice = webSlice(ep('10.42.0.5'));
    const served = (set: RuleSet) => set.nat.get('TSK-SERVICES')!.filter((r) => r.endsWith(EXT)).map((r) => r.match(/-d (\S+)/)![1]);
    assert.deepEqual(served(rules([lb], [slice])), ['192.0.2.9/32', '192.0.2.1/32']);
    assert.deepEqual(served(rules([lb], [slice], { serveLoadBalancerIPs: false })), ['192.0.2.9/32']);
  });

  it('matches endpoints by port name and protocol, handles UDP and SCTP, and skips headless and ExternalName Services', () => {
    const dns = service('kube-system', 'dns', { clusterIP: '10.43.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }, { name: 'sctp', port: 99, protocol: 'SCTP' }] });
    const slice = endpointSlice('kube-system', 'dns', [ep('10.42.0.5')], [{ name: 'dns', port: 5353, protocol: 'UDP' }, { name: 'sctp', port: 99, protocol: 'SCTP' }]);
    const headless = service('default', 'db', { clusterIP: 'None', ports: [{ port: 5432 }] });
    const external = service('default', 'ext', { type: 'ExternalName', externalName: 'example.org', ports: [{ port: 80 }] });
    const set = rules([dns, headless, external], [slice, endpointSlice('default', 'db', [ep('10.42.0.8')], [{ port: 5432 }])]);
    const nat = text(set, 'nat');
    assert.match(nat, /-p udp -m udp -j DNAT --to-destination 10\.42\.0\.5:5353/);
    assert.match(nat, /-p sctp -m sctp -j DNAT --to-destination 10\.42\.0\.5:99/);
    assert.match(text(set, 'filter'), /kube-system\/dns:dns-tcp has no endpoints" -d 10\.43\.0\.10\/32 -p tcp -m tcp --dport 53 -j REJECT/);
    assert.doesNotMatch(nat + text(set, 'filter'), /5432|default\/ext/);
  });

  it('writes IPv6 rules for an IPv6 proxy from the Service\'s IPv6 cluster IP', () => {
    const svc = service('default', 'web', { clusterIPs: ['10.43.0.10', 'fd00:43::10'], ports: [{ name: 'http', port: 80 }] });
    const slice = { ...endpointSlice('default', 'web', [ep('fd00:42::5')], [{ name: 'http', port: 8080 }]), addressType: 'IPv6' };
    const set = renderRules(servicePorts([svc], [slice, webSlice(ep('10.42.0.5'))], { ...model, family: 6 }), { clusterCidr: 'fd00:42::/56', family: 6 });
    const nat = text(set, 'nat');
    assert.match(nat, /-d fd00:43::10\/128 -p tcp -m tcp --dport 80/);
    assert.match(nat, /DNAT --to-destination \[fd00:42::5\]:8080/);
    assert.match(nat, /! -d ::1\/128 -j TSK-NODEPORTS/);
    assert.doesNotMatch(nat, /10\.4/);
  });

  it('changes only the Service\'s own chains when one of its endpoints goes', () => {
    const other = service('default', 'api', { clusterIP: '10.43.0.11', ports: [{ name: 'http', port: 80 }] });
    const otherSlice = endpointSlice('default', 'api', [ep('10.42.0.9')], [{ name: 'http', port: 8080 }]);
    const before = rules([web(), other], [webSlice(ep('10.42.0.5'), ep('10.42.0.6')), otherSlice]);
    const after = rules([web(), other], [webSlice(ep('10.42.0.5')), otherSlice]);
    const diff = (a: RuleSet, b: RuleSet) => [...new Set([...a.nat.keys(), ...b.nat.keys()])].filter((c) => a.nat.get(c)?.join() !== b.nat.get(c)?.join());
    assert.deepEqual(diff(before, after).sort(), [SVC, sep('10.42.0.6')].sort());
  });

  it('renders again only the service ports that changed when given a cache, and forgets the others', () => {
    const other = service('default', 'api', { clusterIP: '10.43.0.11', ports: [{ name: 'http', port: 80 }] });
    const otherSlice = endpointSlice('default', 'api', [ep('10.42.0.9')], [{ name: 'http', port: 8080 }]);
    const cache: RenderCache = new Map();
    const render = (slices: KObject[], services = [web(), other]) => renderRules(servicePorts(services, slices, model), { clusterCidr: '10.42.0.0/16', family: 4 }, cache);
    const first = render([webSlice(ep('10.42.0.5'), ep('10.42.0.6')), otherSlice]);
    const second = render([webSlice(ep('10.42.0.5')), otherSlice]);
    const API = chainName('SVC', 'default/api:http', 'TCP');
    assert.equal(second.nat.get(API), first.nat.get(API), 'the same array: not rendered again');
    assert.notEqual(second.nat.get(SVC), first.nat.get(SVC));
    assert.deepEqual(second, rules([web(), other], [webSlice(ep('10.42.0.5')), otherSlice]));
    render([otherSlice], [other]);
    assert.equal(cache.size, 1);
  });
});

describe('rendered rules in real iptables', { skip: cniMissing }, () => {
  let netns: Netns;
  before(() => { netns = Netns.create('tsk-prx-rules'); });
  after(() => netns?.remove());

  it('are accepted by iptables-restore (every feature at once)', async () => {
    const iptables = new Iptables({ netns: netns.name });
    const set = rules([
      { ...web({ type: 'LoadBalancer', sessionAffinity: 'ClientIP', externalTrafficPolicy: 'Local', externalIPs: ['192.0.2.9'], ports: [{ name: 'http', port: 80, nodePort: 30080 }] }), status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } } },
      service('default', 'udp', { clusterIP: '10.43.0.12', internalTrafficPolicy: 'Local', ports: [{ port: 53, protocol: 'UDP' }, { port: 99, protocol: 'SCTP' }] }),
      service('default', 'empty', { clusterIP: '10.43.0.13', type: 'NodePort', ports: [{ port: 80, nodePort: 30081 }] }),
    ], [webSlice(ep('10.42.0.5'), ep('10.42.1.5', {}, 'node-b')), endpointSlice('default', 'udp', [ep('10.42.1.6', {}, 'node-b')], [{ port: 53, protocol: 'UDP' }, { port: 99, protocol: 'SCTP' }])]);
    await iptables.restore('nat', restoreText(set.nat));
    await iptables.restore('filter', restoreText(set.filter));
    const saved = await iptables.save('nat');
    for (const chain of set.nat.keys()) assert.ok(saved.includes(`:${chain} `), chain);
    assert.match(saved, /--probability 0\.50000000000/);
  });
});
