/**
 * Install-to-Ready for a server (issue 7): `node --import tsx bench/install.ts [--markdown]`.
 * Each of BENCH_RUNS (3) runs, on this machine:
 *   install.sh   scripts/install.sh (dash) downloads dist/tsk over loopback HTTP with its
 *                sha256sum file, verifies and installs it, writes the systemd unit, the
 *                killall and uninstall scripts (systemd itself is faked: it is not PID 1 here)
 *   READY=1      the unit's ExecStart started as systemd would (its env file, NOTIFY_SOCKET on a
 *                datagram socket held by python3) until tsk's READY=1 arrives
 *   node Ready   from the same start until `kubectl get nodes` shows the server's Node Ready
 *   uninstall    the generated tsk-uninstall.sh after SIGTERM (kills the shims, unmounts,
 *                removes the node network and the data dir)
 * The embedded agent runs on the host (containerd, tsk0, TSK- chains): takes the host agent turn.
 * Root only.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startNotifyReceiver } from '../pkg/server/notify-testkit.ts';
import { takeHostAgentTurn } from '../test/lib/agent.ts';
import { freePort } from '../test/lib/cluster.ts';
import { createInstallSandbox, runProcess, SHELLS } from '../test/lib/install.ts';
import { cleanEnv, TSK_BIN } from '../test/lib/tsk.ts';
import { fmt, printTable } from './lib/stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const NODE = 'bench-install';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The words of the unit's ExecStart (double-quoted words as systemd reads them). */
function execStart(unit: string): string[] {
  const line = /^ExecStart=(.*)$/m.exec(unit)![1]!;
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1').replace(/\$\$/g, '$').replace(/%%/g, '%') : m[2]!));
}

/** KEY='value' lines as install.sh writes them (values single-quoted for sh). */
function envFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const eq = line.indexOf('=');
    out[line.slice(0, eq)] = line.slice(eq + 1).replace(/^'|'$/g, '').replace(/'\\''/g, "'");
  }
  return out;
}

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

async function main(): Promise<void> {
  const binary = fs.readFileSync(TSK_BIN);
  const sum = createHash('sha256').update(binary).digest('hex');
  const server = http.createServer((req, res) => {
    if (req.url === '/tsk-linux-amd64') res.writeHead(200, { 'content-length': binary.length }).end(binary);
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
      let tsk: ReturnType<typeof runProcess> | undefined;
      let tskPid: number | undefined;
      try {
        const t0 = Date.now();
        const installed = await sb.install(SHELLS.dash!, { INSTALL_TSK_RELEASE_URL: releaseUrl, INSTALL_TSK_EXEC: exec.join(' '), ARCH: 'amd64' });
        if (installed.code !== 0) throw new Error(`install.sh failed: ${installed.stderr}`);
        const t1 = Date.now();
        const unit = fs.readFileSync(path.join(sb.systemdDir, 'tsk.service'), 'utf8');
        const argv = execStart(unit);
        const env = { ...cleanEnv(envFile(path.join(sb.systemdDir, 'tsk.service.env'))), NOTIFY_SOCKET: receiver.socket };
        const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
        tskPid = child.pid;
        let log = '';
        child.stderr.on('data', (d: Buffer) => (log += d.toString()));
        tsk = new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout: '', stderr: log })));
        const ready = await Promise.race([receiver.next(), tsk.then((r) => { throw new Error(`tsk exited ${r.code}: ${log.slice(-2000)}`); })]);
        if (!/READY=1/.test(ready.data)) throw new Error(`unexpected notify message ${ready.data}`);
        const kubeconfig = path.join(dataDir, 'server', 'cred', 'admin.kubeconfig');
        let nodeReadyAt = 0;
        for (let i = 0; i < 1200 && !nodeReadyAt; i++) {
          const nodes = await runProcess(['kubectl', '--kubeconfig', kubeconfig, 'get', 'nodes', '--no-headers'], process.env);
          if (new RegExp(`^${NODE}\\s+Ready\\s`, 'm').test(nodes.stdout)) nodeReadyAt = Date.now();
          else await sleep(100);
        }
        if (!nodeReadyAt) throw new Error('the node did not become Ready in 2 minutes');
        child.kill('SIGTERM');
        await tsk;
        tskPid = undefined;
        const t2 = Date.now();
        const uninstalled = await sb.run([...SHELLS.dash!, path.join(sb.binDir, 'tsk-uninstall.sh')]);
        if (uninstalled.code !== 0) throw new Error(`uninstall failed: ${uninstalled.stderr}`);
        const t3 = Date.now();
        const left = await leftovers();
        rows.push([String(run), fmt(t1 - t0, 0), fmt(ready.at - t1, 0), fmt(nodeReadyAt - t1, 0), fmt(nodeReadyAt - t0, 0), fmt(t3 - t2, 0), left.length ? left.join(', ') : 'nothing', fs.existsSync(dataDir) ? 'data dir left' : 'removed']);
      } finally {
        if (tskPid !== undefined) {
          process.kill(tskPid, 'SIGKILL');
          await tsk;
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
  printTable(['run', 'install.sh', 'start → READY=1', 'start → node Ready', 'install → node Ready', 'uninstall', 'network left', 'data dir'], rows);
}

await main();
