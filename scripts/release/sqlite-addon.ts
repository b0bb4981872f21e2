/**
 * better-sqlite3's native addon for a release's Node and architecture, compiled from the
 * source npm installed in node_modules (it carries SQLite's amalgamation) against the Node
 * package's headers: node-gyp with --nodedir, so nothing is downloaded. Another architecture
 * is cross-compiled with Debian's gcc for it (g++-aarch64-linux-gnu for arm64). Cached by
 * better-sqlite3 version, Node version and architecture: compiling SQLite takes a minute or two,
 * most of it one file (sqlite3.c), so the architectures' builds go side by side.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { runAsync } from '../sea.ts';
import { ELF_MACHINE, elfMachine, NODE_ARCH, type NodeDist } from './node-dist.ts';

const require = createRequire(import.meta.url);

/** The GNU toolchain prefix Debian's cross compilers use, per target. */
const TRIPLET = { amd64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' } as const;
/** What better-sqlite3's build needs from its source tree (node_modules' copy also holds a build/). */
const SOURCE_PARTS = ['binding.gyp', 'deps', 'src', 'package.json'];

/** npm's own node-gyp (npm bundles it to build addons), unless NODE_GYP names another. */
function nodeGyp(): string {
  if (process.env.NODE_GYP) return process.env.NODE_GYP;
  const globalRoot = execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim();
  const file = path.join(globalRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (!fs.existsSync(file)) throw new Error(`node-gyp is not at ${file} (npm's bundled copy): set NODE_GYP to node-gyp.js`);
  return file;
}

/** CC/CXX/... for a cross build; checks the compiler is installed before a long build fails late. */
function crossEnv(dist: NodeDist): NodeJS.ProcessEnv {
  if (NODE_ARCH[dist.arch] === process.arch) return {};
  const t = TRIPLET[dist.arch];
  if (spawnSync(`${t}-g++`, ['--version']).status !== 0) {
    throw new Error(`${t}-g++ is missing: apt-get install gcc-${t} g++-${t}`);
  }
  return { CC: `${t}-gcc`, CXX: `${t}-g++`, LINK: `${t}-g++`, AR: `${t}-ar`, CC_host: 'gcc', CXX_host: 'g++' };
}

/** The path of better_sqlite3.node for `dist`, building it first if the cache lacks it. */
export async function sqliteAddon(dist: NodeDist, cache: string): Promise<string> {
  const source = path.dirname(require.resolve('better-sqlite3/package.json'));
  const version = (JSON.parse(fs.readFileSync(path.join(source, 'package.json'), 'utf8')) as { version: string }).version;
  const file = path.join(cache, `better_sqlite3-${version}-node${dist.version}-${dist.arch}.node`);
  if (fs.existsSync(file)) return file;

  const started = Date.now();
  console.log(`release: compiling better-sqlite3 ${version} for node ${dist.version} ${dist.arch}`);
  const work = path.join(cache, `better-sqlite3-${dist.arch}.${process.pid}.tmp`);
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  try {
    for (const part of SOURCE_PARTS) fs.cpSync(path.join(source, part), path.join(work, part), { recursive: true });
    await runAsync(`node-gyp (${dist.arch})`, process.execPath, [
      nodeGyp(), 'rebuild', '--release', `--arch=${NODE_ARCH[dist.arch]}`, `--nodedir=${dist.dir}`,
      `--jobs=${os.availableParallelism()}`,
    ], { cwd: work, env: { ...process.env, ...crossEnv(dist) } });
    const built = path.join(work, 'build', 'Release', 'better_sqlite3.node');
    if (elfMachine(built) !== ELF_MACHINE[dist.arch]) throw new Error(`${built} was not built for ${dist.arch}`);
    fs.copyFileSync(built, `${file}.tmp`);
    fs.renameSync(`${file}.tmp`, file);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.log(`release: better-sqlite3 for ${dist.arch} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return file;
}
