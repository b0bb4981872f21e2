/**
 * What check-config looks at, as paths and values it is handed: the real machine by default,
 * a folder laid out like one in tests (a cgroup v2 host, a kernel without br_netfilter…).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_CNI_BIN_DIR } from '../containerd/config.ts';
import { searchPath } from '../containerd/ctr.ts';

export interface HostView {
  /** Usually /proc, /sys, /boot, /lib/modules. */
  proc: string;
  sys: string;
  boot: string;
  libModules: string;
  cniBinDir: string;
  /** Where binaries are looked up: the agent's own search path (PATH, then the system dirs). */
  searchPath: string;
  uid: number;
  /** `uname -r`: names /boot/config-<release> and /lib/modules/<release>. */
  kernelRelease: string;
}

export function realHost(): HostView {
  return {
    proc: '/proc',
    sys: '/sys',
    boot: '/boot',
    libModules: '/lib/modules',
    cniBinDir: DEFAULT_CNI_BIN_DIR,
    searchPath: searchPath(),
    uid: process.getuid?.() ?? -1,
    kernelRelease: os.release(),
  };
}

/** The file's text, or undefined when it cannot be read (missing, or not ours to read). */
export function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The first executable `name` on the host's search path, as the agent would find it. */
export function which(host: HostView, name: string): string | undefined {
  for (const dir of host.searchPath.split(':')) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}
