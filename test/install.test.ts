/**
 * scripts/install.sh under dash and busybox ash, in a sandbox (test/lib/install.ts): the unit
 * or OpenRC service it writes, the agent's env file, what it refuses (http URLs, bad
 * checksums, unknown architectures, no init system), upgrades by rerunning, and uninstall
 * leaving the root as it was. Releases are served over loopback HTTP from this process.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { until } from './lib/until.ts';
import { createInstallSandbox, listTree, readEnvFile, SHELLS, unitExecStart, type InstallSandbox, type SandboxOptions } from './lib/install.ts';

const fakeTsk = (version: string) => `#!/bin/sh\necho "tsk ${version} $*"\n`;

/** The release files served: path → body. */
const release = new Map<string, string>();
let server: http.Server;
let releaseUrl: string;

before(async () => {
  server = http.createServer((req, res) => {
    const body = release.get(req.url ?? '');
    res.writeHead(body === undefined ? 404 : 200).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  releaseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => server.close());

/** Publishes `binary` as release `version` for amd64 (this machine) with its checksum file. */
function publish(version: string, binary: string, sum = createHash('sha256').update(binary).digest('hex')): string {
  release.set(`/${version}/tsk-linux-amd64`, binary);
  release.set(`/${version}/sha256sum-amd64.txt`, `${'0'.repeat(64)}  tsk-linux-arm64\n${sum}  tsk-linux-amd64\n`);
  return `${releaseUrl}/${version}`;
}

function placeBinary(sb: InstallSandbox, version: string): void {
  fs.mkdirSync(sb.binDir, { recursive: true });
  fs.writeFileSync(path.join(sb.binDir, 'tsk'), fakeTsk(version), { mode: 0o755 });
}

/** A sandbox removed when the test ends, whatever happened. */
function sandbox(t: { after(fn: () => void): void }, init: SandboxOptions['init']): InstallSandbox {
  const sb = createInstallSandbox({ init });
  t.after(() => sb.remove());
  return sb;
}

/** The PIDs whose parent is `pid`. */
function children(pid: number): number[] {
  return fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).filter((e) => {
    try {
      return fs.readFileSync(`/proc/${e}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1] === String(pid);
    } catch {
      return false;
    }
  }).map(Number);
}

/** Killall and uninstall run in a network namespace of their own (root only). */
const notRoot = process.getuid?.() !== 0 ? 'needs root' : false;

const read = (file: string) => fs.readFileSync(file, 'utf8');
const mode = (file: string) => fs.statSync(file).mode & 0o777;

function ok(result: { code: number | null; stderr: string; stdout: string }): void {
  assert.equal(result.code, 0, `install.sh failed:\n${result.stdout}${result.stderr}`);
}

for (const [shellName, shell] of Object.entries(SHELLS)) {
  describe(`install.sh under ${shellName}`, () => {
    it('installs a server: a systemd unit running `tsk server` with the flags given, enabled and started', async (t) => {
      const sb = sandbox(t, 'systemd');
      placeBinary(sb, 'v1');
      const result = await sb.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true', INSTALL_TSK_EXEC: '--disable servicelb', TSK_TOKEN: 'secret', HTTPS_PROXY: 'http://proxy:3128', LANG: 'C' }, ['--node-label', "team=a b'c$%"]);
      ok(result);
      const unit = read(path.join(sb.systemdDir, 'tsk.service'));
      assert.deepEqual(unitExecStart(unit), [path.join(sb.binDir, 'tsk'), 'server', '--disable', 'servicelb', '--node-label', "team=a b'c$%"]);
      for (const line of ['Type=notify', 'NotifyAccess=all', 'KillMode=process', 'Delegate=yes', 'Restart=always', 'RestartSec=5s', 'TimeoutStartSec=0', 'LimitNOFILE=1048576']) {
        assert.match(unit, new RegExp(`^${line}$`, 'm'));
      }
      const envFile = path.join(sb.systemdDir, 'tsk.service.env');
      assert.match(unit, new RegExp(`^EnvironmentFile=-${envFile}$`, 'm'));
      assert.equal(mode(envFile), 0o600);
      assert.equal(read(envFile), "HTTPS_PROXY='http://proxy:3128'\nTSK_TOKEN='secret'\n", 'TSK_* and proxy variables only');
      assert.deepEqual(sb.calls(), ['systemctl daemon-reload', 'systemctl enable tsk', 'systemctl restart tsk']);
      for (const script of ['tsk-killall.sh', 'tsk-uninstall.sh']) assert.equal(mode(path.join(sb.binDir, script)), 0o755, script);
      assert.equal(read(path.join(sb.binDir, 'tsk')), fakeTsk('v1'), 'the binary is left as it was');
      assert.doesNotMatch(result.stderr, /memory cgroup/);
    });

    it('installs an agent from TSK_URL and TSK_TOKEN: tsk-agent unit that joins once, token in a 0600 env file', async (t) => {
      const sb = sandbox(t, 'systemd');
      placeBinary(sb, 'v1');
      const token = "K10abc::server:s3cr'et";
      ok(await sb.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true', TSK_URL: 'https://10.0.0.1:6443', TSK_TOKEN: token }, ['--node-name', 'pi 4']));
      const unit = read(path.join(sb.systemdDir, 'tsk-agent.service'));
      const envFile = path.join(sb.systemdDir, 'tsk-agent.service.env');
      assert.equal(mode(envFile), 0o600);
      // The env file is read by systemd and by sh alike: sh gives back the exact values.
      const sourced = await sb.run([...shell, '-c', `set -a; . '${envFile}'; echo "$TSK_URL"; echo "$TSK_TOKEN"`]);
      assert.equal(sourced.stdout, `https://10.0.0.1:6443\n${token}\n`);
      assert.ok(!unit.includes('s3cr'), 'the token is not in the world-readable unit');
      assert.ok(fs.existsSync(path.join(sb.binDir, 'tsk-agent-uninstall.sh')));
      assert.ok(!fs.existsSync(path.join(sb.binDir, 'tsk-uninstall.sh')));
      assert.deepEqual(sb.calls(), ['systemctl daemon-reload', 'systemctl enable tsk-agent', 'systemctl restart tsk-agent']);
      // Run the unit's command line as systemd would: join first, `tsk agent` once joined.
      const words = unitExecStart(unit);
      assert.deepEqual(words.slice(0, 2), ['/bin/sh', '-c']);
      const first = await sb.run(words);
      assert.equal(first.stdout, 'tsk v1 agent join --node-name pi 4\n');
      const joined = path.join(sb.root, 'var', 'lib', 'tsk', 'agent', 'node-config.json');
      fs.mkdirSync(path.dirname(joined), { recursive: true });
      fs.writeFileSync(joined, '{}');
      assert.equal((await sb.run(words)).stdout, 'tsk v1 agent --node-name pi 4\n');
    });

    it('moves --server and --token given as arguments into the env file, out of the unit', async (t) => {
      const sb = sandbox(t, 'systemd');
      placeBinary(sb, 'v1');
      ok(await sb.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true' }, ['agent', '--server', 'https://10.0.0.1:6443', '--token=K10abc::server:s3cret', '--node-name', 'pi']));
      const unit = read(path.join(sb.systemdDir, 'tsk-agent.service'));
      assert.ok(!unit.includes('s3cret') && !unit.includes('10.0.0.1'), unit);
      assert.equal(read(path.join(sb.systemdDir, 'tsk-agent.service.env')), "TSK_TOKEN='K10abc::server:s3cret'\nTSK_URL='https://10.0.0.1:6443'\n");
      assert.equal((await sb.run(unitExecStart(unit))).stdout, 'tsk v1 agent join --node-name pi\n');
      // A server joining another (HA) keeps its command: --server does not make it an agent.
      ok(await sb.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true' }, ['--server', 'https://10.0.0.1:6443', '--token', 'secret']));
      assert.deepEqual(unitExecStart(read(path.join(sb.systemdDir, 'tsk.service'))), [path.join(sb.binDir, 'tsk'), 'server']);
      assert.equal(read(path.join(sb.systemdDir, 'tsk.service.env')), "TSK_TOKEN='secret'\nTSK_URL='https://10.0.0.1:6443'\n");
      const http = await sb.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true' }, ['server', '--server=http://10.0.0.1:6443']);
      assert.notEqual(http.code, 0);
      assert.match(http.stderr, /TSK_URL must be an https:\/\/ URL/);
    });

    it('refuses an http:// server URL before writing anything', async (t) => {
      const sb = sandbox(t, 'systemd');
      placeBinary(sb, 'v1');
      const before = listTree(sb.root);
      const result = await sb.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true', TSK_URL: 'http://10.0.0.1:6443', TSK_TOKEN: 't' });
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /TSK_URL must be an https:\/\/ URL \(got http:\/\/10\.0\.0\.1:6443\)/);
      assert.deepEqual(listTree(sb.root), before);
      assert.deepEqual(sb.calls(), []);
      const noToken = await sb.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true', TSK_URL: 'https://10.0.0.1:6443' });
      assert.notEqual(noToken.code, 0);
      assert.match(noToken.stderr, /TSK_TOKEN/);
    });

    it('downloads and verifies the release, refuses a checksum mismatch, and upgrades on a rerun', async (t) => {
      const sb = sandbox(t, 'systemd');
      const bad = publish(`bad-${shellName.replace(' ', '-')}`, fakeTsk('evil'), 'f'.repeat(64));
      const refused = await sb.install(shell, { INSTALL_TSK_RELEASE_URL: bad });
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /checksum mismatch for tsk-linux-amd64: expected f{64}, downloaded [0-9a-f]{64}/);
      assert.ok(!fs.existsSync(path.join(sb.binDir, 'tsk')), 'nothing installed');
      assert.deepEqual(sb.calls(), []);

      ok(await sb.install(shell, { INSTALL_TSK_RELEASE_URL: publish('v1', fakeTsk('v1')) }));
      assert.equal(read(path.join(sb.binDir, 'tsk')), fakeTsk('v1'));
      assert.equal(mode(path.join(sb.binDir, 'tsk')), 0o755);
      const again = await sb.install(shell, { INSTALL_TSK_RELEASE_URL: publish('v1', fakeTsk('v1')) });
      ok(again);
      assert.match(again.stdout, /already this release/);
      ok(await sb.install(shell, { INSTALL_TSK_RELEASE_URL: publish('v2', fakeTsk('v2')) }));
      assert.equal(read(path.join(sb.binDir, 'tsk')), fakeTsk('v2'));
      assert.deepEqual(sb.calls().filter((c) => c.includes('restart')), ['systemctl restart tsk', 'systemctl restart tsk', 'systemctl restart tsk']);
      assert.deepEqual(fs.readdirSync(sb.binDir).sort(), ['tsk', 'tsk-killall.sh', 'tsk-uninstall.sh'], 'no temporary files left');
    });

    it('writes an OpenRC service under supervise-daemon where systemd is not running', async (t) => {
      const sb = sandbox(t, 'openrc');
      placeBinary(sb, 'v1');
      ok(await sb.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true', INSTALL_TSK_NAME: 'edge', TSK_TOKEN: 'tok' }, ['server', '--tls-san', "a'b"]));
      const script = path.join(sb.initDir, 'tsk-edge');
      const text = read(script);
      assert.match(text, /^#!\/sbin\/openrc-run$/m);
      assert.match(text, /^supervisor=supervise-daemon$/m);
      assert.match(text, /^respawn_delay=5$/m);
      assert.match(text, /^respawn_max=0$/m);
      assert.equal(mode(path.join(sb.initDir, 'tsk-edge.env')), 0o600);
      assert.ok(!fs.existsSync(sb.systemdDir), 'no systemd unit');
      // What openrc-run would run: the script's variables, with its env file sourced.
      const shown = await sb.run([...shell, '-c', `. '${script}'; eval "set -- $command_args"; echo "$command"; printf '%s\\n' "$@"; echo "$TSK_TOKEN"`]);
      assert.equal(shown.stdout, `${path.join(sb.binDir, 'tsk')}\nserver\n--tls-san\na'b\ntok\n`);
      assert.deepEqual(sb.calls(), ['rc-update add tsk-edge default', 'rc-service tsk-edge restart']);
      assert.ok(fs.existsSync(path.join(sb.binDir, 'tsk-edge-uninstall.sh')));
      // An agent under OpenRC: the same join-once launcher, run by sh.
      ok(await sb.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true', TSK_URL: 'https://10.0.0.1:6443', TSK_TOKEN: 'tok' }, ['--node-name', 'pi 4']));
      const agent = path.join(sb.initDir, 'tsk-agent');
      const launched = await sb.run([...shell, '-c', `. '${agent}'; eval "set -- $command_args"; exec "$command" "$@"`]);
      assert.equal(launched.stdout, 'tsk v1 agent join --node-name pi 4\n');
      assert.equal(mode(path.join(sb.initDir, 'tsk-agent.env')), 0o600);
    });

    it('uninstall stops the service and removes everything install.sh and tsk put there', { skip: notRoot }, async (t) => {
      const sb = sandbox(t, 'systemd');
      placeBinary(sb, 'v1');
      const before = listTree(sb.root);
      ok(await sb.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true' }));
      ok(await sb.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true', INSTALL_TSK_NAME: 'second', INSTALL_TSK_SKIP_START: 'true' }));
      // What tsk itself writes at run time.
      for (const dir of ['var/lib/tsk/server/db', 'etc/tsk']) fs.mkdirSync(path.join(sb.root, dir), { recursive: true });
      fs.writeFileSync(path.join(sb.root, 'var/lib/tsk/server/db/state.db'), 'x');
      fs.rmSync(path.join(sb.root, 'calls.log'));

      ok(await sb.runIsolated([...shell, path.join(sb.binDir, 'tsk-second-uninstall.sh')]));
      assert.ok(fs.existsSync(path.join(sb.binDir, 'tsk')), 'another service still needs tsk');
      assert.ok(fs.existsSync(path.join(sb.root, 'var/lib/tsk/server/db/state.db')));
      assert.ok(!fs.existsSync(path.join(sb.systemdDir, 'tsk-second.service')));

      fs.rmSync(path.join(sb.root, 'calls.log'));
      ok(await sb.runIsolated([...shell, path.join(sb.binDir, 'tsk-uninstall.sh')]));
      assert.deepEqual(sb.calls(), ['systemctl stop tsk.service', 'systemctl disable tsk', 'systemctl reset-failed tsk', 'systemctl daemon-reload']);
      fs.rmSync(path.join(sb.root, 'calls.log'));
      // The folders the installer made stay (like /usr/local/bin); every file in them is gone.
      assert.deepEqual(listTree(sb.root).filter((p) => !p.endsWith('/')), before.filter((p) => !p.endsWith('/') && p !== 'usr/local/bin/tsk'));
    });

    it('killall kills containerd, its shims and the pods below them (by executable), leaves others naming the data dir, and unmounts', { skip: notRoot }, async (t) => {
      const sb = sandbox(t, 'systemd');
      placeBinary(sb, 'v1');
      ok(await sb.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true', INSTALL_TSK_SKIP_ENABLE: 'true' }));
      const runtime = path.join(sb.root, 'var', 'lib', 'tsk', 'agent', 'containerd');
      fs.mkdirSync(path.join(runtime, 'volume'), { recursive: true });
      // Copies of dash named as containerd's executables: /proc/PID/exe is what killall reads.
      const bin = path.join(sb.root, 'opt', 'bin');
      fs.mkdirSync(bin, { recursive: true });
      for (const name of ['containerd', 'containerd-shim-runc-v2']) fs.copyFileSync('/bin/dash', path.join(bin, name));
      const started: ChildProcess[] = [];
      const start = (file: string, arg: string) => {
        const p = spawn(file, ['-c', 'sleep 600 & wait', arg], { stdio: 'ignore' });
        started.push(p);
        return p;
      };
      const daemon = start(path.join(bin, 'containerd'), path.join(runtime, 'config.toml'));
      const shim = start(path.join(bin, 'containerd-shim-runc-v2'), path.join(runtime, 'containerd.sock'));
      // Not tsk's: a ctr naming tsk's socket, the host's own containerd, a process elsewhere.
      const ctr = start('/bin/sh', path.join(runtime, 'containerd.sock'));
      const hostContainerd = start(path.join(bin, 'containerd'), '/run/containerd/config.toml');
      const bystander = start('/bin/sh', path.join(sb.root, 'elsewhere'));
      const sleeps: number[] = [];
      t.after(() => {
        for (const pid of [...started.map((p) => p.pid!), ...sleeps]) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {}
        }
        spawnSync('umount', ['-l', path.join(runtime, 'volume')]);
      });
      const exited = (p: ChildProcess) => new Promise<boolean>((resolve) => p.on('exit', () => resolve(true)));
      const daemonExit = exited(daemon);
      const shimExit = exited(shim);
      assert.equal(spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', path.join(runtime, 'volume')]).status, 0);
      for (const p of started) sleeps.push(await until('the sleep to start', async () => children(p.pid!)[0]));
      const [, pod, ctrChild] = sleeps;
      ok(await sb.runIsolated([...shell, path.join(sb.binDir, 'tsk-killall.sh')]));
      const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000).unref());
      assert.ok(await Promise.race([daemonExit, timeout]), 'containerd is gone');
      assert.ok(await Promise.race([shimExit, timeout]), 'the shim is gone');
      // SIGKILL is delivered asynchronously: the pod process ends (or waits as a zombie) soon after.
      const gone = (pid: number) => {
        try {
          return /\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
        } catch {
          return true;
        }
      };
      await until('the pod process to be killed', async () => (gone(pod!) ? true : undefined), 10_000);
      for (const p of [ctr, hostContainerd, bystander]) assert.equal(p.exitCode ?? p.signalCode, null, `${p.spawnargs.join(' ')} is left alone`);
      assert.ok(!gone(ctrChild!), 'so is the ctr\'s child');
      assert.ok(!fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(runtime), 'unmounted');
    });

    it('killall and uninstall stop tsk and tsk-NAME services only, not another program\'s tskd', { skip: notRoot }, async (t) => {
      const sb = sandbox(t, 'systemd');
      placeBinary(sb, 'v1');
      ok(await sb.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true' }));
      ok(await sb.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true', INSTALL_TSK_NAME: 'edge', INSTALL_TSK_SKIP_ENABLE: 'true' }));
      fs.writeFileSync(path.join(sb.systemdDir, 'tskd.service'), '[Service]\nExecStart=/usr/bin/tskd\n');
      fs.mkdirSync(sb.initDir, { recursive: true });
      fs.writeFileSync(path.join(sb.initDir, 'tskd'), '#!/sbin/openrc-run\n', { mode: 0o755 });
      fs.mkdirSync(path.join(sb.root, 'var', 'lib', 'tsk'), { recursive: true });
      fs.rmSync(path.join(sb.root, 'calls.log'));
      ok(await sb.runIsolated([...shell, path.join(sb.binDir, 'tsk-killall.sh')]));
      assert.deepEqual(sb.calls(), ['systemctl stop tsk.service', 'systemctl stop tsk-edge.service']);
      ok(await sb.runIsolated([...shell, path.join(sb.binDir, 'tsk-edge-uninstall.sh')]));
      ok(await sb.runIsolated([...shell, path.join(sb.binDir, 'tsk-uninstall.sh')]));
      assert.ok(!fs.existsSync(path.join(sb.root, 'var', 'lib', 'tsk')), 'tskd is no tsk service that would keep the data');
      assert.ok(fs.existsSync(path.join(sb.systemdDir, 'tskd.service')) && fs.existsSync(path.join(sb.initDir, 'tskd')));
    });

    it('uninstall refuses to rm -rf a DATA_DIR that is empty or relative (an edited script)', { skip: notRoot }, async (t) => {
      const sb = sandbox(t, 'systemd');
      // "/" itself is not tried: busybox ash runs its own rm whatever PATH says, and a test
      // must not be able to remove the machine's files if the guard were ever lost.
      const script = path.join(sb.binDir, 'tsk-uninstall.sh');
      const cwd = path.join(sb.root, 'cwd');
      for (const dataDir of ['', 'victim']) {
        placeBinary(sb, 'v1');
        ok(await sb.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true', INSTALL_TSK_SKIP_ENABLE: 'true' }));
        fs.writeFileSync(path.join(sb.binDir, 'tsk-killall.sh'), '#!/bin/sh\n', { mode: 0o755 });
        fs.writeFileSync(script, read(script).replace(/^DATA_DIR=.*$/m, `DATA_DIR='${dataDir}'`));
        fs.mkdirSync(path.join(cwd, 'victim'), { recursive: true });
        const result = await sb.run([...shell, '-c', `cd '${cwd}' && exec ${shell.join(' ')} '${script}'`]);
        assert.match(result.stderr, new RegExp(`DATA_DIR='${dataDir}' is not an absolute path below a top-level folder: not removed`));
        assert.ok(fs.existsSync(path.join(cwd, 'victim')), `DATA_DIR='${dataDir}': the admin's folder is still there`);
        assert.ok(!fs.existsSync(script), 'the rest of the uninstall ran');
      }
    });

    it('finds the data dir as tsk does: --data-dir, then TSK_DATA_DIR, then data-dir in the config file', async (t) => {
      const sb = sandbox(t, 'systemd');
      placeBinary(sb, 'v1');
      const unit = path.join(sb.systemdDir, 'tsk-agent.service');
      /** The DATA_DIR the scripts got, checked against what the agent's launcher looks for. */
      const dataDirOf = async (env: NodeJS.ProcessEnv, args: string[] = []) => {
        ok(await sb.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true', TSK_URL: 'https://10.0.0.1:6443', TSK_TOKEN: 't', ...env }, args));
        const dataDir = /^DATA_DIR='(.*)'$/m.exec(read(path.join(sb.binDir, 'tsk-killall.sh')))?.[1];
        assert.equal(/^DATA_DIR='(.*)'$/m.exec(read(path.join(sb.binDir, 'tsk-agent-uninstall.sh')))?.[1], dataDir);
        const joined = path.join(dataDir!, 'agent', 'node-config.json');
        assert.match((await sb.run(unitExecStart(read(unit)))).stdout, /agent join/);
        fs.mkdirSync(path.dirname(joined), { recursive: true });
        fs.writeFileSync(joined, '{}');
        assert.doesNotMatch((await sb.run(unitExecStart(read(unit)))).stdout, /agent join/, 'joined: tsk agent');
        fs.rmSync(joined);
        return dataDir;
      };
      fs.mkdirSync(path.join(sb.root, 'etc', 'tsk'), { recursive: true });
      fs.writeFileSync(path.join(sb.root, 'etc', 'tsk', 'config.yaml'), `node-name: pi\ndata-dir: "${sb.root}/disk/tsk"  # the big disk\n`);
      assert.equal(await dataDirOf({}), `${sb.root}/disk/tsk`);
      const other = path.join(sb.root, 'other.yaml');
      fs.writeFileSync(other, `data-dir: ${sb.root}/other/tsk\n`);
      assert.equal(await dataDirOf({ TSK_CONFIG_FILE: other }), `${sb.root}/other/tsk`);
      assert.equal(await dataDirOf({ TSK_CONFIG_FILE: other }, ['--config', path.join(sb.root, 'etc', 'tsk', 'config.yaml')]), `${sb.root}/disk/tsk`, '--config beats TSK_CONFIG_FILE');
      assert.equal(await dataDirOf({ TSK_DATA_DIR: `${sb.root}/env//tsk/` }), `${sb.root}/env/tsk`, 'TSK_DATA_DIR beats the config file');
      assert.equal(await dataDirOf({ TSK_DATA_DIR: `${sb.root}/env/tsk` }, [`--data-dir=${sb.root}/flag/tsk`]), `${sb.root}/flag/tsk`, 'the flag beats TSK_DATA_DIR');
    });

    it('refuses a data dir that is relative, / or a top-level folder, and a config file that is not there', async (t) => {
      const sb = sandbox(t, 'systemd');
      placeBinary(sb, 'v1');
      const config = path.join(sb.root, 'etc', 'tsk', 'config.yaml');
      fs.mkdirSync(path.dirname(config), { recursive: true });
      const refused = async (env: NodeJS.ProcessEnv, args: string[], message: RegExp) => {
        const before = listTree(sb.root);
        const result = await sb.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true', ...env }, args);
        assert.notEqual(result.code, 0, `${JSON.stringify({ env, args })} accepted`);
        assert.match(result.stderr, message);
        assert.deepEqual(listTree(sb.root), before, 'nothing written');
      };
      const notAbsolute = /must be an absolute path of at least two folders, such as \/var\/lib\/tsk/;
      await refused({}, ['--data-dir', 'tsk'], /the data dir 'tsk' \(from --data-dir\) must be an absolute path/);
      for (const dir of ['/', '/srv', '/var/..', '', 'var/lib/tsk']) await refused({}, [`--data-dir=${dir}`], notAbsolute);
      await refused({ TSK_DATA_DIR: './tsk' }, [], /\(from TSK_DATA_DIR\)/);
      fs.writeFileSync(config, 'data-dir: tsk-data\n');
      await refused({}, [], new RegExp(`the data dir 'tsk-data' \\(from data-dir in ${config}\\) must be an absolute path`));
      fs.rmSync(config);
      await refused({ TSK_CONFIG_FILE: path.join(sb.root, 'missing.yaml') }, [], /missing\.yaml: no such file/);
      assert.deepEqual(sb.calls(), []);
    });

    it('refuses arguments of several lines, and keeps --datastore-endpoint in the env file', async (t) => {
      const sb = sandbox(t, 'systemd');
      placeBinary(sb, 'v1');
      const before = listTree(sb.root);
      const multiline = await sb.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true' }, ['--node-label', 'a=b\nExecStartPre=/bin/evil']);
      assert.notEqual(multiline.code, 0);
      assert.match(multiline.stderr, /an argument contains a line break \(a=b\.\.\.\): tsk's flags take one-line values/);
      assert.deepEqual(listTree(sb.root), before, 'nothing written');
      const endpoint = 'etcd://root:pa55@10.0.0.5:2379';
      for (const args of [['--datastore-endpoint', endpoint, '--disable', 'servicelb'], [`--datastore-endpoint=${endpoint}`, '--disable', 'servicelb']]) {
        ok(await sb.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true' }, args));
        const unit = read(path.join(sb.systemdDir, 'tsk.service'));
        assert.deepEqual(unitExecStart(unit), [path.join(sb.binDir, 'tsk'), 'server', '--disable', 'servicelb']);
        assert.ok(!unit.includes('pa55'), 'the credentials are not in the world-readable unit');
        assert.equal(readEnvFile(path.join(sb.systemdDir, 'tsk.service.env')).TSK_DATASTORE_ENDPOINT, endpoint);
      }
    });

    it('writes the env file anew under umask 077: a reader of an old 0644 one never sees the token', async (t) => {
      const sb = sandbox(t, 'systemd');
      placeBinary(sb, 'v1');
      ok(await sb.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true' }));
      const envFile = path.join(sb.systemdDir, 'tsk.service.env');
      fs.chmodSync(envFile, 0o644);
      // Opened while it was world-readable, as anyone on the machine could have.
      const fd = fs.openSync(envFile, 'r');
      t.after(() => fs.closeSync(fd));
      ok(await sb.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true', TSK_TOKEN: 'secret-2' }));
      assert.equal(mode(envFile), 0o600);
      assert.equal(read(envFile), "TSK_TOKEN='secret-2'\n");
      const buf = Buffer.alloc(4096);
      assert.doesNotMatch(buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0)).toString(), /secret-2/);
      assert.deepEqual(fs.readdirSync(sb.systemdDir).sort(), ['tsk.service', 'tsk.service.env'], 'no temporary file left');
    });

    it('links /usr/lib/cni to where Alpine and Fedora keep the CNI plugins, and uninstall removes the link', { skip: notRoot }, async (t) => {
      const sb = sandbox(t, 'systemd');
      placeBinary(sb, 'v1');
      fs.mkdirSync(path.join(sb.root, 'usr', 'libexec', 'cni'), { recursive: true });
      fs.writeFileSync(path.join(sb.root, 'usr', 'libexec', 'cni', 'bridge'), '', { mode: 0o755 });
      ok(await sb.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true', INSTALL_TSK_SKIP_ENABLE: 'true' }));
      assert.equal(fs.readlinkSync(path.join(sb.root, 'usr', 'lib', 'cni')), '/usr/libexec/cni');
      ok(await sb.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true', INSTALL_TSK_SKIP_ENABLE: 'true' }));
      ok(await sb.runIsolated([...shell, path.join(sb.binDir, 'tsk-uninstall.sh')]));
      assert.ok(!fs.existsSync(path.join(sb.root, 'usr', 'lib', 'cni')) && !fs.lstatSync(path.join(sb.root, 'usr', 'lib')).isSymbolicLink());
      assert.ok(fs.existsSync(path.join(sb.root, 'usr', 'libexec', 'cni', 'bridge')), 'the plugins stay');
      // Debian's own folder is never touched.
      const debian = sandbox(t, 'systemd');
      placeBinary(debian, 'v1');
      fs.mkdirSync(path.join(debian.root, 'usr', 'lib', 'cni'), { recursive: true });
      ok(await debian.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true', INSTALL_TSK_SKIP_ENABLE: 'true' }));
      ok(await debian.runIsolated([...shell, path.join(debian.binDir, 'tsk-uninstall.sh')]));
      assert.ok(fs.statSync(path.join(debian.root, 'usr', 'lib', 'cni')).isDirectory());
    });

    it('warns about a missing memory cgroup with the Raspberry Pi advice', async (t) => {
      const sb = sandbox(t, 'systemd');
      placeBinary(sb, 'v1');
      fs.writeFileSync(path.join(sb.root, 'proc', 'cgroups'), '#subsys_name\thierarchy\tnum_cgroups\tenabled\nmemory\t0\t1\t0\n');
      const v1 = await sb.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true', INSTALL_TSK_SKIP_START: 'true' });
      ok(v1);
      assert.match(v1.stderr, /memory cgroup is not enabled/);
      assert.match(v1.stderr, /cgroup_memory=1 cgroup_enable=memory/);
      // cgroup v2: the root's controllers decide.
      fs.mkdirSync(path.join(sb.root, 'sys', 'fs', 'cgroup'), { recursive: true });
      fs.writeFileSync(path.join(sb.root, 'sys', 'fs', 'cgroup', 'cgroup.controllers'), 'cpuset cpu io pids\n');
      assert.match((await sb.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true', INSTALL_TSK_SKIP_START: 'true' })).stderr, /memory cgroup is not enabled/);
      fs.writeFileSync(path.join(sb.root, 'sys', 'fs', 'cgroup', 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
      assert.doesNotMatch((await sb.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true', INSTALL_TSK_SKIP_START: 'true' })).stderr, /memory cgroup/);
    });

    it('refuses an unsupported architecture and a host without systemd or OpenRC', async (t) => {
      const sb = sandbox(t, 'systemd');
      const bare = sandbox(t, 'none');
      const arm = await sb.install(shell, { ARCH: 'armv7l', INSTALL_TSK_RELEASE_URL: publish('v1', fakeTsk('v1')) });
      assert.notEqual(arm.code, 0);
      assert.match(arm.stderr, /unsupported architecture armv7l: tsk is released for amd64 and arm64 only/);
      placeBinary(bare, 'v1');
      const none = await bare.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true' });
      assert.notEqual(none.code, 0);
      assert.match(none.stderr, /neither systemd nor OpenRC/);
    });

    it('refuses a C library the release executables cannot run on, before downloading', async (t) => {
      const old = sandbox(t, 'systemd');
      old.fake('ldd', 'echo "ldd (Debian GLIBC 2.31-13+deb11u5) 2.31"');
      const bullseye = await old.install(shell, { INSTALL_TSK_RELEASE_URL: publish('v1', fakeTsk('v1')) });
      assert.notEqual(bullseye.code, 0);
      assert.match(bullseye.stderr, /need glibc 2\.34 or later .*; this system has 2\.31/);
      assert.doesNotMatch(bullseye.stdout, /downloading/);
      const alpine = sandbox(t, 'systemd');
      alpine.fake('ldd', 'echo "musl libc (x86_64)" >&2; exit 1');
      const musl = await alpine.install(shell, { INSTALL_TSK_RELEASE_URL: publish('v1', fakeTsk('v1')) });
      assert.notEqual(musl.code, 0);
      assert.match(musl.stderr, /C library is musl/);
      placeBinary(alpine, 'v1');
      // An executable of one's own is not second-guessed.
      ok(await alpine.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true' }));
    });

    it('installs missing runtime packages with the host package manager, and skips them with INSTALL_TSK_SKIP_DEPS', async (t) => {
      const sb = sandbox(t, 'systemd');
      placeBinary(sb, 'v1');
      // A PATH of busybox tools and the fakes only: no containerd, runc, iptables or conntrack.
      const tools = path.join(sb.root, 'tools');
      fs.mkdirSync(tools);
      for (const tool of ['awk', 'cat', 'chmod', 'cp', 'env', 'grep', 'id', 'mkdir', 'mktemp', 'mv', 'rm', 'sed', 'sort', 'uname']) fs.symlinkSync('/bin/busybox', path.join(tools, tool));
      sb.fake('apt-get', `echo "apt-get $*" >> '${path.join(sb.root, 'calls.log')}'`);
      const env = { INSTALL_TSK_SKIP_DOWNLOAD: 'true', INSTALL_TSK_SKIP_START: 'true', INSTALL_TSK_SKIP_ENABLE: 'true', PATH: `${sb.fakes}:${tools}` };
      ok(await sb.install(shell, { ...env, INSTALL_TSK_SKIP_DEPS: '' }));
      assert.deepEqual(sb.calls(), ['apt-get update -q', 'apt-get install -y -q containerd runc containernetworking-plugins iptables conntrack iproute2']);
      fs.rmSync(path.join(sb.root, 'calls.log'));
      ok(await sb.install(shell, { ...env, INSTALL_TSK_SKIP_DEPS: 'true' }));
      assert.deepEqual(sb.calls(), []);
    });
  });
}
