/**
 * tmpfs mounts for memory-backed volumes (emptyDir medium Memory, secrets, projected tokens),
 * through mount(8)/umount(8): Node has no mount syscall. Mount points are read from
 * /proc/self/mountinfo, so teardown finds what an earlier agent process mounted too.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Mounter {
  /** Mounts a tmpfs on `dir` (which exists); throws when the host does not allow it. */
  mountTmpfs(dir: string, opts: { sizeBytes?: number; mode?: number }): Promise<void>;
  unmount(dir: string): Promise<void>;
  /** Mount points at or below `dir`, deepest first. */
  mountPointsUnder(dir: string): string[];
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export class SystemMounter implements Mounter {
  async mountTmpfs(dir: string, opts: { sizeBytes?: number; mode?: number }): Promise<void> {
    const options = [`mode=${(opts.mode ?? 0o755).toString(8).padStart(4, '0')}`];
    if (opts.sizeBytes !== undefined) options.push(`size=${opts.sizeBytes}`);
    await run('mount', ['-t', 'tmpfs', '-o', options.join(','), 'tmpfs', dir]);
  }

  async unmount(dir: string): Promise<void> {
    try {
      await run('umount', [dir]);
    } catch {
      // A container still holding a file open keeps the mount busy: detach it now, the kernel frees it later.
      await run('umount', ['-l', dir]);
    }
  }

  mountPointsUnder(dir: string): string[] {
    const root = path.resolve(dir);
    const points: string[] = [];
    for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const field = line.split(' ')[4];
      if (!field) continue;
      const point = unescapeMountPath(field);
      if (point === root || point.startsWith(`${root}/`)) points.push(point);
    }
    return points.sort((a, b) => b.length - a.length);
  }
}
