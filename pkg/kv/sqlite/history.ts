import type { KeySpace } from './keyspace.ts';
import type { LogRow } from './queries.ts';
import type { HistorySource } from './watch.ts';

interface Cursor {
  mainAfterId: number;
  memFromRev: number;
}

const PAGE = 1000;

/**
 * History for catching-up watchers over both stores: the durable log is paged by row id; the
 * in-memory log (small by nature) is read in the revision window each durable page covers, and
 * the two are merged by revision.
 */
export class KeySpaceHistory implements HistorySource {
  constructor(private readonly ks: KeySpace, private readonly currentRev: () => number) {}

  page(fromRev: number, cursor: unknown): { rows: LogRow[]; cursor: unknown; done: boolean } {
    const c = (cursor as Cursor | undefined) ?? { mainAfterId: 0, memFromRev: fromRev };
    const current = this.currentRev();
    const mainRows = this.ks.main.history(fromRev, current, c.mainAfterId, PAGE);
    const done = mainRows.length < PAGE;
    const last = mainRows[mainRows.length - 1];
    const next: Cursor = { mainAfterId: last ? last.id : c.mainAfterId, memFromRev: c.memFromRev };
    if (!this.ks.mem || !this.ks.hasVolatile) return { rows: mainRows, cursor: next, done };
    // A full page may stop in the middle of revision `hi`: take memory rows below it only.
    const hi = done ? current + 1 : last!.rev;
    const memRows = this.ks.mem.historyWindow(c.memFromRev, hi);
    next.memFromRev = hi;
    return { rows: mergeByRevision(mainRows, memRows), cursor: next, done };
  }

  predecessor(row: LogRow): LogRow | undefined {
    return this.ks.predecessor(row);
  }
}

function mergeByRevision(a: LogRow[], b: LogRow[]): LogRow[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const out: LogRow[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]!.rev <= b[j]!.rev)) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}
