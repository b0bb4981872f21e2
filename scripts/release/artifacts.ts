/**
 * What a release consists of, by name: scripts/install.sh downloads `tsk-linux-ARCH` and
 * `sha256sum-ARCH.txt` (one line in sha256sum's format), so these names are a contract.
 */
import path from 'node:path';
import { ROOT } from '../sea.ts';
import type { Arch } from './node-dist.ts';

export const RELEASE_DIR = path.join(ROOT, 'dist', 'release');
export const executableName = (arch: Arch): string => `tsk-linux-${arch}`;
export const checksumName = (arch: Arch): string => `sha256sum-${arch}.txt`;
