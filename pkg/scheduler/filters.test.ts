import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cacheWith, info, node, pod } from './fixtures.ts';
import { nodeAffinityFilter, portsFilter, REASON, resourcesFilter, taintFilter, unschedulableFilter } from './filters.ts';
import { requirementMatches } from './matching.ts';

const nodeInfo = (n: ReturnType<typeof node>, pods: ReturnType<typeof pod>[] = []) => cacheWith([n], pods).nodeInfo(n.metadata.name!)!;

describe('filters', () => {
  it('NodeUnschedulable: cordoned nodes only for pods tolerating the unschedulable taint', () => {
    const cordoned = nodeInfo(node('n', { unschedulable: true }));
    assert.deepEqual(unschedulableFilter(info(pod('p')))(cordoned), { reasons: [REASON.unschedulable], unresolvable: true });
    const tolerant = pod('t', { spec: { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] } });
    assert.equal(unschedulableFilter(info(tolerant))(cordoned), undefined);
  });

  it('TaintToleration: NoSchedule/NoExecute need a toleration, PreferNoSchedule does not', () => {
    const n = nodeInfo(node('n', { taints: [{ key: 'soft', effect: 'PreferNoSchedule' }, { key: 'gpu', value: 'yes', effect: 'NoSchedule' }] }));
    assert.deepEqual(taintFilter(info(pod('p')))(n)?.reasons, ['node(s) had untolerated taint {gpu: yes}']);
    const wrongValue = pod('w', { spec: { tolerations: [{ key: 'gpu', operator: 'Equal', value: 'no' }] } });
    assert.notEqual(taintFilter(info(wrongValue))(n), undefined);
    const exists = pod('e', { spec: { tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }] } });
    assert.equal(taintFilter(info(exists))(n), undefined);
    const everything = pod('all', { spec: { tolerations: [{ operator: 'Exists' }] } });
    assert.equal(taintFilter(info(everything))(n), undefined);
  });

  it('a node that is not Ready counts as tainted not-ready (or unreachable when Unknown)', () => {
    assert.deepEqual(taintFilter(info(pod('p')))(nodeInfo(node('n', { ready: 'False' })))?.reasons, ['node(s) had untolerated taint {node.kubernetes.io/not-ready: }']);
    assert.deepEqual(taintFilter(info(pod('p')))(nodeInfo(node('n', { ready: 'Unknown' })))?.reasons, ['node(s) had untolerated taint {node.kubernetes.io/unreachable: }']);
    const daemon = pod('d', { spec: { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule' }] } });
    assert.equal(taintFilter(info(daemon))(nodeInfo(node('n', { ready: 'False' }))), undefined);
  });

  it('NodeAffinity: nodeSelector AND any required term; matchFields on metadata.name', () => {
    const n = nodeInfo(node('n1', { labels: { zone: 'a', size: '8' } }));
    const filter = (spec: object) => nodeAffinityFilter(info(pod('p', { spec })));
    assert.equal(filter({}), undefined, 'no constraints, no filter');
    assert.equal(filter({ nodeSelector: { zone: 'a' } })!(n), undefined);
    assert.deepEqual(filter({ nodeSelector: { zone: 'b' } })!(n)?.reasons, ["node(s) didn't match Pod's node affinity/selector"]);
    const terms = (...nodeSelectorTerms: object[]) => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } } } });
    assert.equal(filter(terms({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['x'] }] }, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }))!(n), undefined);
    assert.notEqual(filter(terms({}))!(n), undefined, 'an empty term matches nothing');
    assert.notEqual(filter({ nodeSelector: { zone: 'b' }, ...terms({ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }) })!(n), undefined);
  });

  it('node selector operators, Gt/Lt on integers only', () => {
    assert.equal(requirementMatches({ key: 'k', operator: 'NotIn', values: ['a'] }, undefined), true);
    assert.equal(requirementMatches({ key: 'k', operator: 'DoesNotExist' }, 'x'), false);
    assert.equal(requirementMatches({ key: 'k', operator: 'Gt', values: ['5'] }, '6'), true);
    assert.equal(requirementMatches({ key: 'k', operator: 'Lt', values: ['5'] }, '6'), false);
    assert.equal(requirementMatches({ key: 'k', operator: 'Gt', values: ['5'] }, 'six'), false);
  });

  it('NodePorts: same protocol and port conflict unless both name different specific IPs', () => {
    const withPort = (name: string, hostPort: number, hostIP?: string, protocol?: string, nodeName?: string) => {
      const p = pod(name, { nodeName });
      p.spec.containers![0]!.ports = [{ containerPort: 1, hostPort, hostIP, protocol }];
      return p;
    };
    const n = nodeInfo(node('n'), [withPort('a', 80, '10.0.0.1', 'TCP', 'n')]);
    const incoming = (hostPort: number, hostIP?: string, protocol?: string) => portsFilter(info(withPort('x', hostPort, hostIP, protocol)))!(n);
    assert.deepEqual(incoming(80)?.reasons, [REASON.ports]);
    assert.deepEqual(incoming(80, '10.0.0.1')?.reasons, [REASON.ports]);
    assert.equal(incoming(80, '10.0.0.2'), undefined);
    assert.equal(incoming(80, undefined, 'UDP'), undefined);
    assert.equal(incoming(81), undefined);
  });

  it('NodeResourcesFit: each short resource is a reason; more than the node has cannot be cured', () => {
    const n = nodeInfo(node('n', { cpu: '2', memory: '1Gi', pods: '2' }), [pod('a', { nodeName: 'n', cpu: '1500m', memory: '512Mi' })]);
    assert.equal(resourcesFilter(info(pod('p', { cpu: '500m', memory: '512Mi' })))(n), undefined);
    assert.deepEqual(resourcesFilter(info(pod('p', { cpu: '1', memory: '600Mi' })))(n), { reasons: ['Insufficient cpu', 'Insufficient memory'], unresolvable: false });
    assert.deepEqual(resourcesFilter(info(pod('p', { cpu: '3' })))(n), { reasons: ['Insufficient cpu'], unresolvable: true });
    const full = nodeInfo(node('n', { pods: '1' }), [pod('a', { nodeName: 'n' })]);
    assert.deepEqual(resourcesFilter(info(pod('p')))(full)?.reasons, ['Too many pods']);
    const gpu = pod('g');
    gpu.spec.containers![0]!.resources = { requests: { 'example.com/gpu': '1' } };
    assert.deepEqual(resourcesFilter(info(gpu))(n)?.reasons, ['Insufficient example.com/gpu']);
    assert.equal(resourcesFilter(info(gpu))(nodeInfo(node('g', { extra: { 'example.com/gpu': '2' } }))), undefined);
  });

  it('NodeResourcesFit leaves room for pods nominated to the node', () => {
    const n = nodeInfo(node('n', { cpu: '2' }));
    const filter = resourcesFilter(info(pod('p', { cpu: '1500m' })), () => ({ cpu: 1000, pods: 1 }));
    assert.deepEqual(filter(n)?.reasons, ['Insufficient cpu']);
  });
});
