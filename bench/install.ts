/**
 * Install-to-Ready for a server (issue 7): `node --import tsx bench/install.ts [--markdown]`.
 * Each of BENCH_RUNS (3) runs, on this machine:
 *   install.sh   scripts/install.sh (dash) downloads dist/tsk over loopback HTTP with its
 *                sha256sum file, verifies and installs it, writes the systemd unit, the
 *                killall and uninstall scripts (systemd itself is faked: it is not PID 1 here)
 *   READY=1      the unit's ExecStart started as systemd would (its env file, NOTIFY_SOCKET on a
 *                datagram socket held by python3) until tsk's READY=1 arrives
 *   node Ready   from the same start until `kubectl get nodes` shows the server's Node Ready
 *   upgrade      with a pod running: install.sh rerun with a newer binary (it asks systemd to
 *                restart), then the restart as KillMode=process does it (SIGTERM to tsk only, the
 *                unit's ExecStart again): rerun time, restart → READY=1, restart → `kubectl
 *                exec` into the pod works again (the new kubelet serves; the Node itself stays
 *                Ready through a short restart), and whether the pod kept its container (same
 *                ID, no restart)
 *   uninstall    the generated tsk-uninstall.sh after SIGTERM (kills the shims, unmounts,
 *                removes the node network and the data dir)
 * The embedded agent runs on the host (containerd, tsk0, TSK- chains): takes the host agent turn.
 * Root only.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startNotifyReceiver } from '../pkg/server/notify-testkit.ts';
import { BUSYBOX_IMAGE, takeHostAgentTurn } from '../test/lib/agent.ts';
import { buildBusyboxImage } from '../test/lib/images.ts';
import { freePort } from '../test/lib/cluster.ts';
import { createInstallSandbox, readEnvFile, runProcess, SHELLS, unitExecStart } from '../test/lib/install.ts';
import { cleanEnv, TSK_BIN } from '../test/lib/tsk.ts';
import { fmt, printTable } from './lib/stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const NODE = 'bench-install';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the node network left on the host after uninstall (should be nothing). */
async function leftovers(): Promise<string[]> {
  const left: string[] = [];
  const links = await runProcess(['ip', '-o', 'link', 'show'], process.env);
  for (const dev of ['tsk0', 'tsk.1']) if (links.stdout.includes(` ${dev}:`) || links.stdout.includes(` ${dev}@`)) left.push(dev);
  for (const table of ['nat', 'filter']) {
    const saved = await runProcess(['iptables-save', '-t', table], process.env);
    if (saved.stdout.includes('TSK-')) left.push(`${table} TSK- chains`);
  }
  const routes = await runProcess(['ip', '-4', 'route', 'show', 'proto', '116'], process.env);
  if (routes.stdout.trim()) left.push('proto 116 routes');
  return left;
}

interface Unit {
  pid: number;
  exited: Promise<number | null>;
  log(): string;
}

/** Starts the unit's ExecStart as systemd would: its env file, NOTIFY_SOCKET. */
function startUnit(sb: ReturnType<typeof createInstallSandbox>, notifySocket: string): Unit {
  const argv = unitExecStart(fs.readFileSync(path.join(sb.systemdDir, 'tsk.service'), 'utf8'));
  const env = { ...cleanEnv(readEnvFile(path.join(sb.systemdDir, 'tsk.service.env'))), NOTIFY_SOCKET: notifySocket };
  const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  return { pid: child.pid!, exited: new Promise((resolve) => child.on('close', resolve)), log: () => log };
}

/** The time READY=1 arrives (systemd-notify's BARRIER=1 messages are skipped). */
async function waitReadyMessage(receiver: Awaited<ReturnType<typeof startNotifyReceiver>>, unit: Unit): Promise<number> {
  const died = unit.exited.then((code): never => {
    throw new Error(`tsk exited ${code}: ${unit.log().slice(-2000)}`);
  });
  for (;;) {
    const message = await Promise.race([receiver.next(), died]);
    if (/^READY=1$/m.test(message.data)) return message.at;
  }
}

function kubectl(kubeconfig: string, args: string[], input?: string): string {
  const r = spawnSync('kubectl', ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', input });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Polls until `check` returns a value (every 100 ms, for up to 2 minutes). */
async function poll<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 1200; i++) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    await sleep(100);
  }
  throw new Error(`${what}: not within 2 minutes`);
}

const nodeReady = (kubeconfig: string) => poll('the node to be Ready', async () => (new RegExp(`^${NODE}\\s+Ready\\s`, 'm').test(kubectl(kubeconfig, ['get', 'nodes', '--no-headers'])) ? Date.now() : undefined));

/** The pod's container ID once it runs, and its restart count. */
const podContainer = (kubeconfig: string) => poll('the pod to run', async () => {
  const p = JSON.parse(kubectl(kubeconfig, ['get', 'pod', 'survivor', '-o', 'json']));
  const c = p.status?.containerStatuses?.[0];
  return p.status?.phase === 'Running' && c?.containerID ? `${c.containerID} restarts ${c.restartCount}` : undefined;
});

async function main(): Promise<void> {
  const binary = fs.readFileSync(TSK_BIN);
  let served: Buffer = binary;
  let sum = '';
  /** What the release URL serves from now on. */
  const publish = (bytes: Buffer) => {
    served = bytes;
    sum = createHash('sha256').update(bytes).digest('hex');
  };
  const server = http.createServer((req, res) => {
    if (req.url === '/tsk-linux-amd64') res.writeHead(200, { 'content-length': served.length }).end(served);
    else if (req.url === '/sha256sum-amd64.txt') res.writeHead(200).end(`${sum}  tsk-linux-amd64\n`);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const releaseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const release = await takeHostAgentTurn();
  const rows: string[][] = [];
  try {
    for (let run = 1; run <= RUNS; run++) {
      const sb = createInstallSandbox({ init: 'systemd' });
      const dataDir = path.join(sb.root, 'var', 'lib', 'tsk');
      const exec = ['server', '--data-dir', dataDir, '--https-listen-port', String(await freePort()), '--kubelet-port', String(await freePort()), '--node-name', NODE, '--node-ip', '127.0.0.1'];
      const receiver = await startNotifyReceiver(path.join(sb.root, 'notify'));
      const kubeconfig = path.join(dataDir, 'server', 'cred', 'admin.kubeconfig');
      buildBusyboxImage({ name: BUSYBOX_IMAGE, dir: path.join(dataDir, 'agent', 'images') });
      let unit: Unit | undefined;
      try {
        publish(binary);
        const t0 = Date.now();
        const installed = await sb.install(SHELLS.dash!, { INSTALL_TSK_RELEASE_URL: releaseUrl, INSTALL_TSK_EXEC: exec.join(' '), ARCH: 'amd64' });
        if (installed.code !== 0) throw new Error(`install.sh failed: ${installed.stderr}`);
        const t1 = Date.now();
        unit = startUnit(sb, receiver.socket);
        const readyAt = await waitReadyMessage(receiver, unit);
        const nodeReadyAt = await nodeReady(kubeconfig);

        // Upgrade with a pod running.
        kubectl(kubeconfig, ['create', '-f', '-'], JSON.stringify({
          apiVersion: 'v1', kind: 'Pod', metadata: { name: 'survivor', namespace: 'default' },
          spec: { nodeName: NODE, containers: [{ name: 'c', image: BUSYBOX_IMAGE, imagePullPolicy: 'Never', command: ['sleep', '3600'] }] },
        }));
        const before = await podContainer(kubeconfig);
        publish(Buffer.concat([binary, Buffer.from(`\nupgrade ${run}`)]));
        const u0 = Date.now();
        const rerun = await sb.install(SHELLS.dash!, { INSTALL_TSK_RELEASE_URL: releaseUrl, INSTALL_TSK_EXEC: exec.join(' '), ARCH: 'amd64' });
        if (rerun.code !== 0) throw new Error(`install.sh (upgrade) failed: ${rerun.stderr}`);
        const u1 = Date.now();
        if (sb.calls().filter((c) => c === 'systemctl restart tsk').length !== 2) throw new Error(`the rerun did not restart the service: ${sb.calls().join('; ')}`);
        process.kill(unit.pid, 'SIGTERM');
        await unit.exited;
        const restartAt = Date.now();
        unit = startUnit(sb, receiver.socket);
        const upgradedReadyAt = await waitReadyMessage(receiver, unit);
        // The Node stays Ready through a short restart; an exec working again shows the new kubelet serving.
        const upgradedAt = await poll('exec through the new kubelet', async () => {
          kubectl(kubeconfig, ['exec', 'survivor', '--', 'true']);
          return Date.now();
        });
        const after = await podContainer(kubeconfig);

        process.kill(unit.pid, 'SIGTERM');
        await unit.exited;
        unit = undefined;
        const t2 = Date.now();
        const uninstalled = await sb.run([...SHELLS.dash!, path.join(sb.binDir, 'tsk-uninstall.sh')]);
        if (uninstalled.code !== 0) throw new Error(`uninstall failed: ${uninstalled.stderr}`);
        const t3 = Date.now();
        const left = await leftovers();
        rows.push([
          String(run), fmt(t1 - t0, 0), fmt(readyAt - t1, 0), fmt(nodeReadyAt - t1, 0), fmt(nodeReadyAt - t0, 0),
          fmt(u1 - u0, 0), fmt(upgradedReadyAt - restartAt, 0), fmt(upgradedAt - restartAt, 0), after === before ? 'yes' : `no (${before} → ${after})`,
          fmt(t3 - t2, 0), left.length ? left.join(', ') : 'nothing', fs.existsSync(dataDir) ? 'data dir left' : 'removed',
        ]);
      } finally {
        if (unit) {
          process.kill(unit.pid, 'SIGKILL');
          await unit.exited;
          await sb.run([...SHELLS.dash!, path.join(sb.binDir, 'tsk-uninstall.sh')]);
        }
        receiver.stop();
        sb.remove();
      }
    }
  } finally {
    await release();
    server.close();
  }
  console.log(`dist/tsk ${fmt(binary.length / 1024 / 1024, 0)} MiB, ${RUNS} runs, times in ms`);
  printTable(['run', 'install.sh', 'start → READY=1', 'start → node Ready', 'install → node Ready', 'rerun install.sh', 'restart → READY=1', 'restart → exec works', 'pod kept', 'uninstall', 'network left', 'data dir'], rows);
}

await main();
