/**
 * overlayfs is the snapshotter the CRI wants (fast, shares layers), but it cannot mount on every
 * file system (overlay on overlay, some container hosts, old kernels). containerd skips its
 * overlayfs plugin when that is so, and then every CreateContainer fails, so the agent asks the
 * kernel once per start, on the same file system containerd's root will use, and falls back to
 * the native snapshotter (plain copies).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Snapshotter } from './config.ts';

/** Mounts a one-layer overlay under `dir` (created if missing) and unmounts it again. */
export function probeSnapshotter(dir: string): Snapshotter {
  fs.mkdirSync(dir, { recursive: true });
  const probe = fs.mkdtempSync(path.join(dir, '.overlay-probe-'));
  const [lower, upper, work, merged] = ['lower', 'upper', 'work', 'merged'].map((name) => path.join(probe, name));
  try {
    for (const folder of [lower, upper, work, merged]) fs.mkdirSync(folder);
    const mount = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, merged], { stdio: 'ignore' });
    if (mount.status !== 0) return 'native';
    spawnSync('umount', [merged], { stdio: 'ignore' });
    return 'overlayfs';
  } catch {
    return 'native';
  } finally {
    // A probe left mounted (umount failed) cannot be removed; it is empty and harmless.
    try {
      fs.rmSync(probe, { recursive: true, force: true });
    } catch {}
  }
}
