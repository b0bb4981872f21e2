/**
 * The five conditions a terminating namespace carries in Kubernetes, with its reasons and
 * messages (kubectl describe shows them; tools wait on NamespaceContentRemaining). Each pass
 * sets all five: the failing variant where something is wrong, the "ok" variant otherwise.
 */

export interface NamespaceCondition {
  type: string;
  status: 'True' | 'False';
  lastTransitionTime?: string;
  reason: string;
  message: string;
}

/** What one pass over the namespace's content found. */
export interface ContentReport {
  /** Group versions discovery could not read. */
  discoveryFailures: string[];
  /** Resources whose deletion failed: "configmaps: <error>". */
  deleteFailures: string[];
  /** Objects still there by group-resource ("configmaps", "widgets.example.com"). */
  remaining: Map<string, number>;
  /** Objects still there by finalizer they carry. */
  finalizers: Map<string, number>;
}

const OK: Record<string, { reason: string; message: string }> = {
  NamespaceDeletionDiscoveryFailure: { reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
  NamespaceDeletionGroupVersionParsingFailure: { reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
  NamespaceDeletionContentFailure: { reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
  NamespaceContentRemaining: { reason: 'ContentRemoved', message: 'All content successfully removed' },
  NamespaceFinalizersRemaining: { reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
};

const byBytes = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function counted(counts: Map<string, number>, verb: string): string {
  return [...counts.entries()].sort(([a], [b]) => byBytes(a, b)).map(([what, n]) => `${what} ${verb} ${n} resource instances`).join(', ');
}

/** The conditions Kubernetes' namespace deleter would set for this report. */
export function conditionsFor(report: ContentReport): NamespaceCondition[] {
  const failing = new Map<string, { reason: string; message: string }>();
  if (report.discoveryFailures.length > 0) {
    failing.set('NamespaceDeletionDiscoveryFailure', { reason: 'DiscoveryFailed', message: `Discovery failed for some groups, ${report.discoveryFailures.length} failing: ${report.discoveryFailures.join(', ')}` });
  }
  if (report.deleteFailures.length > 0) {
    failing.set('NamespaceDeletionContentFailure', { reason: 'ContentDeletionFailed', message: `Failed to delete all resource types, ${report.deleteFailures.length} remaining: ${report.deleteFailures.join(', ')}` });
  }
  if (report.remaining.size > 0) {
    failing.set('NamespaceContentRemaining', { reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${counted(report.remaining, 'has')}` });
  }
  if (report.finalizers.size > 0) {
    failing.set('NamespaceFinalizersRemaining', { reason: 'SomeFinalizersRemain', message: `Some content in the namespace has finalizers remaining: ${counted(report.finalizers, 'in')}` });
  }
  return Object.entries(OK).map(([type, ok]) => {
    const bad = failing.get(type);
    return bad ? { type, status: 'True', ...bad } : { type, status: 'False', ...ok };
  });
}

/**
 * The namespace's conditions with `wanted` merged in; undefined when nothing changed (so an
 * unchanged pass writes nothing). lastTransitionTime moves only when a condition changes.
 */
export function mergeConditions(current: NamespaceCondition[], wanted: NamespaceCondition[], now: string): NamespaceCondition[] | undefined {
  let changed = false;
  const merged = current.filter((c) => !OK[c.type]);
  for (const w of wanted) {
    const old = current.find((c) => c.type === w.type);
    if (old && old.status === w.status && old.reason === w.reason && old.message === w.message) {
      merged.push(old);
      continue;
    }
    changed = true;
    merged.push({ ...w, lastTransitionTime: now });
  }
  return changed ? merged : undefined;
}
