import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { containerdPaths, renderToml, writeContainerdConfig } from './config.ts';
import { findExecutable } from './ctr.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-containerd-config-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('containerd config', () => {
  const dir = path.join(tmp, 'agent', 'containerd');
  const paths = writeContainerdConfig({ dir, sandboxImage: 'tsk.local/pause:1.2.3', snapshotter: 'native', streamServerPort: 10111 });
  const text = fs.readFileSync(paths.config, 'utf8');

  it('keeps every path containerd owns under its folder', () => {
    assert.deepEqual(paths, containerdPaths(dir));
    assert.match(text, new RegExp(`^root = "${paths.root}"$`, 'm'));
    assert.match(text, new RegExp(`^state = "${paths.state}"$`, 'm'));
    assert.match(text, new RegExp(`\\[grpc\\]\\naddress = "${paths.socket}"`));
    assert.match(text, new RegExp(`\\[ttrpc\\]\\naddress = "${paths.ttrpcSocket}"`));
    assert.match(text, new RegExp(`\\.options\\]\\nRoot = "${paths.runcRoot}"\\nSystemdCgroup = false`));
    assert.match(text, new RegExp(`conf_dir = "${path.join(tmp, 'agent', 'etc', 'cni', 'net.d')}"`));
    assert.equal(fs.statSync(paths.config).mode & 0o777, 0o600);
  });

  it('sets the CRI options this kind of host needs', () => {
    for (const line of ['version = 2', 'sandbox_image = "tsk.local/pause:1.2.3"', 'stream_server_address = "127.0.0.1"', 'stream_server_port = "10111"', 'restrict_oom_score_adj = true', 'enable_selinux = false', 'snapshotter = "native"', 'bin_dir = "/usr/lib/cni"']) {
      assert.ok(text.split('\n').includes(line), line);
    }
  });

  it('renders scalars before sub-tables and quotes dotted keys', () => {
    assert.equal(renderToml({ a: 1, t: { 'x.y': { b: 'q"', c: ['1', '2'] } }, z: true }), 'a = 1\nz = true\n\n[t."x.y"]\nb = "q\\""\nc = ["1", "2"]\n');
  });

  it('is read by containerd itself as written', { skip: !findExecutable('containerd') && 'containerd not installed' }, () => {
    const dump = execFileSync(findExecutable('containerd')!, ['--config', paths.config, 'config', 'dump'], { encoding: 'utf8' });
    for (const line of [`root = "${paths.root}"`, 'restrict_oom_score_adj = true', 'stream_server_port = "10111"', 'netns_mounts_under_state_dir = true', `Root = "${paths.runcRoot}"`, 'sandbox_image = "tsk.local/pause:1.2.3"']) {
      assert.ok(dump.includes(line), line);
    }
  });
});
