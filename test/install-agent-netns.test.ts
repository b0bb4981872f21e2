/**
 * An agent installed by scripts/install.sh with the real dist/tsk, in a network namespace of
 * the test's (a second machine): TSK_URL and TSK_TOKEN go into the unit's env file, the unit's
 * ExecStart is run as systemd would (env file, NOTIFY_SOCKET) inside the namespace. The first
 * start joins and reports READY=1; after SIGTERM the next start runs `tsk agent` from the
 * stored credentials and reports READY=1 again; the generated tsk-agent-uninstall.sh removes
 * the data dir and the node network from the namespace. systemctl is a recording fake.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { notifyReceiverMissing, startNotifyReceiver, type NotifyReceiver } from '../pkg/server/notify-testkit.ts';
import { cniMissing } from '../pkg/network/testkit.ts';
import { cleanUpHost } from './lib/agent.ts';
import { freePort, startCluster, type TestCluster } from './lib/cluster.ts';
import { createInstallSandbox, readEnvFile, SHELLS, unitExecStart, type InstallSandbox } from './lib/install.ts';
import { createTestNetns, type TestNetns } from './lib/netns.ts';
import { cleanEnv, TSK_BIN } from './lib/tsk.ts';
import { until } from './lib/until.ts';

const NODE = 'installed-1';
const skip = cniMissing || notifyReceiverMissing || (spawnSync('systemd-notify', ['--version']).status !== 0 ? 'needs systemd-notify' : false);

interface Started {
  pid: number;
  exited: Promise<number | null>;
  log(): string;
}

let netns: TestNetns;
let cluster: TestCluster;
let sb: InstallSandbox;
let receiver: NotifyReceiver;
let dataDir: string;
const running = new Set<Started>();

/** The unit's ExecStart inside the namespace, with the unit's env file and NOTIFY_SOCKET. */
function startUnit(): Started {
  const unit = fs.readFileSync(path.join(sb.systemdDir, 'tsk-agent.service'), 'utf8');
  const env = { ...cleanEnv(readEnvFile(path.join(sb.systemdDir, 'tsk-agent.service.env'))), NOTIFY_SOCKET: receiver.socket };
  const child = spawn('/usr/bin/nsenter', [`--net=/run/netns/${netns.name}`, '--', ...unitExecStart(unit)], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const started: Started = { pid: child.pid!, exited: new Promise((resolve) => child.on('close', resolve)), log: () => log };
  running.add(started);
  void started.exited.then(() => running.delete(started));
  return started;
}

/** Until READY=1 (systemd-notify's BARRIER=1 messages are skipped); fails if tsk exits first. */
async function readyMessage(unit: Started): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const failed = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no READY=1 within 120 s:\n${unit.log().slice(-3000)}`)), 120_000);
    void unit.exited.then((code) => reject(new Error(`tsk exited ${code} before READY=1:\n${unit.log().slice(-3000)}`)));
  });
  try {
    for (;;) {
      const message = await Promise.race([receiver.next(), failed]);
      if (/^READY=1$/m.test(message.data)) return;
    }
  } finally {
    clearTimeout(timer);
  }
}

async function stop(unit: Started): Promise<number | null> {
  process.kill(unit.pid, 'SIGTERM');
  const timer = setTimeout(() => process.kill(unit.pid, 'SIGKILL'), 60_000);
  const code = await unit.exited;
  clearTimeout(timer);
  return code;
}

describe('an agent installed by install.sh, in a network namespace', { skip }, () => {
  before(async () => {
    netns = createTestNetns();
    cluster = await startCluster(['--bind-address', netns.hostIp, '--advertise-address', netns.hostIp]);
    sb = createInstallSandbox({ init: 'systemd' });
    dataDir = path.join(sb.root, 'var', 'lib', 'tsk');
    fs.mkdirSync(sb.binDir, { recursive: true });
    fs.copyFileSync(TSK_BIN, path.join(sb.binDir, 'tsk'));
    fs.chmodSync(path.join(sb.binDir, 'tsk'), 0o755);
    receiver = await startNotifyReceiver(path.join(sb.root, 'notify'));
  });

  after(async () => {
    for (const unit of running) process.kill(unit.pid, 'SIGKILL');
    await Promise.all([...running].map((u) => u.exited));
    receiver?.stop();
    await cluster?.stop();
    if (dataDir && fs.existsSync(dataDir)) cleanUpHost(dataDir);
    netns?.remove();
    sb?.remove();
  });

  it('joins on the first start, runs from its stored credentials on the next, reports READY=1 both times, and uninstalls cleanly', async () => {
    const token = fs.readFileSync(path.join(cluster.dataDir, 'server', 'node-token'), 'utf8').trim();
    const exec = ['agent', '--data-dir', dataDir, '--node-name', NODE, '--node-ip', netns.nsIp, '--kubelet-port', String(await freePort())].join(' ');
    const installed = await sb.install(SHELLS.dash!, { INSTALL_TSK_SKIP_DOWNLOAD: 'true', INSTALL_TSK_EXEC: exec, TSK_URL: `https://${netns.hostIp}:${cluster.port}`, TSK_TOKEN: token });
    assert.equal(installed.code, 0, installed.stderr);
    assert.deepEqual(sb.calls(), ['systemctl daemon-reload', 'systemctl enable tsk-agent', 'systemctl restart tsk-agent']);

    const first = startUnit();
    await readyMessage(first);
    assert.match(first.log(), new RegExp(`joined https://${netns.hostIp.replace(/\./g, '\\.')}:${cluster.port} as node ${NODE}`));
    assert.ok(netns.holds(first.pid), 'tsk runs in the namespace, with the PID systemd started (sh execs it)');
    await until('the node to be Ready', async () => {
      const r = await cluster.kubectl(['get', 'node', NODE, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
      return r.stdout.trim() === 'True' ? true : undefined;
    }, 90_000);
    assert.equal(await stop(first), 0, first.log().slice(-3000));

    const second = startUnit();
    await readyMessage(second);
    assert.match(second.log(), new RegExp(`running node ${NODE} of https://`), 'the second start is `tsk agent`, from the stored credentials');
    assert.doesNotMatch(second.log(), /joining /);
    assert.equal(await stop(second), 0, second.log().slice(-3000));

    const uninstalled = await sb.run(['/usr/bin/nsenter', `--net=/run/netns/${netns.name}`, '--', ...SHELLS.dash!, path.join(sb.binDir, 'tsk-agent-uninstall.sh')]);
    assert.equal(uninstalled.code, 0, uninstalled.stderr);
    assert.ok(!fs.existsSync(dataDir), 'the data dir is gone');
    assert.deepEqual(fs.readdirSync(sb.binDir), [], 'tsk, tsk-killall.sh and the uninstall script are gone');
    assert.doesNotMatch(netns.exec('ip', ['-o', 'link', 'show']), /tsk0|tsk\.1/);
    assert.doesNotMatch(netns.exec('iptables-save', []), /TSK-/);
  });
});
