/**
 * Builds dist/tsk, the single executable: a Node single-executable application (SEA).
 *   1. esbuild bundles cmd/tsk/main.ts and every dependency into one CommonJS script (Node
 *      20's SEA runs exactly one CommonJS script; no ESM, no top-level await).
 *   2. `node --experimental-sea-config` turns it into a blob, with better-sqlite3's native
 *      addon as the asset pkg/kv/sqlite/native.ts unpacks at run time, and the script itself
 *      for the server's worker thread (pkg/server/components-worker.ts).
 *   3. postject injects the blob into a copy of the Node binary, flipping the SEA fuse.
 * Run with: node --import tsx scripts/build.ts (the Makefile does). Overrides for release
 * builds of another Node or architecture: NODE_BINARY (the base executable) and SQLITE_ADDON
 * (a better_sqlite3.node built for that Node's ABI and architecture).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { ADDON_ASSET } from '../pkg/kv/sqlite/native.ts';
import { SELF_ASSET } from '../pkg/server/components-worker.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const work = path.join(dist, '.build');
const require = createRequire(import.meta.url);

/** Node's SEA sentinel; fixed by Node (see the SEA docs), not by us. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

async function bundle(outfile: string): Promise<void> {
  await build({
    entryPoints: [path.join(root, 'cmd', 'tsk', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // esbuild prints its own warnings, with file and line.
    logLevel: 'warning',
    legalComments: 'none',
    // Smaller to parse at every start; identifiers stay, so stack traces stay readable.
    minifyWhitespace: true,
    minifySyntax: true,
    // In a SEA the script's own `require` loads built-in modules only. better-sqlite3 loads
    // its addon with __non_webpack_require__ when that exists (a bundler convention), so
    // give it a real file-system require. ESM sources read import.meta.url, which a CommonJS
    // bundle lacks: point it at the executable.
    banner: {
      js: [
        'var __non_webpack_require__ = require("node:module").createRequire(process.execPath);',
        'var __tsk_import_meta_url = require("node:url").pathToFileURL(process.execPath).href;',
      ].join('\n'),
    },
    define: {
      'import.meta.url': '__tsk_import_meta_url',
      // ws tries the optional native addons bufferutil and utf-8-validate with require(),
      // which in a SEA prints a warning on every start; we ship neither.
      'process.env.WS_NO_BUFFER_UTIL': '"1"',
      'process.env.WS_NO_UTF_8_VALIDATE': '"1"',
    },
  });
}

/**
 * Runs a build tool, showing its output only if it fails, minus LIEF's "Can't find string
 * offset for section name" lines: postject prints them for every Debian Node binary and they
 * are harmless (the section names are simply not in the string table).
 */
function run(label: string, command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`
    .split('\n').filter((l) => l.trim() !== '' && !l.includes("Can't find string offset for section name")).join('\n');
  if (result.status !== 0) throw new Error(`${label} failed (${result.status ?? result.signal}):\n${output}`);
}

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
  const blob = path.join(work, 'tsk.blob');
  const seaConfig = path.join(work, 'sea-config.json');
  const nodeBinary = process.env.NODE_BINARY ?? process.execPath;

  await bundle(script);
  fs.writeFileSync(seaConfig, JSON.stringify({
    main: script,
    output: blob,
    disableExperimentalSEAWarning: true,
    // A code cache ties the blob to the exact Node that builds it; it only helps start-up
    // when that is also the base binary.
    useCodeCache: nodeBinary === process.execPath,
    // The script itself, again: the server's components worker thread evaluates it.
    assets: { [ADDON_ASSET]: sqliteAddon(), [SELF_ASSET]: script },
  }, null, 2));
  // The blob must be made by the same Node version as the base binary.
  run('node --experimental-sea-config', nodeBinary, ['--experimental-sea-config', seaConfig]);

  const tmp = path.join(work, 'tsk');
  fs.copyFileSync(nodeBinary, tmp);
  fs.chmodSync(tmp, 0o755);
  run('postject', process.execPath, [require.resolve('postject/dist/cli.js'), tmp, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE]);
  fs.renameSync(tmp, path.join(dist, 'tsk'));
  fs.rmSync(work, { recursive: true, force: true });
  const size = fs.statSync(path.join(dist, 'tsk')).size;
  console.log(`build: dist/tsk (${(size / 2 ** 20).toFixed(1)} MiB, node ${execFileSync(nodeBinary, ['--version']).toString().trim()}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  console.error(`build: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
