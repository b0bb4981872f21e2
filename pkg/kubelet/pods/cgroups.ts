/**
 * Removal of a pod's cgroup directories once its containers are gone. runc creates the pod's
 * cgroup parent (cgroupfs driver) when the first container starts and removes only the
 * containers' own cgroups, so without this every pod would leave empty directories behind in
 * each hierarchy. The systemd driver's slices are systemd's to remove.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { CgroupDriver } from './resources.ts';

const CGROUP_FS = '/sys/fs/cgroup';
const QOS_DIRS = ['', 'burstable', 'besteffort'];

/** The hierarchies to clean: the unified one (v2), or one per v1 controller. */
async function hierarchies(mount: string): Promise<string[]> {
  try {
    await fs.access(path.join(mount, 'cgroup.controllers'));
    return [mount];
  } catch {
    const entries = await fs.readdir(mount, { withFileTypes: true }).catch(() => []);
    return entries.filter((e) => e.isDirectory()).map((e) => path.join(mount, e.name));
  }
}

/** Removes `<root>/[qos/]pod<uid>` in every hierarchy where it exists and is empty; never throws. */
export async function removePodCgroups(driver: CgroupDriver, root: string, uid: string, mount = CGROUP_FS): Promise<void> {
  if (driver !== 'cgroupfs') return;
  for (const hierarchy of await hierarchies(mount)) {
    for (const qos of QOS_DIRS) {
      // rmdir is how cgroups are removed (their control files go with the directory); a cgroup
      // still holding processes or children answers EBUSY and stays.
      await fs.rmdir(path.join(hierarchy, root, qos, `pod${uid}`)).catch(() => {});
    }
  }
}
