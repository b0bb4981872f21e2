import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mostRecentTime, nextTime, parseSchedule } from './schedule.ts';

const next = (spec: string, after: string, timeZone = 'UTC') => nextTime(parseSchedule(spec, timeZone), new Date(after))?.toISOString();

describe('cron schedule', () => {
  it('steps, ranges and lists', () => {
    assert.equal(next('*/15 * * * *', '2026-03-01T10:07:30Z'), '2026-03-01T10:15:00.000Z');
    assert.equal(next('*/15 * * * *', '2026-03-01T10:45:00Z'), '2026-03-01T11:00:00.000Z');
    assert.equal(next('5-10/2 8,20 * * *', '2026-03-01T08:09:00Z'), '2026-03-01T20:05:00.000Z');
    assert.equal(next('0 0 1 * *', '2026-01-31T12:00:00Z'), '2026-02-01T00:00:00.000Z');
    assert.equal(next('* * * * *', '2026-12-31T23:59:00Z'), '2027-01-01T00:00:00.000Z');
    // A start mid-minute goes to the next whole minute, never the same instant.
    assert.equal(next('* * * * *', '2026-05-05T05:05:00Z'), '2026-05-05T05:06:00.000Z');
  });

  it('month and day names, and day-of-month OR day-of-week unless one is *', () => {
    assert.equal(next('0 9 * jan-mar mon', '2026-03-31T00:00:00Z'), '2027-01-04T09:00:00.000Z');
    // 13th of the month or any Friday.
    assert.equal(next('0 0 13 * fri', '2026-02-01T00:00:00Z'), '2026-02-06T00:00:00.000Z');
    // * in day of week: only the 13th.
    assert.equal(next('0 0 13 * *', '2026-02-01T00:00:00Z'), '2026-02-13T00:00:00.000Z');
    assert.equal(next('0 0 29 2 *', '2026-03-01T00:00:00Z'), '2028-02-29T00:00:00.000Z');
  });

  it('descriptors and @every', () => {
    assert.equal(next('@hourly', '2026-03-01T10:07:00Z'), '2026-03-01T11:00:00.000Z');
    assert.equal(next('@daily', '2026-03-01T10:07:00Z'), '2026-03-02T00:00:00.000Z');
    assert.equal(next('@weekly', '2026-03-01T10:07:00Z'), '2026-03-08T00:00:00.000Z'); // a Sunday
    assert.equal(next('@yearly', '2026-03-01T10:07:00Z'), '2027-01-01T00:00:00.000Z');
    assert.equal(next('@every 1h30m', '2026-03-01T10:07:00.400Z'), '2026-03-01T11:37:00.000Z');
  });

  it('a schedule that never matches has no next time', () => {
    assert.equal(next('0 0 31 2 *', '2026-01-01T00:00:00Z'), undefined);
  });

  it('runs on the wall clock of spec.timeZone, across daylight-saving changes', () => {
    // 09:00 in Berlin is 08:00 UTC in winter, 07:00 UTC in summer.
    assert.equal(next('0 9 * * *', '2026-01-10T12:00:00Z', 'Europe/Berlin'), '2026-01-11T08:00:00.000Z');
    assert.equal(next('0 9 * * *', '2026-07-10T12:00:00Z', 'Europe/Berlin'), '2026-07-11T07:00:00.000Z');
    // New York springs forward on 2026-03-08 at 02:00: 02:30 does not exist and runs at 03:30 EDT.
    assert.equal(next('30 2 * * *', '2026-03-08T05:00:00Z', 'America/New_York'), '2026-03-08T07:30:00.000Z');
    // It falls back on 2026-11-01: the hourly job still runs every hour, 01:00 both times.
    const ny = parseSchedule('0 * * * *', 'America/New_York');
    const times: string[] = [];
    let t = new Date('2026-11-01T04:30:00Z');
    for (let i = 0; i < 4; i++) times.push((t = nextTime(ny, t)!).toISOString());
    assert.deepEqual(times, ['2026-11-01T05:00:00.000Z', '2026-11-01T06:00:00.000Z', '2026-11-01T07:00:00.000Z', '2026-11-01T08:00:00.000Z']);
  });

  it('a TZ= prefix sets the zone', () => {
    assert.equal(nextTime(parseSchedule('CRON_TZ=Asia/Tokyo 0 9 * * *'), new Date('2026-01-01T01:00:00Z'))?.toISOString(), '2026-01-02T00:00:00.000Z');
  });

  it('finds the most recent missed time and counts the misses', () => {
    const s = parseSchedule('*/5 * * * *', 'UTC');
    assert.deepEqual(mostRecentTime(s, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:04:59Z')), { missed: 0 });
    const one = mostRecentTime(s, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:07:00Z'));
    assert.equal(one.time?.toISOString(), '2026-01-01T00:05:00.000Z');
    assert.equal(one.missed, 1);
    const many = mostRecentTime(s, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-03T00:02:00Z'));
    assert.equal(many.time?.toISOString(), '2026-01-03T00:00:00.000Z');
    assert.equal(many.missed, 576);
    // Weekdays only: the Friday run is the latest before Monday morning.
    const weekdays = mostRecentTime(parseSchedule('0 9 * * 1-5', 'UTC'), new Date('2025-01-01T00:00:00Z'), new Date('2026-03-09T08:00:00Z'));
    assert.equal(weekdays.time?.toISOString(), '2026-03-06T09:00:00.000Z');
  });
});
