/**
 * kube-scheduler's FitError text, word for word: "0/N nodes are available: " then a histogram
 * of reasons ("2 Insufficient cpu", sorted as strings, counts included), each part closed with
 * ". ". Kubernetes appends the preemption message with the same separator although that message
 * already ends in a full stop, so real clusters print "..": we keep it, for the people and
 * tools that match on it.
 */
import type { Failure } from './filters.ts';

export const NO_NODES = 'no nodes available to schedule pods';

export function reasonHistogram(failures: Iterable<Failure>): string[] {
  const counts = new Map<string, number>();
  for (const f of failures) for (const r of f.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([reason, n]) => `${n} ${reason}`).sort();
}

export function fitErrorMessage(numAllNodes: number, failures: Iterable<Failure>, postFilterMessage?: string): string {
  let message = `0/${numAllNodes} nodes are available:`;
  const parts = reasonHistogram(failures);
  if (parts.length) message += ` ${parts.join(', ')}.`;
  if (postFilterMessage) message += ` ${postFilterMessage}.`;
  return message;
}

export const PREEMPTION = {
  notHelpful: 'Preemption is not helpful for scheduling',
  noVictims: 'No preemption victims found for incoming pod',
  never: 'not eligible due to preemptionPolicy=Never.',
  prefix: 'preemption: ',
};
