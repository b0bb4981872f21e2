/**
 * The managed containerd for real: containerd 1.6 from Debian in a temp data dir, images
 * imported through the image folder, containers run by runc. Skipped where containerd is not
 * installed. Everything started here is stopped by PID at the end.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import zlib from 'node:zlib';
import { buildBusyboxImage } from '../../test/lib/images.ts';
import { until } from '../../test/lib/until.ts';
import { CriClient } from '../cri/client.ts';
import type { Logger } from '../log/log.ts';
import { findExecutable, runCtr } from './ctr.ts';
import { ContainerdError } from './errors.ts';
import { ImageFolder } from './images.ts';
import { CRI_NAMESPACE } from './import.ts';
import { hostPauseArch, pauseImageName } from './pause.ts';
import { ociImageArchive } from './oci.ts';
import { ManagedContainerd } from './process.ts';
import { tarArchive } from './tar.ts';

/** Polls until `condition` holds (until() takes undefined, not false, as "not yet"). */
const waitFor = (what: string, condition: () => boolean | Promise<boolean>) => until(what, async () => (await condition()) || undefined);

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const installed = findExecutable('containerd') !== undefined && findExecutable('runc') !== undefined && ['zstd', 'bzip2', 'lz4'].every((command) => findExecutable(command) !== undefined);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-containerd-test-'));
const agentDir = path.join(tmp, 'agent');
const imagesDir = path.join(agentDir, 'images');
const lines: string[] = [];
const log: Logger = { debug: () => {}, info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(`ERROR ${m}`) };

describe('managed containerd', { skip: !installed && 'containerd, runc, zstd, bzip2 or lz4 not installed' }, () => {
  let containerd: ManagedContainerd;
  let folder: ImageFolder | undefined;
  const ctr = (args: string[]) => runCtr(containerd.ctr, args, { namespace: CRI_NAMESPACE });
  // --runc-root, --fifo-dir: ctr's own containers must stay under our data dir too.
  const run = (id: string, image: string, command: string[]) => ctr(['run', '--rm', '--fifo-dir', path.join(tmp, 'fifo'), '--runc-root', containerd.paths.runcRoot, '--snapshotter', containerd.snapshotter, image, id, ...command]);
  const newFolder = () => new ImageFolder({ ctr: containerd.ctr, snapshotter: containerd.snapshotter, dir: imagesDir, stateFile: containerd.paths.importState, settleMs: 1000, log });

  before(async () => {
    containerd = new ManagedContainerd({ dir: path.join(agentDir, 'containerd'), streamServerPort: 0, stopGraceMs: 5000, log });
    await containerd.start();
  });

  after(async () => {
    folder?.stop();
    // A test that failed half way may have left its container (and so a shim) running.
    if (containerd) await ctr(['tasks', 'delete', '--force', 'survivor']).catch(() => {});
    await containerd?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('answers on its own socket, with the CRI plugin loaded', async () => {
    assert.ok(containerd.address.startsWith(agentDir));
    assert.match(await runCtr(containerd.ctr, ['version']), /Server:\n\s+Version:\s+\S+/);
    assert.ok(fs.readFileSync(containerd.paths.config, 'utf8').includes(`sandbox_image = "${pauseImageName()}"`), 'the built-in pause image by default');
  });

  it('imports the built-in pause image at start, and the CRI takes it as its own', async () => {
    folder = newFolder();
    await folder.start();
    const images = await ctr(['images', 'ls']);
    const line = images.split('\n').find((l) => l.startsWith(`${pauseImageName()} `));
    assert.ok(line, images);
    // The CRI labels every image it has indexed: this is what the kubelet will see.
    assert.match(line, /io\.cri-containerd\.image=managed/);
  });

  it('runs the pause image as PID 1 of a container, which exits 0 on SIGTERM', async () => {
    const running = run('pause-test', pauseImageName(), []);
    await waitFor('the pause task running', async () => /pause-test\s+\d+\s+RUNNING/.test(await ctr(['tasks', 'ls'])));
    await ctr(['tasks', 'kill', '--signal', 'SIGTERM', 'pause-test']);
    await running; // ctr run --rm fails unless the task exits 0
  });

  it('imports busybox tarballs dropped in the folder, plain and gzipped, and runs them', async () => {
    const plain = buildBusyboxImage({ name: 'tsk.local/busybox:plain', dir: tmp });
    const gzipped = buildBusyboxImage({ name: 'tsk.local/busybox:gzip', dir: tmp });
    // A partial file first, growing as a slow copy makes it (appends far apart less than
    // settleMs): it must not be imported until done.
    const target = path.join(imagesDir, 'busybox-gzip.tar.gz');
    const bytes = zlib.gzipSync(fs.readFileSync(gzipped));
    fs.writeFileSync(target, bytes.subarray(0, 1000));
    for (let offset = 1000; offset < bytes.length; offset += 200_000) {
      await new Promise((r) => setTimeout(r, 50));
      fs.appendFileSync(target, bytes.subarray(offset, offset + 200_000));
    }
    fs.copyFileSync(plain, path.join(imagesDir, 'busybox-plain.tar'));
    await waitFor('both busybox imports', () => lines.filter((l) => /imported tsk\.local\/busybox:(plain|gzip) from/.test(l)).length === 2);
    assert.deepEqual(lines.filter((l) => l.startsWith('ERROR')), []);
    assert.equal(await run('busybox-plain', 'tsk.local/busybox:plain', ['echo', 'hi']), 'hi\n');
    assert.equal(await run('busybox-gzip', 'tsk.local/busybox:gzip', ['sh', '-c', 'id -un; ls -d /tmp']), 'root\n/tmp\n');
  });

  it('imports docker-save archives, zstd, bzip2 and lz4 archives, and short OCI names under the names the CRI looks up', async () => {
    const layer = tarArchive([{ type: 'file', path: 'hello', data: Buffer.from('hello\n') }]);
    const config = Buffer.from(JSON.stringify({ architecture: hostPauseArch(), os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(layer)}`] } }));
    const dockerSave = tarArchive([
      { type: 'file', path: 'manifest.json', data: Buffer.from(JSON.stringify([{ Config: `${sha256(config)}.json`, RepoTags: ['saved:1'], Layers: [`${sha256(layer)}/layer.tar`] }])) },
      { type: 'file', path: `${sha256(config)}.json`, data: config },
      { type: 'file', path: `${sha256(layer)}/layer.tar`, data: layer },
    ]);
    fs.writeFileSync(path.join(imagesDir, 'saved.tar'), dockerSave);
    const shortName = buildBusyboxImage({ name: 'shortname:2', dir: tmp });
    execFileSync('zstd', ['-q', '-o', path.join(tmp, 'short.tar.zst'), shortName]);
    fs.renameSync(path.join(tmp, 'short.tar.zst'), path.join(imagesDir, 'short.tar.zst'));
    // bzip2 and lz4 too, through Debian's commands, on a one-file image.
    const tiny = path.join(tmp, 'tiny.tar');
    fs.writeFileSync(tiny, ociImageArchive({ name: 'tsk.local/tiny:1', architecture: hostPauseArch(), layers: [[{ type: 'file', path: 'hello', data: Buffer.from('hi') }]], config: {} }));
    execFileSync('bzip2', ['-c', tiny], { stdio: ['ignore', fs.openSync(path.join(tmp, 'tiny.tar.bz2'), 'w'), 'inherit'] });
    execFileSync('lz4', ['-q', '-f', tiny, path.join(tmp, 'tiny.tar.lz4')]);
    fs.renameSync(path.join(tmp, 'tiny.tar.bz2'), path.join(imagesDir, 'tiny.tar.bz2'));
    fs.renameSync(path.join(tmp, 'tiny.tar.lz4'), path.join(imagesDir, 'tiny.tar.lz4'));
    const files = ['saved.tar', 'short.tar.zst', 'tiny.tar.bz2', 'tiny.tar.lz4'];
    await waitFor('four imports', () => files.every((f) => lines.some((l) => l.startsWith('imported ') && l.includes(`/${f} in`))));
    assert.deepEqual(lines.filter((l) => l.startsWith('ERROR')), []);
    const names = (await ctr(['images', 'ls', '-q'])).split('\n');
    assert.ok(names.includes('tsk.local/tiny:1'), names.join(' '));
    assert.ok(names.includes('docker.io/library/saved:1'), names.join(' '));
    assert.ok(names.includes('docker.io/library/shortname:2'), names.join(' '));
    assert.ok(!names.includes('shortname:2'), 'the short name is gone');
    // What the kubelet will ask: the pod's own spelling, resolved by the CRI.
    const cri = CriClient.connect(containerd.address);
    try {
      for (const [asked, tag] of [['shortname:2', 'docker.io/library/shortname:2'], ['saved:1', 'docker.io/library/saved:1'], [pauseImageName(), pauseImageName()]]) {
        const { image } = await cri.imageStatus({ image: { image: asked } });
        assert.ok(image?.repoTags.includes(tag), `${asked}: ${JSON.stringify(image)}`);
      }
    } finally {
      cri.close();
    }
  });

  it('does not import the same files again after an agent restart', async () => {
    folder!.stop();
    const before = lines.length;
    folder = newFolder();
    await folder.start();
    fs.writeFileSync(path.join(imagesDir, 'not-an-image.tar'), 'garbage');
    await waitFor('the garbage file tried', () => lines.slice(before).some((l) => l.includes('not-an-image.tar')));
    const imports = lines.slice(before).filter((l) => l.startsWith('imported '));
    assert.equal(imports.length, 1, imports.join('\n'));
    assert.match(imports[0], /^imported the built-in pause image/);
    assert.ok(lines.slice(before).some((l) => l.startsWith('ERROR importing') && l.includes('not-an-image.tar')));
  });

  it('retries an import that failed while containerd was not answering', async () => {
    // The folder's ctr is pointed away from containerd and back, as a containerd restart does.
    const ctr = { ...containerd.ctr };
    const retryDir = path.join(tmp, 'retry-images');
    const folder2 = new ImageFolder({ ctr, snapshotter: containerd.snapshotter, dir: retryDir, stateFile: path.join(tmp, 'retry-state.json'), settleMs: 200, rescanMs: 500, log });
    try {
      await folder2.start();
      ctr.address = path.join(tmp, 'no-containerd.sock');
      buildBusyboxImage({ name: 'tsk.local/busybox:retry', dir: retryDir });
      await waitFor('the failed attempt', () => lines.some((l) => l.includes('retry.tar') && l.endsWith('will retry once containerd answers')));
      ctr.address = containerd.address;
      await waitFor('the retried import', () => lines.some((l) => l.startsWith('imported tsk.local/busybox:retry')));
    } finally {
      folder2.stop();
    }
  });

  it('is restarted when it dies', async () => {
    const first = containerd.pid!;
    process.kill(first, 'SIGKILL');
    await waitFor('a new containerd answering', async () => containerd.restarts === 1 && containerd.pid !== first && (await runCtr(containerd.ctr, ['version']).then(() => true, () => false)));
    assert.ok(lines.some((l) => /containerd exited \(SIGKILL\)/.test(l)));
  });

  it('keeps containers running when containerd dies or the agent stops it', async () => {
    await ctr(['run', '-d', '--null-io', '--fifo-dir', path.join(tmp, 'fifo'), '--runc-root', containerd.paths.runcRoot, '--snapshotter', containerd.snapshotter, pauseImageName(), 'survivor']);
    const taskPid = async () => Number((await ctr(['tasks', 'ls'])).match(/^survivor\s+(\d+)\s+RUNNING/m)?.[1] ?? 0);
    const pid = await taskPid();
    assert.ok(pid > 0 && fs.existsSync(`/proc/${pid}`));
    process.kill(containerd.pid!, 'SIGKILL');
    await waitFor('containerd back after dying', async () => containerd.restarts === 2 && (await taskPid()) === pid);
    await containerd.stop();
    assert.ok(fs.existsSync(`/proc/${pid}`), 'the pod outlives its containerd');
    await containerd.start();
    assert.equal(await taskPid(), pid, 'the new containerd adopts the running task');
    await ctr(['tasks', 'kill', 'survivor']);
    await waitFor('the task stopped', async () => /^survivor\s+\d+\s+STOPPED/m.test(await ctr(['tasks', 'ls'])));
    await ctr(['tasks', 'delete', 'survivor']);
    await ctr(['containers', 'delete', 'survivor']);
  });

  it('stops on shutdown and leaves no containerd behind', async () => {
    const pid = containerd.pid!;
    await containerd.stop();
    assert.ok(!fs.existsSync(`/proc/${pid}`) || /\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')));
    assert.ok(!fs.existsSync(containerd.paths.pidFile));
  });

  it('ends a containerd a killed agent left behind before starting its own', async () => {
    // What a SIGKILLed agent leaves: containerd running on our config, its pid in the pid file.
    const orphan = spawn(findExecutable('containerd')!, ['--config', containerd.paths.config], { stdio: 'ignore', detached: true });
    fs.writeFileSync(containerd.paths.pidFile, `${orphan.pid}\n`);
    const orphanExit = new Promise((resolve) => orphan.on('exit', resolve));
    await waitFor('the orphan answering', () => runCtr(containerd.ctr, ['version']).then(() => true, () => false));
    await containerd.start();
    await orphanExit;
    assert.notEqual(containerd.pid, orphan.pid);
    await runCtr(containerd.ctr, ['version']);
  });
});

describe('missing containerd', () => {
  it('says what to install', () => {
    assert.throws(
      () => new ManagedContainerd({ dir: path.join(tmp, 'missing'), binary: path.join(tmp, 'no-such-containerd'), snapshotter: 'native' }),
      (err: Error) => err instanceof ContainerdError && err.code === 'not-found' && /apt-get install containerd runc containernetworking-plugins/.test(err.message),
    );
  });
});
