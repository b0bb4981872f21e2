/**
 * Builds dist/tsk, the single executable: a Node single-executable application (SEA).
 *   1. esbuild bundles cmd/tsk/main.ts and every dependency into one CommonJS script (Node
 *      20's SEA runs exactly one CommonJS script; no ESM, no top-level await).
 *   2. `node --experimental-sea-config` turns it into a blob, with better-sqlite3's native
 *      addon as the asset pkg/kv/sqlite/native.ts unpacks at run time, and the script itself
 *      for the server's worker thread (pkg/server/components-worker.ts).
 *   3. postject injects the blob into a copy of the Node binary, flipping the SEA fuse.
 * The steps live in scripts/sea.ts, shared with the release build (scripts/release.ts).
 * Run with: node --import tsx scripts/build.ts (the Makefile does). Overrides for a build on
 * another Node of this architecture: NODE_BINARY (the base executable) and SQLITE_ADDON
 * (a better_sqlite3.node built for that Node's ABI).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { bundle, makeSea, ROOT } from './sea.ts';

const dist = path.join(ROOT, 'dist');
const work = path.join(dist, '.build');
const require = createRequire(import.meta.url);

function sqliteAddon(): string {
  const file = process.env.SQLITE_ADDON
    ?? path.join(path.dirname(require.resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run npm ci (it builds better-sqlite3), or set SQLITE_ADDON`);
  return file;
}

async function main(): Promise<void> {
  const started = Date.now();
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const script = path.join(work, 'tsk.cjs');
  const nodeBinary = process.env.NODE_BINARY ?? process.execPath;

  await bundle(script);
  makeSea({
    script,
    addon: sqliteAddon(),
    base: nodeBinary,
    blobMaker: nodeBinary,
    // A code cache ties the blob to the exact Node that builds it; it only helps start-up
    // when that is also the base binary.
    useCodeCache: nodeBinary === process.execPath,
    work,
    out: path.join(dist, 'tsk'),
  });
  fs.rmSync(work, { recursive: true, force: true });
  const size = fs.statSync(path.join(dist, 'tsk')).size;
  console.log(`build: dist/tsk (${(size / 2 ** 20).toFixed(1)} MiB, node ${execFileSync(nodeBinary, ['--version']).toString().trim()}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  console.error(`build: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
