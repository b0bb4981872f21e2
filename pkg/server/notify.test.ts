import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import type { Logger } from '../log/log.ts';
import { takeNotifySocket } from './notify.ts';

/** Python, because Node has no unix datagram sockets: systemd's side of $NOTIFY_SOCKET. */
const RECEIVER = `
import array, json, os, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(sys.argv[1])
print("listening", flush=True)
while True:
    data, ancillary, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12) + socket.CMSG_SPACE(64))
    pid = None
    for level, kind, payload in ancillary:
        if kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", payload[:12])[0]
        if kind == socket.SCM_RIGHTS:
            fds = array.array("i")
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
            # Closing the barrier's pipe is what systemd-notify waits for.
            for fd in fds:
                os.close(fd)
    print(json.dumps({"data": data.decode(), "pid": pid}), flush=True)
    if "BARRIER=1" in data.decode():
        break
`;

const PYTHON = '/usr/bin/python3';
const missing = !fs.existsSync(PYTHON) ? 'needs /usr/bin/python3' : spawnSync('systemd-notify', ['--version']).status !== 0 ? 'needs systemd-notify' : false;

function recordingLog(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug: () => {}, info: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
}

describe('systemd readiness', () => {
  it('sends READY=1 to $NOTIFY_SOCKET in tsk\'s name, once, and keeps the socket from child processes', { skip: missing }, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-notify-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const socket = path.join(dir, 'notify');
    const receiver = spawn(PYTHON, ['-c', RECEIVER, socket], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.after(() => receiver.kill('SIGKILL'));
    const lines = createInterface({ input: receiver.stdout })[Symbol.asyncIterator]();
    assert.equal((await lines.next()).value, 'listening');

    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, NOTIFY_SOCKET: socket };
    const log = recordingLog();
    const notifier = takeNotifySocket({ env, log });
    assert.equal(notifier.socket, socket);
    assert.equal(env.NOTIFY_SOCKET, undefined, 'children (containerd) do not inherit the socket');
    await Promise.all([notifier.ready(), notifier.ready()]);
    await notifier.ready();
    assert.deepEqual(log.warnings, []);

    const ready = JSON.parse((await lines.next()).value as string) as { data: string; pid: number };
    assert.match(ready.data, /^READY=1$/m);
    // systemd-notify (root) signs with its parent's PID: systemd sees this process's message.
    if (process.getuid?.() === 0) assert.equal(ready.pid, process.pid);
    const barrier = JSON.parse((await lines.next()).value as string) as { data: string };
    assert.match(barrier.data, /BARRIER=1/);
    await new Promise((resolve) => receiver.once('exit', resolve));
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
