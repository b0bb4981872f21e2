/**
 * Checks the release executables in dist/release (make release first; `make release-check`
 * runs this): each matches its checksum file, is built for its architecture, says it runs on
 * Node 24, and `tsk server --disable-agent` serves kubectl on loopback (nodes, a ConfigMap
 * kept in SQLite, a namespace whose default ServiceAccount the components worker thread
 * creates). An executable for another CPU runs under qemu-user (Debian's qemu-user-static,
 * with the aarch64 libraries of libc6-arm64-cross, which g++-aarch64-linux-gnu installs).
 *
 * Not named *.test.ts on purpose: `npm test` does not build releases (see NOTES, Build), so
 * this is run by hand or by a release job: node --import tsx --test scripts/release-check.ts
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, describe, test } from 'node:test';
import { freePort } from '../test/lib/cluster.ts';
import { cleanEnv, runTsk, startTsk } from '../test/lib/tsk.ts';
import { until } from '../test/lib/until.ts';
import { checksumName, executableName, RELEASE_DIR } from './release/artifacts.ts';
import { ARCHES, ELF_MACHINE, elfMachine, NODE_ARCH, NODE_VERSION, type Arch } from './release/node-dist.ts';

const run = promisify(execFile);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-release-check-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** What runs `bin` here: itself, or a script handing it to qemu-user when the CPU differs. */
function launcher(arch: Arch, bin: string): string {
  if (NODE_ARCH[arch] === process.arch) return bin;
  const qemu = arch === 'arm64' ? 'qemu-aarch64-static' : 'qemu-x86_64-static';
  const libs = arch === 'arm64' ? '/usr/aarch64-linux-gnu' : '/usr/x86_64-linux-gnu';
  assert.equal(spawnSync(qemu, ['--version']).status, 0, `${qemu} is missing: apt-get install qemu-user-static`);
  assert.ok(fs.existsSync(libs), `${libs} is missing: apt-get install g++-${path.basename(libs)}`);
  const script = path.join(scratch, `tsk-${arch}`);
  // exec: the PID the tests kill is qemu's, which is the emulated tsk itself.
  fs.writeFileSync(script, `#!/bin/sh\nexec ${qemu} -L ${libs} ${bin} "$@"\n`, { mode: 0o755 });
  return script;
}

for (const arch of ARCHES) {
  describe(executableName(arch), () => {
    const bin = path.join(RELEASE_DIR, executableName(arch));
    // A private addon cache: the check neither reads nor disturbs ~/.cache/tsk.
    const env = () => cleanEnv({ TSK_NATIVE_CACHE_DIR: path.join(scratch, `native-${arch}`) });

    test('is there, matches its checksum file, and is built for its CPU', () => {
      assert.ok(fs.existsSync(bin), `${bin} is missing: run make release`);
      const line = fs.readFileSync(path.join(RELEASE_DIR, checksumName(arch)), 'utf8');
      const hash = crypto.createHash('sha256').update(fs.readFileSync(bin)).digest('hex');
      assert.equal(line, `${hash}  ${executableName(arch)}\n`);
      assert.equal(elfMachine(bin), ELF_MACHINE[arch]);
    });

    test('--version names tsk and the release Node', async () => {
      const r = await runTsk(['--version'], { bin: launcher(arch, bin), env: env() });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^tsk version v\d+\.\d+\.\d+/m);
      assert.match(r.stdout, new RegExp(`^node version v${NODE_VERSION.replaceAll('.', '\\.')}$`, 'm'));
    });

    test('server --disable-agent answers kubectl', async () => {
      const dataDir = path.join(scratch, `data-${arch}`);
      const port = await freePort();
      const server = startTsk(
        ['server', '--disable-agent', '--data-dir', dataDir, '--https-listen-port', String(port), '--bind-address', '127.0.0.1'],
        { bin: launcher(arch, bin), env: env() },
      );
      try {
        // Emulated, start-up is several times slower than native: a wide deadline.
        await server.waitForLog(/serving the Kubernetes API/, 180_000);
        const kubeconfig = path.join(dataDir, 'server', 'cred', 'admin.kubeconfig');
        const kubectl = async (...args: string[]) =>
          (await run('kubectl', ['--kubeconfig', kubeconfig, ...args], { env: cleanEnv({ HOME: scratch, KUBECONFIG: '' }), timeout: 120_000 })).stdout;

        assert.match(await kubectl('get', 'nodes', '-o', 'name'), /^$/);
        await kubectl('create', 'configmap', 'release-check', '--from-literal', `arch=${arch}`);
        assert.equal(await kubectl('get', 'configmap', 'release-check', '-o', 'jsonpath={.data.arch}'), arch);
        await kubectl('create', 'namespace', 'release-check');
        // The default ServiceAccount comes from a controller on the components worker thread,
        // which evaluates the bundle again from a SEA asset.
        await until('the default ServiceAccount in the new namespace', async () =>
          (await kubectl('-n', 'release-check', 'get', 'serviceaccount', 'default', '-o', 'name')).trim() || undefined, 120_000);
        server.signal('SIGTERM');
        assert.equal(await server.exited, 0, server.stderr());
      } finally {
        await server.kill();
      }
    });
  });
}
