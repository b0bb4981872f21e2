/**
 * Where better-sqlite3's native addon comes from. From source (tsx, node_modules) the answer
 * is undefined: better-sqlite3 finds its own build. In the single executable (dist/tsk, a
 * Node SEA) there is no node_modules: the build carries better_sqlite3.node as the SEA asset
 * ADDON_ASSET, and since dlopen() needs a file, the addon is written once to a cache folder,
 * keyed by its content hash, and that path is returned for better-sqlite3's nativeBinding.
 *
 * The cached file is dlopen'ed, possibly as root, so it must be one nobody else could have
 * planted or swapped: the folder must be ours, a real directory, not group/world-writable,
 * and the file's hash is checked before use. A candidate folder that fails (read-only,
 * noexec /tmp, foreign owner) is skipped for the next one.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import sea from 'node:sea';

/** The SEA asset key; scripts/build.ts adds the asset under this name. */
export const ADDON_ASSET = 'better_sqlite3.node';

let resolved: { path: string | undefined } | undefined;

/** Cache folders, best first; TSK_NATIVE_CACHE_DIR lets an operator choose (e.g. noexec /tmp). */
function candidates(): string[] {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const dirs = [path.join(os.homedir(), '.cache', 'tsk'), path.join(os.tmpdir(), `tsk-${uid}`)];
  const override = process.env.TSK_NATIVE_CACHE_DIR;
  return override ? [override, ...dirs] : dirs;
}

function sha256(data: Uint8Array): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** Creates `dir` if needed and checks that only this user can change what is in it. */
function ownPrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = fs.lstatSync(dir);
  if (!stat.isDirectory()) throw new Error(`${dir} is not a directory`);
  if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) throw new Error(`${dir} belongs to another user`);
  if ((stat.mode & 0o022) !== 0) throw new Error(`${dir} is writable by others`);
}

/** Writes the addon into `dir` (unless an intact copy is there), proves it loads, returns its path. */
function install(dir: string, addon: Uint8Array, hash: string): string {
  ownPrivateDir(dir);
  const file = path.join(dir, `better_sqlite3-${hash.slice(0, 16)}.node`);
  let intact = false;
  try {
    intact = sha256(fs.readFileSync(file)) === hash;
  } catch {
    // absent: written below
  }
  if (!intact) {
    // Write aside and rename, so a concurrent tsk never loads a half-written file.
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, addon, { mode: 0o600 });
    fs.renameSync(tmp, file);
  }
  // Load it here, so a folder that cannot hold executable code (noexec mount) is detected
  // while there is still another to try. better-sqlite3's own require of the same path then
  // hits Node's module cache and does not load it twice.
  createRequire(process.execPath)(file);
  removeOtherVersions(dir, file);
  return file;
}

/** Addons of older tsk builds; unlinking is safe even if one is mapped by a running process. */
function removeOtherVersions(dir: string, keep: string): void {
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name);
    if (file !== keep && /^better_sqlite3-[0-9a-f]{16}\.node$/.test(name)) fs.rmSync(file, { force: true });
  }
}

/**
 * The value for better-sqlite3's `nativeBinding` option: a file path when running as the
 * single executable, undefined otherwise. Computed once per process; throws if no cache
 * folder can hold the addon (the message lists why each was refused).
 */
export function betterSqliteNativeBinding(): string | undefined {
  if (resolved) return resolved.path;
  if (!sea.isSea()) {
    resolved = { path: undefined };
    return undefined;
  }
  const addon = new Uint8Array(sea.getAsset(ADDON_ASSET));
  const hash = sha256(addon);
  const failures: string[] = [];
  for (const dir of candidates()) {
    try {
      resolved = { path: install(dir, addon, hash) };
      return resolved.path;
    } catch (err) {
      const message = (err as Error).message.split('\n')[0]!;
      // The loader's refusal of the host's C library is the same in every folder: say what it is.
      const libc = /version `(GLIBC(?:XX)?_[\d.]+)' not found/.exec(message);
      if (libc) throw new Error(`this tsk needs a newer C library than this host has (${libc[1]}): release builds need glibc 2.34 or later (Debian 12, Ubuntu 22.04, Raspberry Pi OS bookworm); ${message}`);
      failures.push(`${dir}: ${message}`);
    }
  }
  throw new Error(`cannot unpack the SQLite addon (set TSK_NATIVE_CACHE_DIR to a private folder that allows executables): ${failures.join('; ')}`);
}
