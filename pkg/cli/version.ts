/** The version users see: package.json's, bundled into the executable at build time. */
import pkg from '../../package.json' with { type: 'json' };

export const VERSION = `v${pkg.version}`;

/** What `tsk --version` prints; the Node line matters because the executable carries its own Node. */
export function versionText(): string {
  return `tsk version ${VERSION}\nnode version ${process.version}`;
}
