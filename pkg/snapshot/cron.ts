/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week), as k3s's
 * --etcd-snapshot-schedule-cron takes them: numbers, "*", ranges a-b, steps ("*" or a-b, then /n),
 * lists, month and weekday names (jan, mon), 7 for Sunday, and the @hourly/@daily/@weekly/
 * @monthly/@yearly shorthands. When both day fields are restricted a day matches either (the
 * classic cron rule). Times are the machine's local time, as k3s's scheduler uses.
 */
import { SnapshotError } from './errors.ts';

export interface CronSchedule {
  readonly expression: string;
  /** The first matching minute strictly after `after`. */
  next(after: Date): Date;
}

const FIELDS = [
  { name: 'minute', min: 0, max: 59, names: [] as string[] },
  { name: 'hour', min: 0, max: 23, names: [] },
  { name: 'day of month', min: 1, max: 31, names: [] },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day of week', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
] as const;

const SHORTHANDS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

function bad(expression: string, why: string): SnapshotError {
  return new SnapshotError('bad-cron', `cron expression "${expression}": ${why}`);
}

function parseField(expression: string, text: string, field: (typeof FIELDS)[number]): Set<number> {
  const values = new Set<number>();
  const number = (s: string): number => {
    const named = (field.names as readonly string[]).indexOf(s.toLowerCase());
    if (named >= 0) return named + (field.name === 'month' ? 1 : 0);
    if (!/^\d+$/.test(s)) throw bad(expression, `${field.name}: "${s}" is not a number`);
    const n = Number(s);
    if (n < field.min || n > field.max) throw bad(expression, `${field.name}: ${n} is outside ${field.min}-${field.max}`);
    return n;
  };
  for (const part of text.split(',')) {
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined || range === undefined || range === '') throw bad(expression, `${field.name}: "${part}" is malformed`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) throw bad(expression, `${field.name}: step "${stepText}" must be a positive number`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === '*') {
      lo = field.min;
      hi = field.max;
    } else if (range.includes('-')) {
      const [a, b] = range.split('-');
      lo = number(a!);
      hi = number(b!);
      if (lo > hi) throw bad(expression, `${field.name}: range ${range} runs backwards`);
    } else {
      lo = number(range);
      // "5/15" means from 5 to the end in steps of 15.
      hi = stepText !== undefined ? field.max : lo;
    }
    for (let v = lo; v <= hi; v += step) values.add(field.name === 'day of week' && v === 7 ? 0 : v);
  }
  return values;
}

export function parseCron(expression: string): CronSchedule {
  const text = SHORTHANDS[expression.trim().toLowerCase()] ?? expression.trim();
  const parts = text.split(/\s+/);
  if (parts.length !== 5) throw bad(expression, `needs 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`);
  const [minutes, hours, doms, months, dows] = parts.map((p, i) => parseField(expression, p, FIELDS[i]!)) as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  const domAny = parts[2]!.startsWith('*');
  const dowAny = parts[4]!.startsWith('*');
  const dayMatches = (d: Date): boolean => {
    const dom = doms.has(d.getDate());
    const dow = dows.has(d.getDay());
    if (domAny && dowAny) return true;
    if (domAny) return dow;
    if (dowAny) return dom;
    return dom || dow;
  };
  return {
    expression,
    next(after: Date): Date {
      const t = new Date(after.getTime());
      t.setSeconds(0, 0);
      t.setMinutes(t.getMinutes() + 1);
      // Whole days, hours and minutes are skipped when they cannot match; 5 years bounds
      // expressions that never match (February 30th).
      const limit = after.getTime() + 5 * 366 * 24 * 3600 * 1000;
      while (t.getTime() <= limit) {
        if (!months.has(t.getMonth() + 1)) {
          t.setMonth(t.getMonth() + 1, 1);
          t.setHours(0, 0, 0, 0);
          continue;
        }
        if (!dayMatches(t)) {
          t.setDate(t.getDate() + 1);
          t.setHours(0, 0, 0, 0);
          continue;
        }
        if (!hours.has(t.getHours())) {
          t.setHours(t.getHours() + 1, 0, 0, 0);
          continue;
        }
        if (!minutes.has(t.getMinutes())) {
          t.setMinutes(t.getMinutes() + 1, 0, 0);
          continue;
        }
        return t;
      }
      throw bad(expression, 'never matches');
    },
  };
}
