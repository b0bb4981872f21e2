/**
 * scripts/install.sh under dash and busybox ash, in a sandbox (test/lib/install.ts): the unit
 * or OpenRC service it writes, the agent's env file, what it refuses (http URLs, bad
 * checksums, unknown architectures, no init system), upgrades by rerunning, and uninstall
 * leaving the root as it was. Releases are served over loopback HTTP from this process.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { until } from './lib/until.ts';
import { createInstallSandbox, listTree, SHELLS, unitExecStart, type InstallSandbox, type SandboxOptions } from './lib/install.ts';

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

    it('killall kills the runtime\'s process trees and unmounts what is mounted under the data dir', { skip: notRoot }, async (t) => {
      const sb = sandbox(t, 'systemd');
      placeBinary(sb, 'v1');
      ok(await sb.install(shell, { INSTALL_TSK_SKIP_DOWNLOAD: 'true', INSTALL_TSK_SKIP_ENABLE: 'true' }));
      const runtime = path.join(sb.root, 'var', 'lib', 'tsk', 'agent', 'containerd');
      fs.mkdirSync(path.join(runtime, 'volume'), { recursive: true });
      // A "shim" naming the runtime's folder, with a pod process below it; and a bystander.
      const shim = spawn('/bin/sh', ['-c', 'sleep 600 & wait', path.join(runtime, 'containerd.sock')], { stdio: 'ignore' });
      const bystander = spawn('/bin/sh', ['-c', 'sleep 600 & wait', path.join(sb.root, 'elsewhere')], { stdio: 'ignore' });
      t.after(() => {
        for (const p of [shim, bystander]) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
        spawnSync('umount', ['-l', path.join(runtime, 'volume')]);
      });
      const shimExit = new Promise<boolean>((resolve) => shim.on('exit', () => resolve(true)));
      assert.equal(spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', path.join(runtime, 'volume')]).status, 0);
      const child = await until('the pod process to start', async () => children(shim.pid!)[0]);
      ok(await sb.runIsolated([...shell, path.join(sb.binDir, 'tsk-killall.sh')]));
      // Killed, or ended on its own when its child was killed first: either way, within seconds, not 600.
      const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000).unref());
      assert.ok(await Promise.race([shimExit, timeout]), 'the shim is gone');
      // SIGKILL is delivered asynchronously: the pod process ends (or waits as a zombie) soon after.
      const gone = () => {
        try {
          return /\) Z /.test(fs.readFileSync(`/proc/${child}/stat`, 'utf8'));
        } catch {
          return true;
        }
      };
      await until('the pod process to be killed', async () => (gone() ? true : undefined), 10_000);
      assert.equal(bystander.exitCode, null, 'a process not naming the data dir is left alone');
      assert.ok(!fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(runtime), 'unmounted');
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
