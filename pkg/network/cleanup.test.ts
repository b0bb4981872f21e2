import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { ensureBridge } from './bridge.ts';
import { removeNodeNetwork } from './cleanup.ts';
import { cniMissing, Netns } from './testkit.ts';

let netns: Netns | undefined;
before(() => {
  if (!cniMissing) netns = Netns.create('tsk-cleantest');
});
after(() => netns?.remove());

const links = () => (JSON.parse(execFileSync('ip', ['-n', netns!.name, '-j', 'link', 'show'], { encoding: 'utf8' })) as { ifname: string }[]).map((l) => l.ifname);

test('removing the node network takes the pod bridge away, and is harmless when nothing is left', { skip: cniMissing }, async () => {
  await ensureBridge({ name: 'tskbr8', address: '10.42.8.1/24', netns: netns!.name });
  assert.ok(links().includes('tskbr8'));
  await removeNodeNetwork({ bridgeName: 'tskbr8', netns: netns!.name });
  assert.ok(!links().includes('tskbr8'));
  await removeNodeNetwork({ bridgeName: 'tskbr8', netns: netns!.name });
});
