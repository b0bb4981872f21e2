/**
 * The steps of a tsk single executable (a Node SEA) that the dev build (scripts/build.ts) and
 * the release build (scripts/release.ts) share: the esbuild bundle, and turning a bundle plus
 * the better-sqlite3 addon into an executable on a given Node base binary.
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { ADDON_ASSET } from '../pkg/kv/sqlite/native.ts';
import { SELF_ASSET } from '../pkg/server/components-worker.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const execFileAsync = promisify(execFile);

/** Node's SEA sentinel; fixed by Node (see the SEA docs), not by us. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** Bundles cmd/tsk/main.ts and every dependency into one CommonJS script (what a SEA runs). */
export async function bundle(outfile: string): Promise<void> {
  await build({
    entryPoints: [path.join(ROOT, 'cmd', 'tsk', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    // The oldest Node that runs the bundle: the dev build's; release builds run it on a newer one.
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
 * A build tool's output for an error message, minus LIEF's "Can't find string offset for
 * section name" lines: postject prints them for every Debian Node binary and they are
 * harmless (the section names are simply not in the string table).
 */
function toolOutput(stdout: string | undefined, stderr: string | undefined): string {
  return `${stdout ?? ''}${stderr ?? ''}`
    .split('\n').filter((l) => l.trim() !== '' && !l.includes("Can't find string offset for section name")).join('\n');
}

interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Runs a build tool, showing its output only if it fails. */
export function run(label: string, command: string, args: string[], options: RunOptions = {}): void {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20, ...options });
  if (result.status !== 0) throw new Error(`${label} failed (${result.status ?? result.signal ?? result.error?.message}):\n${toolOutput(result.stdout, result.stderr)}`);
}

/** run(), without blocking: for long builds that may go side by side. */
export async function runAsync(label: string, command: string, args: string[], options: RunOptions = {}): Promise<void> {
  try {
    await execFileAsync(command, args, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20, ...options });
  } catch (err) {
    const e = err as { code?: unknown; signal?: unknown; stdout?: string; stderr?: string };
    throw new Error(`${label} failed (${String(e.code ?? e.signal)}):\n${toolOutput(e.stdout, e.stderr)}`);
  }
}

export interface SeaSpec {
  /** The bundle from bundle(). */
  script: string;
  /** better_sqlite3.node built for the base binary's Node ABI and architecture. */
  addon: string;
  /** The Node executable the SEA is made of. */
  base: string;
  /**
   * A Node this machine can run, of the same version as `base`, that writes the blob (Node's
   * rule: the blob's maker and the base are one version). Same as `base` for native builds.
   */
  blobMaker: string;
  /** A code cache only works where the blob's maker is the base binary itself. */
  useCodeCache: boolean;
  /** Node/V8 flags the executable starts with (sea-config execArgv; Node 24 and later). */
  execArgv?: string[];
  /** A scratch folder of the caller's. */
  work: string;
  /** Where the executable goes (written aside, then renamed into place). */
  out: string;
}

/** Makes the blob, injects it into a copy of the base binary (flipping the SEA fuse). */
export function makeSea(spec: SeaSpec): void {
  fs.mkdirSync(spec.work, { recursive: true });
  const blob = path.join(spec.work, 'tsk.blob');
  const seaConfig = path.join(spec.work, 'sea-config.json');
  fs.writeFileSync(seaConfig, JSON.stringify({
    main: spec.script,
    output: blob,
    disableExperimentalSEAWarning: true,
    useCodeCache: spec.useCodeCache,
    ...(spec.execArgv?.length ? { execArgv: spec.execArgv } : {}),
    // The script itself, again: the server's components worker thread evaluates it.
    assets: { [ADDON_ASSET]: spec.addon, [SELF_ASSET]: spec.script },
  }, null, 2));
  run('node --experimental-sea-config', spec.blobMaker, ['--experimental-sea-config', seaConfig]);

  const tmp = path.join(spec.work, 'tsk');
  fs.copyFileSync(spec.base, tmp);
  fs.chmodSync(tmp, 0o755);
  run('postject', process.execPath, [require.resolve('postject/dist/cli.js'), tmp, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE]);
  fs.mkdirSync(path.dirname(spec.out), { recursive: true });
  fs.renameSync(tmp, spec.out);
}
