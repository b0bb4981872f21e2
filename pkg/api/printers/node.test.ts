import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KObject } from '../types.ts';
import { nodePrinter } from './node.ts';
import { ago, now } from './testing.ts';

function node(fields: { labels?: Record<string, string>; spec?: object; conditions?: object[] }): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'pi-1', creationTimestamp: ago(40 * 86400), labels: fields.labels ?? {} },
    spec: fields.spec ?? {},
    status: {
      conditions: fields.conditions ?? [
        { type: 'MemoryPressure', status: 'False' },
        { type: 'Ready', status: 'True', reason: 'KubeletReady' },
      ],
      addresses: [
        { type: 'InternalIP', address: '192.168.1.20' },
        { type: 'Hostname', address: 'pi-1' },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.33.1+tsk1',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        kernelVersion: '6.1.0-21-arm64',
        containerRuntimeVersion: 'containerd://1.6.20',
      },
    },
  };
}

test('Node columns', () => {
  assert.deepEqual(
    nodePrinter.columns.map((c) => `${c.name}:${c.priority}`),
    ['Name:0', 'Status:0', 'Roles:0', 'Age:0', 'Version:0', 'Internal-IP:1', 'External-IP:1', 'OS-Image:1', 'Kernel-Version:1', 'Container-Runtime:1'],
  );
});

test('a ready control-plane node', () => {
  const n = node({ labels: { 'node-role.kubernetes.io/control-plane': 'true', 'node-role.kubernetes.io/master': 'true' } });
  assert.deepEqual(nodePrinter.row(n, now), [
    'pi-1',
    'Ready',
    'control-plane,master',
    '40d',
    'v1.33.1+tsk1',
    '192.168.1.20',
    '<none>',
    'Debian GNU/Linux 12 (bookworm)',
    '6.1.0-21-arm64',
    'containerd://1.6.20',
  ]);
});

test('cordoned, not ready, unknown; roles from the legacy label; <none> without roles', () => {
  const cordoned = node({ spec: { unschedulable: true }, labels: { 'kubernetes.io/role': 'edge', 'node-role.kubernetes.io/': '' } });
  assert.deepEqual(nodePrinter.row(cordoned, now).slice(1, 3), ['Ready,SchedulingDisabled', 'edge']);
  const notReady = node({ conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' }] });
  assert.deepEqual(nodePrinter.row(notReady, now).slice(1, 3), ['NotReady', '<none>']);
  const fresh = node({ conditions: [] });
  assert.equal(nodePrinter.row(fresh, now)[1], 'Unknown');
});

test('wide columns without node info say <unknown>', () => {
  const bare: KObject = { metadata: { name: 'n' }, status: {} };
  assert.deepEqual(nodePrinter.row(bare, now), ['n', 'Unknown', '<none>', '<unknown>', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>']);
});
