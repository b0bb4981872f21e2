/**
 * Kubernetes' atomic writer for configMap, secret, downwardAPI and projected volumes: the
 * files live in a timestamped directory `..2006_01_02_15_04_05.NNN`, `..data` is a symlink to
 * it, and each visible name is a symlink through `..data`. An update writes a new timestamped
 * directory and swaps `..data` with one rename, so a running container sees the old set or the
 * new set of files, never a mix; unchanged payloads touch nothing (no flash wear).
 */
import fs from 'node:fs';
import path from 'node:path';

export interface FileProjection {
  data: Buffer;
  /** Permission bits, e.g. 0o644. */
  mode: number;
}

/** Relative path inside the volume → content. */
export type Payload = Map<string, FileProjection>;

const DATA_DIR_NAME = '..data';
const NEW_DATA_DIR_NAME = '..data_tmp';

/** Refuses what Kubernetes' validatePath refuses: absolute paths, `..` elements, a leading `..`. */
export function checkPayloadPath(p: string): void {
  if (p === '') throw new Error('invalid path: must not be empty');
  if (path.isAbsolute(p)) throw new Error(`invalid path: must be relative path: ${p}`);
  if (p.split('/').includes('..')) throw new Error(`invalid path: must not contain '..': ${p}`);
  if (p.startsWith('..')) throw new Error(`invalid path: must not start with '..': ${p}`);
}

function timestampPrefix(now: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `..${now.getUTCFullYear()}_${two(now.getUTCMonth() + 1)}_${two(now.getUTCDate())}_${two(now.getUTCHours())}_${two(now.getUTCMinutes())}_${two(now.getUTCSeconds())}.`;
}

function readTree(root: string, rel = '', out: Payload = new Map()): Payload {
  for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) readTree(root, p, out);
    else out.set(p, { data: fs.readFileSync(path.join(root, p)), mode: fs.statSync(path.join(root, p)).mode & 0o7777 });
  }
  return out;
}

function samePayload(a: Payload, b: Payload): boolean {
  if (a.size !== b.size) return false;
  for (const [p, file] of a) {
    const other = b.get(p);
    if (!other || other.mode !== file.mode || !other.data.equals(file.data)) return false;
  }
  return true;
}

/** The timestamped directory `..data` points to, or undefined before the first write. */
function currentDataDir(dir: string): string | undefined {
  try {
    return path.join(dir, fs.readlinkSync(path.join(dir, DATA_DIR_NAME)));
  } catch {
    return undefined;
  }
}

/** Writes `payload` into `dir` atomically; answers whether anything changed. */
export function writeAtomically(dir: string, payload: Payload, now = new Date()): boolean {
  for (const p of payload.keys()) checkPayloadPath(p);
  fs.mkdirSync(dir, { recursive: true });
  const old = currentDataDir(dir);
  if (old && fs.existsSync(old) && samePayload(readTree(old), payload)) return false;

  const fresh = fs.mkdtempSync(path.join(dir, timestampPrefix(now)));
  fs.chmodSync(fresh, 0o755);
  for (const [p, file] of payload) {
    const target = path.join(fresh, p);
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
    fs.writeFileSync(target, file.data);
    fs.chmodSync(target, file.mode);
  }
  const tmpLink = path.join(dir, NEW_DATA_DIR_NAME);
  fs.rmSync(tmpLink, { force: true });
  fs.symlinkSync(path.basename(fresh), tmpLink);
  fs.renameSync(tmpLink, path.join(dir, DATA_DIR_NAME));

  const visible = new Set([...payload.keys()].map((p) => p.split('/')[0]!));
  for (const name of visible) {
    const link = path.join(dir, name);
    if (!fs.existsSync(link)) fs.symlinkSync(path.join(DATA_DIR_NAME, name), link);
  }
  if (old) fs.rmSync(old, { recursive: true, force: true });
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('..') || visible.has(entry.name)) continue;
    if (entry.isSymbolicLink()) fs.rmSync(path.join(dir, entry.name));
  }
  return true;
}
