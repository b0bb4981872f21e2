import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { ensureBridge } from './bridge.ts';
import { cniMissing, Netns } from './testkit.ts';

let netns: Netns | undefined;
before(() => {
  if (!cniMissing) netns = Netns.create('tsk-brtest');
});
after(() => netns?.remove());

test('the bridge is made up with its gateway address once, and found as it is afterwards', { skip: cniMissing }, async () => {
  const options = { name: 'tskbr9', address: '10.42.7.1/24', netns: netns!.name };
  await ensureBridge(options);
  await ensureBridge(options);
  const [link] = JSON.parse(execFileSync('ip', ['-n', netns!.name, '-j', 'addr', 'show', 'dev', 'tskbr9'], { encoding: 'utf8' }));
  assert.deepEqual(link.addr_info.filter((a: any) => a.family === 'inet').map((a: any) => `${a.local}/${a.prefixlen}`), ['10.42.7.1/24']);
  assert.ok(link.flags.includes('UP'));
  await ensureBridge({ ...options, address: '10.42.9.1/24' });
  const [moved] = JSON.parse(execFileSync('ip', ['-n', netns!.name, '-j', 'addr', 'show', 'dev', 'tskbr9'], { encoding: 'utf8' }));
  assert.deepEqual(moved.addr_info.filter((a: any) => a.family === 'inet').map((a: any) => `${a.local}/${a.prefixlen}`), ['10.42.9.1/24'], 'the old range\'s address is gone');
  await ensureBridge(options);
  const route = execFileSync('ip', ['-n', netns!.name, 'route', 'get', '10.42.7.9'], { encoding: 'utf8' });
  assert.match(route, /dev tskbr9/);
});
