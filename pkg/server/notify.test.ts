import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Logger } from '../log/log.ts';
import { takeNotifySocket } from './notify.ts';
import { notifyReceiverMissing, startNotifyReceiver } from './notify-testkit.ts';

const missing = notifyReceiverMissing || (spawnSync('systemd-notify', ['--version']).status !== 0 ? 'needs systemd-notify' : false);

function recordingLog(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug: () => {}, info: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
}

describe('systemd readiness', () => {
  it('sends READY=1 to $NOTIFY_SOCKET in tsk\'s name, once, and keeps the socket from child processes', { skip: missing }, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-notify-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const socket = path.join(dir, 'notify');
    const receiver = await startNotifyReceiver(socket);
    t.after(() => receiver.stop());

    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, NOTIFY_SOCKET: socket };
    const log = recordingLog();
    const notifier = takeNotifySocket({ env, log });
    assert.equal(notifier.socket, socket);
    assert.equal(env.NOTIFY_SOCKET, undefined, 'children (containerd) do not inherit the socket');
    const first = notifier.ready();
    assert.equal(notifier.ready(), first, 'one message, however often it is asked for');
    await first;
    assert.deepEqual(log.warnings, []);

    const ready = await receiver.next();
    assert.match(ready.data, /^READY=1$/m);
    // systemd-notify (root) signs with its parent's PID: systemd sees this process's message.
    if (process.getuid?.() === 0) assert.equal(ready.pid, process.pid);
    assert.match((await receiver.next()).data, /BARRIER=1/);
  });

  it('does nothing without $NOTIFY_SOCKET (OpenRC, by hand)', async () => {
    const log = recordingLog();
    const notifier = takeNotifySocket({ env: { PATH: process.env.PATH }, command: '/nonexistent/systemd-notify', log });
    assert.equal(notifier.socket, undefined);
    await notifier.ready();
    assert.deepEqual(log.warnings, []);
  });

  it('warns and goes on when the message cannot be sent', async () => {
    const log = recordingLog();
    const notifier = takeNotifySocket({ env: { NOTIFY_SOCKET: '/nonexistent/notify' }, command: '/nonexistent/systemd-notify', log });
    await notifier.ready();
    assert.equal(log.warnings.length, 1);
    assert.match(log.warnings[0]!, /could not tell systemd that tsk is ready/);
  });
});
