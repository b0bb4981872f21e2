/** Shared fixtures of the printer tests: a fixed "now" and times relative to it. */
export const now = new Date('2024-05-01T12:00:00Z');

/** An RFC 3339 time `seconds` before `now`, as the API server stores it. */
export function ago(seconds: number): string {
  return new Date(now.getTime() - seconds * 1000).toISOString().replace('.000Z', 'Z');
}
