/**
 * Test images without a registry: OCI image tarballs built from Debian's busybox-static
 * (/bin/busybox), in the format tsk's image folder imports. The rootfs has busybox and a
 * symlink for each of its applets in /bin (what `busybox --install -s` makes), /etc/passwd and
 * /etc/group with root and nobody, and a world-writable /tmp.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ociImageArchive } from '../../pkg/containerd/oci.ts';
import { hostPauseArch } from '../../pkg/containerd/pause.ts';
import type { TarEntry } from '../../pkg/containerd/tar.ts';

export const BUSYBOX = '/bin/busybox';

export interface BusyboxImageOptions {
  /** Full reference, e.g. `tsk.local/busybox:test`. */
  name: string;
  /** Folder the tarball is written to. */
  dir: string;
  /** File name in `dir`; default derived from the image name. */
  fileName?: string;
  /** Default `["sh"]`, as the busybox image on Docker Hub. */
  cmd?: string[];
}

function busyboxRootfs(): TarEntry[] {
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox');
  return [
    { type: 'dir', path: 'bin' },
    { type: 'file', path: 'bin/busybox', data: fs.readFileSync(BUSYBOX), mode: 0o755 },
    ...applets.map((applet): TarEntry => ({ type: 'symlink', path: `bin/${applet}`, target: 'busybox' })),
    { type: 'dir', path: 'etc' },
    { type: 'file', path: 'etc/passwd', data: Buffer.from('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n') },
    { type: 'file', path: 'etc/group', data: Buffer.from('root:x:0:\nnobody:x:65534:\n') },
    { type: 'dir', path: 'root', mode: 0o700 },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
  ];
}

/** Writes the busybox image's OCI tarball and returns its path. */
export function buildBusyboxImage(options: BusyboxImageOptions): string {
  const file = path.join(options.dir, options.fileName ?? `${options.name.replace(/[^A-Za-z0-9.-]+/g, '_')}.tar`);
  const archive = ociImageArchive({
    name: options.name,
    architecture: hostPauseArch(),
    layers: [busyboxRootfs()],
    config: { Cmd: options.cmd ?? ['sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
  });
  fs.mkdirSync(options.dir, { recursive: true });
  fs.writeFileSync(file, archive);
  return file;
}
