/**
 * Sets of completion indexes as Indexed jobs keep them in status.completedIndexes: sorted,
 * merged intervals written as "1,3-5,7" (Kubernetes' orderedIntervals).
 */
import { completionIndex, type Pod } from './pods.ts';

export interface Interval {
  first: number;
  last: number;
}

/** Parses "1,3-5,7", keeping only indexes below `completions`; malformed parts are skipped. */
export function parseIndexes(text: string | undefined, completions: number): Interval[] {
  const out: Interval[] = [];
  for (const part of (text ?? '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const first = Number(m[1]);
    const last = Math.min(Number(m[2] ?? m[1]), completions - 1);
    if (first > last) continue;
    out.push({ first, last });
  }
  return withIndexes(out, []);
}

export function formatIndexes(intervals: Interval[]): string {
  return intervals.map((i) => (i.first === i.last ? String(i.first) : `${i.first}-${i.last}`)).join(',');
}

export const totalIndexes = (intervals: Interval[]): number => intervals.reduce((n, i) => n + i.last - i.first + 1, 0);

export const hasIndex = (intervals: Interval[], ix: number): boolean => intervals.some((i) => i.first <= ix && ix <= i.last);

/** The union of the intervals and the indexes, merged and sorted. */
export function withIndexes(intervals: Interval[], indexes: number[]): Interval[] {
  const all = [...intervals.map((i) => ({ ...i })), ...indexes.map((ix) => ({ first: ix, last: ix }))].sort((a, b) => a.first - b.first);
  const out: Interval[] = [];
  for (const i of all) {
    const prev = out[out.length - 1];
    if (prev && i.first <= prev.last + 1) prev.last = Math.max(prev.last, i.last);
    else out.push(i);
  }
  return out;
}

/** The lowest `count` indexes below `completions` that neither succeeded nor have an active pod. */
export function firstPendingIndexes(succeeded: Interval[], activePods: Pod[], count: number, completions: number): number[] {
  const taken = withIndexes(succeeded, activePods.map(completionIndex).filter((ix) => ix >= 0));
  const out: number[] = [];
  for (let ix = 0; ix < completions && out.length < count; ix++) {
    const covering = taken.find((i) => i.first <= ix && ix <= i.last);
    if (covering) ix = covering.last;
    else out.push(ix);
  }
  return out;
}
