/** The 409 a conflicting apply gets, worded as Kubernetes' NewConflictError words it. */
import { ApiError } from '../../errors.ts';
import { compareElements, pathString } from './fieldpath.ts';
import { describeManager } from './managed.ts';
import type { Conflict } from './updater.ts';

/** Conflicts ordered by manager, then path, so messages and causes are stable. */
export function sortConflicts(conflicts: readonly Conflict[]): Conflict[] {
  const byPath = (a: Conflict, b: Conflict) => {
    for (let i = 0; i < Math.min(a.path.length, b.path.length); i++) {
      const c = compareElements(a.path[i]!, b.path[i]!);
      if (c !== 0) return c;
    }
    return a.path.length - b.path.length;
  };
  return [...conflicts].sort((a, b) => {
    const ma = describeManager(a.manager);
    const mb = describeManager(b.manager);
    return ma < mb ? -1 : ma > mb ? 1 : byPath(a, b);
  });
}

export function conflictError(conflicts: readonly Conflict[]): ApiError {
  const sorted = sortConflicts(conflicts);
  const causes = sorted.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${describeManager(c.manager)}`,
    field: pathString(c.path),
  }));
  return new ApiError(409, 'Conflict', conflictMessage(sorted), { causes });
}

function conflictMessage(conflicts: Conflict[]): string {
  if (conflicts.length === 1) {
    const only = conflicts[0]!;
    return `Apply failed with 1 conflict: conflict with ${describeManager(only.manager)}: ${pathString(only.path)}`;
  }
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) {
    const name = describeManager(c.manager);
    byManager.set(name, [...(byManager.get(name) ?? []), pathString(c.path)]);
  }
  const lines: string[] = [];
  for (const manager of [...byManager.keys()].sort()) {
    lines.push(`conflicts with ${manager}:`);
    for (const path of byManager.get(manager)!) lines.push(`- ${path}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}
