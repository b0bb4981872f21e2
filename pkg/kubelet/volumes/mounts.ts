/**
 * A container's volumeMounts as CRI mounts: the volume's host path (or a subPath inside it,
 * created when missing and refused when it leads outside the volume, symlinks included),
 * read-only when the mount or the volume says so, and the mount propagation.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Mount, MountPropagation } from '../runtime.ts';
import type { ContainerSpec } from './downward.ts';
import { expand } from '../env.ts';

/** A set-up volume: where it is on the host, and whether it must be mounted read-only. */
export interface SetUpVolume {
  hostPath: string;
  readOnly: boolean;
}

const PROPAGATION: Record<string, MountPropagation> = {
  None: 'PROPAGATION_PRIVATE',
  HostToContainer: 'PROPAGATION_HOST_TO_CONTAINER',
  Bidirectional: 'PROPAGATION_BIDIRECTIONAL',
};

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** `subPath` inside the volume at `root`, created as a directory when missing (as kubelet does). */
function subPathOf(root: string, subPath: string, volumeName: string): string {
  const target = path.join(root, subPath);
  if (!isInside(root, target)) throw new Error(`subPath "${subPath}" of volume "${volumeName}" leads outside the volume`);
  if (!fs.existsSync(target)) {
    // lstat: a dangling symlink must not be turned into a directory somewhere else.
    let dangling = false;
    try {
      dangling = fs.lstatSync(target).isSymbolicLink();
    } catch {
      dangling = false;
    }
    if (dangling) throw new Error(`subPath "${subPath}" of volume "${volumeName}" is a dangling symlink`);
    fs.mkdirSync(target, { recursive: true, mode: 0o750 });
  }
  if (!isInside(fs.realpathSync(root), fs.realpathSync(target))) throw new Error(`subPath "${subPath}" of volume "${volumeName}" leads outside the volume`);
  return target;
}

/**
 * The CRI mounts of `container`. `env` expands subPathExpr ($(VAR) from the container's
 * environment), as Kubernetes does.
 */
export function mountsFor(container: ContainerSpec, volumes: Map<string, SetUpVolume>, env: Map<string, string> = new Map()): Mount[] {
  const mounts: Mount[] = [];
  for (const vm of (container.volumeMounts ?? []) as { name: string; mountPath: string; subPath?: string; subPathExpr?: string; readOnly?: boolean; mountPropagation?: string }[]) {
    const volume = volumes.get(vm.name);
    if (!volume) throw new Error(`cannot find volume "${vm.name}" to mount into container "${container.name}"`);
    const subPath = vm.subPathExpr ? expand(vm.subPathExpr, (n) => env.get(n)) : vm.subPath;
    const hostPath = subPath ? subPathOf(volume.hostPath, subPath, vm.name) : volume.hostPath;
    mounts.push({
      containerPath: vm.mountPath,
      hostPath,
      readonly: !!vm.readOnly || volume.readOnly,
      selinuxRelabel: false,
      propagation: PROPAGATION[vm.mountPropagation ?? 'None'] ?? 'PROPAGATION_PRIVATE',
    });
  }
  return mounts;
}
