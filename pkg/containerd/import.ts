/**
 * Imports one image tarball into containerd's `k8s.io` namespace, the one the CRI (and so the
 * kubelet) sees, and unpacks it into the snapshotter the CRI uses: an image that is only in
 * the content store makes CreateContainer fail.
 *
 * Supported: OCI image layouts and `docker save` archives (what ctr 1.6 reads), plain or
 * compressed with gzip, zstd, bzip2 or lz4 (decompressed here: ctr 1.6 reads only plain tar).
 * The compression is told by the first bytes, not the file name.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { Snapshotter } from './config.ts';
import { type Ctr, findExecutable, runCtr } from './ctr.ts';
import { ContainerdError } from './errors.ts';

export const CRI_NAMESPACE = 'k8s.io';

/**
 * Compressions told by their magic bytes; all but gzip (Node's zlib) go through the Debian
 * package's command, as Node 20 has no decoder for them.
 */
const DECOMPRESSORS: { name: string; magic: number[]; command?: string }[] = [
  { name: 'gzip', magic: [0x1f, 0x8b] },
  { name: 'zstd', magic: [0x28, 0xb5, 0x2f, 0xfd], command: 'zstd' },
  { name: 'bzip2', magic: [0x42, 0x5a, 0x68], command: 'bzip2' },
  { name: 'lz4', magic: [0x04, 0x22, 0x4d, 0x18], command: 'lz4' },
];

function readHead(file: string): Buffer {
  const head = Buffer.alloc(4);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, 4, 0);
  } finally {
    fs.closeSync(fd);
  }
  return head;
}

/** The tar stream inside `file`. */
function tarStream(file: string): Readable {
  const head = readHead(file);
  const compression = DECOMPRESSORS.find((d) => d.magic.every((byte, i) => head[i] === byte));
  if (!compression) return fs.createReadStream(file);
  if (!compression.command) return fs.createReadStream(file).pipe(zlib.createGunzip());
  const command = findExecutable(compression.command);
  if (!command) throw new ContainerdError('image', `${file} is ${compression.name}-compressed: install ${compression.command} (apt-get install ${compression.command}) or decompress it`);
  const child = spawn(command, ['-dc', '--', file], { stdio: ['ignore', 'pipe', 'ignore'] });
  child.on('exit', (code) => code && child.stdout.destroy(new Error(`${compression.command} exited with code ${code}`)));
  return child.stdout;
}

/**
 * The full form the CRI looks images up by (`busybox` → `docker.io/library/busybox:latest`),
 * by Docker's reference rules: a first component without `.` or `:` (and not `localhost`) is
 * not a registry, official images live under `library/`, and no tag means `latest`.
 */
export function normalizeImageName(name: string): string {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  const hasDomain = first.includes('.') || first.includes(':') || first === 'localhost';
  let full = hasDomain ? name : `docker.io/${slash === -1 ? 'library/' : ''}${name}`;
  const lastPart = full.slice(full.lastIndexOf('/') + 1);
  if (!lastPart.includes(':') && !lastPart.includes('@')) full += ':latest';
  return full;
}

/** Imports and unpacks the images in `source` (a file, or the archive's bytes); returns their names. */
export async function importImages(ctr: Ctr, source: string | Buffer, snapshotter: Snapshotter, signal?: AbortSignal): Promise<string[]> {
  const input = typeof source === 'string' ? tarStream(source) : Readable.from([source]);
  const output = await runCtr(ctr, ['images', 'import', '--snapshotter', snapshotter, '-'], { namespace: CRI_NAMESPACE, input, signal });
  // ctr prints `unpacking NAME (sha256:…)...done` per image it unpacked.
  const names = [...output.matchAll(/^unpacking (\S+) \(sha256:[0-9a-f]+\)\.\.\.done$/gm)].map((m) => m[1]);
  // ctr normalizes docker-save names, but keeps an OCI archive's ref.name as written: rename
  // short ones, or a pod naming `busybox:1` would never find the image.
  const renamed: string[] = [];
  for (const name of names) {
    const full = normalizeImageName(name);
    if (full !== name) {
      await runCtr(ctr, ['images', 'tag', '--force', name, full], { namespace: CRI_NAMESPACE, signal });
      await runCtr(ctr, ['images', 'rm', name], { namespace: CRI_NAMESPACE, signal });
    }
    renamed.push(full);
  }
  return renamed;
}
