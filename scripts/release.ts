/**
 * Builds the release executables dist/release/tsk-linux-{amd64,arm64} and their checksum
 * files sha256sum-{amd64,arm64}.txt (the names scripts/install.sh downloads), on Node 24 LTS
 * from the npm registry's node-linux-* packages (scripts/release/node-dist.ts), with
 * better-sqlite3 compiled against that Node (scripts/release/sqlite-addon.ts; arm64 is
 * cross-compiled). The bundle and the SEA steps are the dev build's (scripts/sea.ts).
 *
 * The blob of every architecture is written by the Node 24 of this machine's architecture
 * (Node's rule is one version for maker and base, not one architecture); only the native one
 * gets a code cache, which V8 would reject on another CPU.
 *
 * Run: make release, or node --import tsx scripts/release.ts [amd64|arm64]...
 * Downloads and compiled addons are cached in TSK_RELEASE_CACHE (default ~/.cache/tsk-release).
 * scripts/release-check.ts then runs each executable (arm64 under qemu-user).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundle, makeSea, ROOT } from './sea.ts';
import { checksumName, executableName, RELEASE_DIR } from './release/artifacts.ts';
import { ARCHES, NODE_ARCH, nodeDist, type Arch } from './release/node-dist.ts';
import { sqliteAddon } from './release/sqlite-addon.ts';

const work = path.join(ROOT, 'dist', '.release-build');

function cacheDir(): string {
  if (process.env.TSK_RELEASE_CACHE) return path.resolve(process.env.TSK_RELEASE_CACHE);
  return path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'tsk-release');
}

function hostArch(): Arch {
  const arch = ARCHES.find((a) => NODE_ARCH[a] === process.arch);
  if (!arch) throw new Error(`release builds run on amd64 or arm64 Linux, not ${process.arch}`);
  return arch;
}

function parseArches(argv: string[]): Arch[] {
  for (const a of argv) if (!ARCHES.includes(a as Arch)) throw new Error(`unknown architecture ${a} (known: ${ARCHES.join(', ')})`);
  return argv.length ? (argv as Arch[]) : ARCHES;
}

/** sha256sum's own format, so `sha256sum -c sha256sum-ARCH.txt` checks the download. */
function writeChecksum(arch: Arch): string {
  const file = path.join(RELEASE_DIR, executableName(arch));
  const hash = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  fs.writeFileSync(path.join(RELEASE_DIR, checksumName(arch)), `${hash}  ${executableName(arch)}\n`);
  return hash;
}

async function main(): Promise<void> {
  const started = Date.now();
  const arches = parseArches(process.argv.slice(2));
  const cache = cacheDir();
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const script = path.join(work, 'tsk.cjs');
  await bundle(script);

  const host = hostArch();
  const blobMaker = nodeDist(host, cache).binary;
  const dists = arches.map((arch) => nodeDist(arch, cache));
  // allSettled: a failed build must not end the process while the other still compiles.
  const built = await Promise.allSettled(dists.map((dist) => sqliteAddon(dist, cache)));
  const failed = built.find((b) => b.status === 'rejected');
  if (failed) throw failed.reason;
  const addons = built.map((b) => (b as PromiseFulfilledResult<string>).value);
  for (const [i, arch] of arches.entries()) {
    const dist = dists[i]!;
    const addon = addons[i]!;
    const out = path.join(RELEASE_DIR, executableName(arch));
    // Remove the old checksum first: a failed build must not leave a checksum that vouches
    // for a file it does not describe.
    fs.rmSync(path.join(RELEASE_DIR, checksumName(arch)), { force: true });
    makeSea({ script, addon, base: dist.binary, blobMaker, useCodeCache: arch === host, work: path.join(work, arch), out });
    const hash = writeChecksum(arch);
    const size = fs.statSync(out).size / 2 ** 20;
    console.log(`release: dist/release/${executableName(arch)} (${size.toFixed(1)} MiB, node ${dist.version}, sha256 ${hash.slice(0, 12)}…)`);
  }
  fs.rmSync(work, { recursive: true, force: true });
  console.log(`release: done in ${((Date.now() - started) / 1000).toFixed(1)} s (cache ${cache})`);
}

main().catch((err: unknown) => {
  console.error(`release: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
