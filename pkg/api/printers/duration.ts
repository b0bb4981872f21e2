/**
 * Kubernetes' human durations (apimachinery util/duration.HumanDuration): about two
 * significant figures, so AGE reads "45s", "5m12s", "3h20m", "2d3h", "400d", "3y20d".
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** HumanDuration for a span in milliseconds. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND);
  // Kubernetes tolerates up to 2 s of clock skew as "now" and calls anything earlier invalid.
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(ms / HOUR);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const d = days % 365;
    return d === 0 ? `${years}y` : `${years}y${d}d`;
  }
  return `${years}y`;
}

/** Milliseconds since the epoch for an RFC 3339 time, or undefined when absent or unparsable. */
export function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The AGE cell (printers.go translateTimestampSince): "<unknown>" when the time is missing,
 * otherwise the human duration from `from` to `now`.
 */
export function formatAge(from: string | undefined, now: Date): string {
  const ms = parseTime(from);
  if (ms === undefined) return '<unknown>';
  return humanDuration(now.getTime() - ms);
}

/** A human duration between two times (Job DURATION); `<unknown>` rules as formatAge. */
export function formatSpan(from: string | undefined, to: string | undefined, now: Date): string {
  const start = parseTime(from);
  if (start === undefined) return '<unknown>';
  const end = parseTime(to) ?? now.getTime();
  return humanDuration(end - start);
}
