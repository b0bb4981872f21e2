import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { DataDirError } from './errors.ts';
import { prepareDataDir } from './layout.ts';
import { lockDataDir } from './lock.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-datadir-test-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const mode = (p: string) => fs.statSync(p).mode & 0o777;

describe('data dir', () => {
  it('creates the layout with private server folders', () => {
    const layout = prepareDataDir(path.join(tmp, 'a'), { server: true, agent: true });
    assert.equal(mode(layout.root), 0o755);
    for (const dir of [layout.server.root, layout.server.db, layout.server.tls, layout.server.cred, layout.server.manifests]) assert.equal(mode(dir), 0o700, dir);
    assert.equal(mode(layout.agent.images), 0o755);
    assert.equal(mode(layout.agent.containerd), 0o711);
    assert.ok(fs.statSync(layout.agent.podLogs).isDirectory());
  });

  it('tightens a server folder someone made world-readable', () => {
    const root = path.join(tmp, 'b');
    fs.mkdirSync(path.join(root, 'server', 'tls'), { recursive: true });
    fs.chmodSync(path.join(root, 'server', 'tls'), 0o755);
    prepareDataDir(root, { server: true, agent: false });
    assert.equal(mode(path.join(root, 'server', 'tls')), 0o700);
    assert.ok(!fs.existsSync(path.join(root, 'agent')));
  });

  it('refuses a file where a folder should be', () => {
    const root = path.join(tmp, 'c');
    fs.mkdirSync(root);
    fs.writeFileSync(path.join(root, 'server'), '');
    assert.throws(() => prepareDataDir(root, { server: true, agent: false }), (err: Error) => err instanceof DataDirError && err.code === 'not-a-directory');
  });

  it('lets one holder lock a dir, whatever path leads to it, and names the holder', async () => {
    const root = path.join(tmp, 'd');
    fs.mkdirSync(root);
    const link = path.join(tmp, 'd-link');
    fs.symlinkSync(root, link);
    const lock = await lockDataDir(root);
    try {
      await assert.rejects(lockDataDir(link), (err: Error) => err instanceof DataDirError && err.code === 'in-use' && err.message.includes(`pid ${process.pid}`));
      // Another data dir is independent.
      const other = path.join(tmp, 'e');
      fs.mkdirSync(other);
      await (await lockDataDir(other)).release();
    } finally {
      await lock.release();
    }
    await (await lockDataDir(root)).release();
  });
});
