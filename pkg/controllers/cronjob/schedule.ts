/**
 * Cron schedules as the CronJob controller runs them (robfig/cron's standard parser): five
 * fields with lists, ranges, steps and month/day names, the @yearly…@hourly descriptors and
 * @every <duration>, evaluated on the wall clock of a time zone (spec.timeZone, else the
 * process's own zone, as kube-controller-manager uses its local time). The API server has
 * already validated the text (pkg/api/resources/batch/cron.ts); this side only computes times.
 *
 * Daylight saving: a wall time that does not exist (spring forward) runs at the same wall
 * time after the jump, as Go's time.Date normalises it; an ambiguous one (fall back) runs once.
 */

export interface Schedule {
  /** Allowed values per field: minute, hour, day of month, month, day of week. */
  fields?: [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  /** A `*` (or `?`) in day of month or day of week: then both must match, else either. */
  domStar?: boolean;
  dowStar?: boolean;
  /** @every: a fixed delay in ms. */
  everyMs?: number;
  timeZone?: string;
}

const BOUNDS: [number, number][] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 6],
];
const NAMES: Record<string, number>[] = [
  {},
  {},
  {},
  Object.fromEntries(['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].map((m, i) => [m, i + 1])),
  Object.fromEntries(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].map((d, i) => [d, i])),
];
const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a schedule; throws on text the API server would have refused. */
export function parseSchedule(text: string, timeZone?: string): Schedule {
  let rest = text.trim();
  const tz = /^(?:CRON_TZ|TZ)=(\S+)\s+/.exec(rest);
  if (tz) {
    timeZone = tz[1];
    rest = rest.slice(tz[0].length);
  }
  if (timeZone) new Intl.DateTimeFormat('en-US', { timeZone }); // throws RangeError on an unknown zone
  if (rest.startsWith('@every ')) {
    let ms = 0;
    const body = rest.slice('@every '.length).trim();
    if (!/^((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$/.test(body)) throw new Error(`bad duration in ${text}`);
    for (const m of body.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    // robfig rounds the delay down to whole seconds, and to at least one.
    return { everyMs: Math.max(1000, Math.floor(ms / 1000) * 1000), timeZone };
  }
  rest = DESCRIPTORS[rest] ?? rest;
  const parts = rest.split(/\s+/);
  if (parts.length !== 5) throw new Error(`expected exactly 5 fields, found ${parts.length}: ${text}`);
  const fields = parts.map((p, i) => parseField(p, i)) as unknown as Schedule['fields'];
  const star = (p: string) => p === '*' || p === '?' || p.split(',').some((r) => /^[*?](\/1)?$/.test(r));
  return { fields, domStar: star(parts[2]!), dowStar: star(parts[4]!), timeZone };
}

function parseField(field: string, i: number): Set<number> {
  const [min, max] = BOUNDS[i]!;
  const values = new Set<number>();
  const num = (s: string) => {
    const n = NAMES[i]![s.toLowerCase()] ?? Number(s);
    if (!Number.isInteger(n)) throw new Error(`bad value ${s}`);
    return n;
  };
  for (const range of field.split(',')) {
    const [span, stepText] = range.split('/');
    const [low, high] = span!.split('-');
    let start = min;
    let end = max;
    if (low !== '*' && low !== '?') {
      start = num(low!);
      end = high !== undefined ? num(high) : stepText !== undefined ? max : start;
    }
    const step = stepText !== undefined ? Number(stepText) : 1;
    if (start < min || end > max || start > end || !(step > 0)) throw new Error(`bad range ${range}`);
    for (let v = start; v <= end; v += step) values.add(v);
  }
  return values;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's wall-clock reading at `instant`, as epoch ms of the same reading in UTC. */
export function wallMs(instant: number, timeZone: string | undefined): number {
  const id = timeZone ?? '';
  let f = formatters.get(id);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(id, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(instant)).map((x) => [x.type, Number(x.value)]));
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) + (instant % 1000 + 1000) % 1000;
}

/** The instant at which the zone's clock reads `wall` (the later side of a spring-forward gap). */
function instantOf(wall: number, timeZone: string | undefined): number {
  const guess = wall - (wallMs(wall, timeZone) - wall);
  const offset = wallMs(guess, timeZone) - guess;
  const exact = wall - offset;
  return wallMs(exact, timeZone) === wall ? exact : guess;
}

/** The first scheduled time strictly after `after`, or undefined when none within five years. */
export function nextTime(s: Schedule, after: Date): Date | undefined {
  if (s.everyMs) return new Date(Math.floor(after.getTime() / 1000) * 1000 + s.everyMs);
  const t = firstByWallClock(s, after.getTime());
  if (t === undefined) return undefined;
  // The clock went back in between (fall back): the repeated wall times may hold an earlier run.
  const offsetOf = (i: number) => wallMs(i, s.timeZone) - i;
  const before = offsetOf(after.getTime());
  const later = offsetOf(t);
  if (later < before) {
    let lo = after.getTime();
    let hi = t;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (offsetOf(mid) === before) lo = mid;
      else hi = mid;
    }
    const wall = nextWall(new Date(Math.floor(wallMs(hi, s.timeZone) / 60_000) * 60_000), ...s.fields!, !!(s.domStar || s.dowStar));
    const repeated = wall ? wall.getTime() - later : undefined;
    if (repeated !== undefined && repeated > after.getTime() && repeated < t && wallMs(repeated, s.timeZone) === wall!.getTime()) return new Date(repeated);
  }
  return new Date(t);
}

function firstByWallClock(s: Schedule, after: number): number | undefined {
  let from = Math.floor(wallMs(after, s.timeZone) / 60_000) * 60_000 + 60_000;
  for (let round = 0; round < 120; round++) {
    const wall = nextWall(new Date(from), ...s.fields!, !!(s.domStar || s.dowStar));
    if (!wall) return undefined;
    const t = instantOf(wall.getTime(), s.timeZone);
    if (t > after) return t;
    // Inside a repeated hour the wall time maps to its first occurrence; the second may be ahead.
    const second = t + 3_600_000;
    if (second > after && wallMs(second, s.timeZone) === wall.getTime()) return second;
    from = wall.getTime() + 60_000;
  }
  return undefined;
}

/** robfig's SpecSchedule.Next on wall-clock fields held in a UTC Date. */
function nextWall(w: Date, minutes: Set<number>, hours: Set<number>, doms: Set<number>, months: Set<number>, dows: Set<number>, both: boolean): Date | undefined {
  const limit = w.getUTCFullYear() + 5;
  const dayMatches = (d: Date) => {
    const dom = doms.has(d.getUTCDate());
    const dow = dows.has(d.getUTCDay());
    return both ? dom && dow : dom || dow;
  };
  wrap: for (;;) {
    if (w.getUTCFullYear() > limit) return undefined;
    while (!months.has(w.getUTCMonth() + 1)) {
      w = new Date(Date.UTC(w.getUTCFullYear(), w.getUTCMonth() + 1, 1));
      if (w.getUTCMonth() === 0) continue wrap;
    }
    while (!dayMatches(w)) {
      w = new Date(Date.UTC(w.getUTCFullYear(), w.getUTCMonth(), w.getUTCDate() + 1));
      if (w.getUTCDate() === 1) continue wrap;
    }
    while (!hours.has(w.getUTCHours())) {
      w = new Date(Date.UTC(w.getUTCFullYear(), w.getUTCMonth(), w.getUTCDate(), w.getUTCHours() + 1));
      if (w.getUTCHours() === 0) continue wrap;
    }
    while (!minutes.has(w.getUTCMinutes())) {
      w = new Date(w.getTime() + 60_000);
      if (w.getUTCMinutes() === 0) continue wrap;
    }
    return w;
  }
}

/**
 * The latest scheduled time in (earliest, now], if any, and roughly how many were missed
 * (Kubernetes' mostRecentScheduleTime warns past 100). Only the last few are walked through.
 */
export function mostRecentTime(s: Schedule, earliest: Date, now: Date): { time?: Date; missed: number } {
  const t1 = nextTime(s, earliest);
  if (!t1 || t1 > now) return { missed: 0 };
  const t2 = nextTime(s, t1);
  if (!t2 || t2 > now) return { time: t1, missed: 1 };
  const interval = Math.max(1000, t2.getTime() - t1.getTime());
  const missed = Math.floor((now.getTime() - t1.getTime()) / interval) + 1;
  // Start close to now, at a time far enough back to hold at least one scheduled time.
  let t: Date | undefined = t1;
  for (const window of [2 * interval, 86_400_000, 32 * 86_400_000, 400 * 86_400_000]) {
    const from = new Date(Math.max(earliest.getTime(), now.getTime() - window));
    const candidate = nextTime(s, from);
    if (candidate && candidate <= now) {
      t = candidate;
      break;
    }
  }
  let latest = t;
  while (t && t <= now) {
    latest = t;
    t = nextTime(s, t);
  }
  return { time: latest, missed };
}
