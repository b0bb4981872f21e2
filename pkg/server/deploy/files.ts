/**
 * Which files of DATA_DIR/server/manifests count, with k3s's rules: *.yaml, *.yml and *.json
 * (any case) in the folder and its subfolders; dotfiles are ignored (editors' swap files);
 * `NAME.skip` beside NAME keeps NAME from being applied; a file whose name without extension,
 * or one of whose parent folders, is a --disable'd component is removed with its objects
 * (disabling wins over .skip, as in k3s).
 */
import fs from 'node:fs';
import path from 'node:path';
import { DeployError } from './errors.ts';

export interface ManifestFiles {
  /** Paths relative to the manifests folder, with '/' separators, sorted. */
  apply: string[];
  /** To be removed from disk and from the cluster. */
  disabled: string[];
  /** Present, but a .skip file holds them back. */
  skipped: string[];
}

const MANIFEST = /\.(ya?ml|json)$/i;

export function isManifestName(name: string): boolean {
  return MANIFEST.test(name) && !name.startsWith('.');
}

/** Sorts `rels` (every file found, folders excluded) into what to do with each. */
export function classify(rels: string[], disables: readonly string[]): ManifestFiles {
  const present = new Set(rels);
  const disabled = new Set(disables);
  const out: ManifestFiles = { apply: [], disabled: [], skipped: [] };
  for (const rel of [...rels].sort()) {
    const parts = rel.split('/');
    const base = parts[parts.length - 1]!;
    if (!isManifestName(base)) continue;
    const folders = parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
    if (folders.some((f) => disabled.has(f)) || disabled.has(base.replace(MANIFEST, ''))) out.disabled.push(rel);
    else if (present.has(`${rel}.skip`)) out.skipped.push(rel);
    else out.apply.push(rel);
  }
  return out;
}

/**
 * Every file below `root` as a relative '/'-path; hidden folders are not entered. A missing
 * or unreadable root throws DeployError('read'): taken for an empty folder, it would delete
 * the objects of every file (a folder on a mount that is not up yet, a wrong permission).
 */
export function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, prefix: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      if (depth === 0) throw new DeployError('read', `cannot list ${root}: ${(err as Error).message}`, { cause: err });
      // A subfolder gone between listing and reading: its files count as missing for this
      // pass, which deletes nothing yet (see sync.ts).
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const abs = path.join(dir, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        // A link to a folder is followed (k3s does too), but only so deep, against loops.
        const st = fs.statSync(abs, { throwIfNoEntry: false });
        isDir = !!st?.isDirectory() && depth < 8;
        isFile = !!st?.isFile();
      }
      if (isDir) walk(abs, `${prefix}${e.name}/`, depth + 1);
      else if (isFile) out.push(`${prefix}${e.name}`);
    }
  };
  walk(root, '', 0);
  return out.sort();
}

/** The folders to watch: root and every non-hidden subfolder. */
export function listFolders(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    out.push(dir);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.') || depth >= 8) continue;
      const abs = path.join(dir, e.name);
      if (e.isDirectory() || (e.isSymbolicLink() && fs.statSync(abs, { throwIfNoEntry: false })?.isDirectory())) walk(abs, depth + 1);
    }
  };
  if (fs.existsSync(root)) walk(root, 0);
  return out;
}
