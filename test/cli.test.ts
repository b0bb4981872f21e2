/**
 * The executable's command-line contract, on the real dist/tsk: help, version, errors as one
 * "tsk: " line with exit 1, flag/env/config-file precedence (seen through --print-config),
 * the data dir lock, clean shutdown on signals, the binary running when copied alone, and
 * the etcd v3 API on --etcd-listen-client-url.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { freeLoopbackPort, startEtcd } from './lib/etcd.ts';
import { cleanEnv, ROOT, runTsk, startTsk, TSK_BIN, type TskProcess } from './lib/tsk.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-cli-'));
const started: TskProcess[] = [];
after(async () => {
  await Promise.all(started.map((p) => p.kill()));
  fs.rmSync(tmp, { recursive: true, force: true });
});

const EMPTY = path.join(tmp, 'empty.yaml');
fs.writeFileSync(EMPTY, '');
let dirs = 0;
function dataDir(): string {
  return path.join(tmp, `data-${dirs++}`);
}

/** A server on its own data dir, ready when its "started" line is logged. */
async function startServer(dir: string, extra: string[] = [], bin?: string, env?: NodeJS.ProcessEnv): Promise<TskProcess> {
  const proc = startTsk(['server', '--config', EMPTY, '--data-dir', dir, ...extra], { bin, env });
  started.push(proc);
  await proc.waitForLog(/ server +started\n/);
  return proc;
}

const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };

describe('tsk command line', () => {
  it('prints help', async () => {
    const r = await runTsk(['--help']);
    assert.equal(r.code, 0);
    for (const cmd of ['server', 'agent', 'simulate']) assert.match(r.stdout, new RegExp(`^  ${cmd} `, 'm'));
  });

  it('prints its version and Node\'s', async () => {
    const r = await runTsk(['--version']);
    assert.equal(r.code, 0);
    // The Node inside the executable: this machine's for `make`, 24 LTS for release builds (TSK_TEST_BIN).
    const node = process.env.TSK_TEST_BIN ? String.raw`v\d+\.\d+\.\d+` : process.version.replace(/\./g, '\\.');
    assert.match(r.stdout, new RegExp(`^tsk version v${version.replace(/\./g, '\\.')}\nnode version ${node}\n$`));
  });

  it('prints server, agent and agent join help', async () => {
    const server = await runTsk(['server', '--help']);
    assert.equal(server.code, 0);
    for (const flag of ['--data-dir', '--https-listen-port', '--datastore-endpoint', '--etcd-listen-client-url', '--disable-agent', '--node-monitor-grace-period', '--config', '--debug']) {
      assert.ok(server.stdout.includes(flag), flag);
    }
    const agent = await runTsk(['agent', '--help']);
    assert.equal(agent.code, 0);
    assert.match(agent.stdout, /^Commands:\n  join /m);
    const join = await runTsk(['agent', 'join', '--help']);
    assert.match(join.stdout, /--server <URL>.*\[\$TSK_URL\]/);
    assert.match(join.stdout, /--token <SECRET>/);
  });

  it('rejects an unknown flag with one line and exit 1', async () => {
    const r = await runTsk(['server', '--no-such-flag']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^tsk: unknown option '--no-such-flag' \(see tsk server --help\)\n$/);
  });

  it('names the flag, the env var or the config file key of a bad value', async () => {
    const flag = await runTsk(['server', '--config', EMPTY, '--https-listen-port', '70000']);
    assert.equal(flag.code, 1);
    assert.equal(flag.stderr, 'tsk: --https-listen-port: must be a port number from 1 to 65535, got "70000"\n');
    const env = await runTsk(['server', '--config', EMPTY], { env: cleanEnv({ TSK_NODE_MONITOR_GRACE_PERIOD: '40' }) });
    assert.equal(env.code, 1);
    assert.match(env.stderr, /^tsk: env TSK_NODE_MONITOR_GRACE_PERIOD: must be a duration/);
    const file = path.join(tmp, 'bad.yaml');
    fs.writeFileSync(file, 'cluster-cidr: 10.42.0.0/40\n');
    const fromFile = await runTsk(['server', '--config', file]);
    assert.equal(fromFile.code, 1);
    assert.match(fromFile.stderr, new RegExp(`^tsk: ${file}: cluster-cidr: must be a CIDR`));
    const missing = await runTsk(['server', '--config', path.join(tmp, 'nope.yaml')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^tsk: config file .*nope\.yaml \(from --config\): no such file\n$/);
  });

  it('rejects bad combinations', async () => {
    const r = await runTsk(['server', '--config', EMPTY, '--disable-agent', '--node-ip', '10.0.0.5']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'tsk: --node-ip: configures the agent, which --disable-agent turns off\n');
    const http = await runTsk(['agent', 'join', '--config', EMPTY, '--server', 'http://127.0.0.1:6443']);
    assert.equal(http.code, 1);
    assert.equal(http.stderr, 'tsk: --server: must be an https:// URL, got "http://127.0.0.1:6443"\n');
    const join = await runTsk(['agent', 'join', '--config', EMPTY, '--server', 'https://127.0.0.1:6443']);
    assert.equal(join.code, 1);
    assert.match(join.stderr, /^tsk: --token is required/);
  });

  it('resolves flag > env > config file > default', async () => {
    const file = path.join(tmp, 'config.yaml');
    fs.writeFileSync(file, ['https-listen-port: 7001', 'cluster-domain: file.local', 'bind-address: 127.0.0.2', 'tls-san: [from-file]', 'write-kubeconfig-mode: 0644', ''].join('\n'));
    const r = await runTsk(['server', '--https-listen-port', '7003', '--print-config'], {
      env: cleanEnv({ TSK_CONFIG_FILE: file, TSK_HTTPS_LISTEN_PORT: '7002', TSK_CLUSTER_DOMAIN: 'env.local' }),
    });
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(c.configFile, file);
    assert.equal(c.httpsListenPort, 7003);
    assert.equal(c.clusterDomain, 'env.local');
    assert.equal(c.bindAddress, '127.0.0.2');
    assert.deepEqual(c.tlsSans, ['from-file']);
    assert.equal(c.writeKubeconfigMode, 0o644);
    assert.equal(c.clusterCidr, '10.42.0.0/16');
  });

  it('says clearly that an agent must join first, and names --server when simulate cannot reach it', async () => {
    const empty = dataDir();
    const agent = await runTsk(['agent', '--config', EMPTY, '--data-dir', empty]);
    assert.equal(agent.code, 1);
    assert.match(agent.stderr, /^tsk: no node credentials in .+: run tsk agent join first/);
    assert.equal(fs.existsSync(empty), false, 'an agent with nothing stored creates nothing');
    const sim = await runTsk(['simulate', '--config', EMPTY, '--server', 'https://127.0.0.1:1', '--token', `K10${'0'.repeat(64)}::server:x`, '--nodes', '2']);
    assert.equal(sim.code, 1);
    assert.match(sim.stderr, /^tsk: cannot reach the server at https:\/\/127\.0\.0\.1:1 \(--server\): .+\n$/);
  });
});

describe('tsk server process', () => {
  it('creates the data dir, and exits 0 on SIGTERM and on SIGINT', async () => {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      const dir = dataDir();
      const server = await startServer(dir);
      assert.equal(fs.statSync(path.join(dir, 'server')).mode & 0o777, 0o700);
      assert.ok(fs.existsSync(path.join(dir, 'server', 'db', 'state.db')));
      server.signal(sig);
      assert.equal(await server.exited, 0, server.stderr());
      assert.match(server.stderr(), /shut down cleanly/);
    }
  });

  it('refuses a second server on the same data dir, and not after the first was killed', async () => {
    const dir = dataDir();
    const first = await startServer(dir);
    const second = await runTsk(['server', '--config', EMPTY, '--data-dir', dir]);
    assert.equal(second.code, 1);
    assert.match(second.stderr, new RegExp(`^tsk: data dir ${dir} is in use by another tsk process \\(pid ${first.pid}\\)`, 'm'));
    // kill -9 leaves no stale lock behind.
    await first.kill();
    const third = await startServer(dir);
    third.signal('SIGTERM');
    assert.equal(await third.exited, 0, third.stderr());
  });

  it('uses an external etcd given by --datastore-endpoint', async () => {
    const etcd = await startEtcd();
    try {
      const server = await startServer(dataDir(), ['--datastore-endpoint', `etcd://${etcd.endpoint}`]);
      assert.match(server.stderr(), / kv +opened etcd /);
      server.signal('SIGTERM');
      assert.equal(await server.exited, 0, server.stderr());
    } finally {
      await etcd.stop();
    }
  });

  it('stops cleanly on SIGTERM while still waiting for its datastore', async () => {
    // Nothing listens on a port just found free: the etcd backend keeps retrying.
    const port = await freeLoopbackPort();
    const proc = startTsk(['server', '--config', EMPTY, '--data-dir', dataDir(), '--datastore-endpoint', `etcd://127.0.0.1:${port}`]);
    started.push(proc);
    await proc.waitForLog(/ kv +opening etcd /);
    proc.signal('SIGTERM');
    assert.equal(await proc.exited, 0, proc.stderr());
    assert.match(proc.stderr(), /stopped during startup/);
  });

  it('runs when the executable is copied alone into another folder', async () => {
    const alone = path.join(tmp, 'alone');
    const home = path.join(tmp, 'home');
    fs.mkdirSync(alone);
    fs.mkdirSync(home);
    const bin = path.join(alone, 'tsk');
    fs.copyFileSync(TSK_BIN, bin);
    fs.chmodSync(bin, 0o755);
    const v = await runTsk(['--version'], { bin, cwd: alone });
    assert.equal(v.code, 0);
    // A fresh HOME: the SQLite addon is unpacked from the executable, not found in node_modules.
    const server = await startServer(dataDir(), [], bin, cleanEnv({ HOME: home }));
    assert.ok(fs.readdirSync(path.join(home, '.cache', 'tsk')).some((f) => f.endsWith('.node')));
    server.signal('SIGTERM');
    assert.equal(await server.exited, 0, server.stderr());
  });

  it('serves the etcd v3 API on --etcd-listen-client-url, and stops with a watch open', async () => {
    const port = await freeLoopbackPort();
    const server = await startServer(dataDir(), ['--etcd-listen-client-url', `http://127.0.0.1:${port}`]);
    assert.match(server.stderr(), /etcdapi +serving the etcd v3 API on 127\.0\.0\.1:\d+/);
    const env = { ...cleanEnv(), ETCDCTL_API: '3' };
    const endpoint = `--endpoints=127.0.0.1:${port}`;
    const etcdctl = (...args: string[]) => promisify(execFile)('etcdctl', [endpoint, ...args], { env, timeout: 30_000 });
    await etcdctl('put', '/tsk-test/a', 'hello');
    assert.equal((await etcdctl('get', '/tsk-test/a', '--print-value-only')).stdout.trim(), 'hello');

    // A watch stream never ends by itself: shutdown must not wait for it.
    const watch = spawn('etcdctl', [endpoint, 'watch', '/tsk-test/w'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const seen = new Promise<void>((resolve) => {
        let out = '';
        watch.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('watched')) resolve();
        });
      });
      // Put until the watch reports one (the watch may be set up after the first put).
      let watched = false;
      for (let i = 0; i < 600 && !watched; i++) {
        await etcdctl('put', '/tsk-test/w', 'watched');
        watched = await Promise.race([seen.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 100))]);
      }
      assert.ok(watched, 'etcdctl watch never reported the put');
      server.signal('SIGTERM');
      assert.equal(await server.exited, 0, server.stderr());
      assert.doesNotMatch(server.stderr(), /did not stop/);
    } finally {
      if (watch.exitCode === null && watch.signalCode === null) process.kill(watch.pid!, 'SIGKILL');
    }
  });
});
