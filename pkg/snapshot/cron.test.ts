import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCron } from './cron.ts';

/** Local time, as the schedule runs in it. */
const at = (y: number, mo: number, d: number, h = 0, mi = 0) => new Date(y, mo - 1, d, h, mi);
const fmt = (t: Date) => `${t.getFullYear()}-${t.getMonth() + 1}-${t.getDate()} ${t.getHours()}:${String(t.getMinutes()).padStart(2, '0')}`;

function runs(expr: string, from: Date, n: number): string[] {
  const s = parseCron(expr);
  const out: string[] = [];
  let t = from;
  for (let i = 0; i < n; i++) {
    t = s.next(t);
    out.push(fmt(t));
  }
  return out;
}

describe('cron expressions', () => {
  it("k3s's default runs at 00:00 and 12:00", () => {
    assert.deepEqual(runs('0 */12 * * *', at(2026, 12, 3, 13, 40), 3), ['2026-12-4 0:00', '2026-12-4 12:00', '2026-12-5 0:00']);
  });

  it('is strictly after the given time', () => {
    assert.deepEqual(runs('0 */12 * * *', at(2026, 12, 3, 12, 0), 1), ['2026-12-4 0:00']);
  });

  it('steps, ranges, lists and names', () => {
    assert.deepEqual(runs('*/20 9-10 * * *', at(2026, 1, 1, 8, 59), 7), ['2026-1-1 9:00', '2026-1-1 9:20', '2026-1-1 9:40', '2026-1-1 10:00', '2026-1-1 10:20', '2026-1-1 10:40', '2026-1-2 9:00']);
    assert.deepEqual(runs('5,35 1 * * *', at(2026, 1, 1), 2), ['2026-1-1 1:05', '2026-1-1 1:35']);
    assert.deepEqual(runs('0 0 1 jan-mar/2 *', at(2026, 1, 1, 0, 1), 2), ['2026-3-1 0:00', '2027-1-1 0:00']);
    // 2026-12-07 is a Monday.
    assert.deepEqual(runs('30 6 * * mon', at(2026, 12, 3), 2), ['2026-12-7 6:30', '2026-12-14 6:30']);
    assert.deepEqual(runs('0 0 * * 7', at(2026, 12, 3), 1), ['2026-12-6 0:00']);
    assert.deepEqual(runs('10/25 0 * * *', at(2026, 12, 3), 3), ['2026-12-3 0:10', '2026-12-3 0:35', '2026-12-4 0:10']);
  });

  it('a day matches either restricted day field, as in cron', () => {
    // The 13th, or any Friday: 2026-12-04 is a Friday.
    assert.deepEqual(runs('0 0 13 * fri', at(2026, 12, 3), 3), ['2026-12-4 0:00', '2026-12-11 0:00', '2026-12-13 0:00']);
  });

  it('shorthands', () => {
    assert.deepEqual(runs('@daily', at(2026, 12, 3, 5), 1), ['2026-12-4 0:00']);
    assert.deepEqual(runs('@hourly', at(2026, 12, 3, 5, 10), 1), ['2026-12-3 6:00']);
  });

  it('February 29th comes in a leap year; February 30th never', () => {
    assert.deepEqual(runs('0 0 29 2 *', at(2026, 12, 3), 1), ['2028-2-29 0:00']);
    assert.throws(() => parseCron('0 0 30 2 *').next(at(2026, 1, 1)), /never matches/);
  });

  it('refuses malformed expressions, naming the field', () => {
    assert.throws(() => parseCron('0 */12 * *'), /needs 5 fields/);
    assert.throws(() => parseCron('60 * * * *'), /minute: 60 is outside 0-59/);
    assert.throws(() => parseCron('* * * * 8'), /day of week: 8 is outside 0-7/);
    assert.throws(() => parseCron('*/0 * * * *'), /step "0" must be a positive number/);
    assert.throws(() => parseCron('5-2 * * * *'), /runs backwards/);
    assert.throws(() => parseCron('x * * * *'), /"x" is not a number/);
  });
});
