/**
 * `tsk check-config` as users run it, from the real executable: this machine has what the
 * agent needs; hiding containerd from it (in a private mount namespace, so the machine itself
 * is untouched) makes it say so and exit 1.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { findExecutable } from '../pkg/containerd/ctr.ts';
import { cleanEnv, TSK_BIN } from './lib/tsk.ts';

function checkConfig(command: string, args: string[], env: NodeJS.ProcessEnv = cleanEnv()) {
  const r = spawnSync(command, args, { env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stdout.split('\n') };
}

const containerd = findExecutable('containerd');
const skip = process.getuid?.() !== 0 ? 'needs root' : !containerd ? 'containerd not installed' : false;

describe('tsk check-config', { skip }, () => {
  it('passes this machine, one line per check', () => {
    const r = checkConfig(TSK_BIN, ['check-config']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stderr, '');
    assert.deepEqual(r.lines.filter((l) => l.startsWith('missing')), []);
    for (const what of ['user: root', 'cgroup controller memory: enabled', 'kernel: veth', 'kernel: bridge', `containerd: ${containerd}`, 'runc: ', 'ctr: ', 'iptables: ', 'CNI plugin portmap: /usr/lib/cni/portmap', 'net.ipv4.ip_forward: ']) {
      assert.ok(r.lines.some((l) => /^(ok|warning) {1,3}/.test(l) && l.includes(what)), `no line for ${what}:\n${r.stdout}`);
    }
    assert.match(r.stdout, /\n0 missing, \d+ warnings?: this host can run the agent\n$/);
  });

  it('looks binaries up as the agent does: PATH, then the system folders', () => {
    const dir = path.dirname(containerd!);
    const stripped = (process.env.PATH ?? '').split(':').filter((d) => d && d !== dir).join(':');
    const r = checkConfig(TSK_BIN, ['check-config'], cleanEnv({ PATH: stripped }));
    assert.equal(r.code, 0, r.stdout);
    const found = /^ok {6}containerd: (\S+)$/m.exec(r.stdout)?.[1];
    assert.ok(found, r.stdout);
    // /bin may be /usr/bin by another name (merged /usr).
    assert.equal(fs.realpathSync(found), fs.realpathSync(containerd!));
  });

  it('reports containerd missing, with what to install, and exits 1', () => {
    const script = `mount --bind /dev/null ${containerd} && exec "$0" check-config`;
    const r = checkConfig('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, TSK_BIN]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.deepEqual(r.lines.filter((l) => l.startsWith('missing')).map((l) => l.split(':')[0]), ['missing containerd']);
    assert.match(r.stdout, /^missing containerd: not found in \S+: .* -> apt-get install containerd runc containernetworking-plugins$/m);
    assert.match(r.stdout, /\n1 missing, \d+ warnings?: the agent cannot run pods on this host until the missing parts are fixed\n$/);
  });

  it('takes no flags', () => {
    const r = checkConfig(TSK_BIN, ['check-config', '--data-dir', '/tmp']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^tsk: unknown option '--data-dir'/);
  });
});
