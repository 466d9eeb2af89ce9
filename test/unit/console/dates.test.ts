import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { osloLocalToIso, OSLO, OSLO_CLOCK } from '../../../console/src/dates.js';
import { formatTime } from '../../../console/src/format.js';

/**
 * Issue 27: every time on the console is Norwegian time (Europe/Oslo, nb-NO), whatever the
 * machine's zone, and the scheduled-release field (a `datetime-local`, wall-clock time in Oslo)
 * becomes the right instant across the DST changes (last Sunday of March 02:00 → 03:00, last
 * Sunday of October 03:00 → 02:00).
 */
describe('osloLocalToIso: a wall-clock time in Oslo to an instant', () => {
  it('winter time is UTC+1, summer time UTC+2', () => {
    expect(osloLocalToIso('2026-01-15T09:30')).toBe('2026-01-15T08:30:00.000Z');
    expect(osloLocalToIso('2026-07-01T09:30')).toBe('2026-07-01T07:30:00.000Z');
    expect(osloLocalToIso('2026-07-01T09:30:15')).toBe('2026-07-01T07:30:15.000Z');
  });

  it('around the spring change (29 March 2026): the last minute of winter time and the first of summer time', () => {
    expect(osloLocalToIso('2026-03-29T01:59')).toBe('2026-03-29T00:59:00.000Z');
    expect(osloLocalToIso('2026-03-29T03:00')).toBe('2026-03-29T01:00:00.000Z');
  });

  it('a time the spring change skips (02:30) is moved forward by the gap, as the clocks were', () => {
    expect(osloLocalToIso('2026-03-29T02:30')).toBe('2026-03-29T01:30:00.000Z');
  });

  it('a time the autumn change repeats (25 October 2026, 02:30) is the first of the two, in summer time', () => {
    expect(osloLocalToIso('2026-10-25T02:30')).toBe('2026-10-25T00:30:00.000Z');
    expect(osloLocalToIso('2026-10-25T01:59')).toBe('2026-10-24T23:59:00.000Z');
    expect(osloLocalToIso('2026-10-25T03:00')).toBe('2026-10-25T02:00:00.000Z');
  });

  it('is the machine zone’s business in no way', () => {
    const saved = process.env.TZ;
    try {
      process.env.TZ = 'America/New_York';
      expect(osloLocalToIso('2026-07-01T09:30')).toBe('2026-07-01T07:30:00.000Z');
    } finally {
      process.env.TZ = saved;
    }
  });

  it('refuses what is not a date and time', () => {
    for (const bad of ['', 'i morgen', '2026-13-01T10:00', '2026-02-30T10:00', '2026-01-01T24:00', '2026-01-01']) expect(osloLocalToIso(bad)).toBeUndefined();
  });

  it('names the zone it works in', () => {
    expect(OSLO).toBe('Europe/Oslo');
  });
});

describe('formatTime: Oslo time in nb-NO, whatever the machine zone', () => {
  it('shows winter and summer time as Oslo reads them, day first, 24-hour clock', () => {
    const saved = process.env.TZ;
    try {
      process.env.TZ = 'UTC';
      expect(formatTime('2026-01-15T08:30:00.000Z', 'nb')).toBe('15.01.2026, 09:30:00');
      expect(formatTime('2026-07-01T07:30:05.000Z', 'nb')).toBe('01.07.2026, 09:30:05');
      // Either side of the spring change.
      expect(formatTime('2026-03-29T00:59:00.000Z', 'nb')).toBe('29.03.2026, 01:59:00');
      expect(formatTime('2026-03-29T01:00:00.000Z', 'nb')).toBe('29.03.2026, 03:00:00');
      process.env.TZ = 'America/New_York';
      expect(formatTime('2026-01-15T08:30:00.000Z', 'nb')).toBe('15.01.2026, 09:30:00');
    } finally {
      process.env.TZ = saved;
    }
  });
});

describe('one place owns the Oslo clock (console/src/dates.ts)', () => {
  it('formatTime reads the time with the same Intl options as the wall-clock conversion', () => {
    expect(OSLO_CLOCK).toMatchObject({ timeZone: OSLO, hourCycle: 'h23' });
    const at = new Date('2026-01-14T23:00:00.000Z');
    expect(formatTime(at.toISOString(), 'nb')).toBe(new Intl.DateTimeFormat('nb-NO', OSLO_CLOCK).format(at));
    expect(formatTime(at.toISOString(), 'en')).toBe(new Intl.DateTimeFormat('en-GB', OSLO_CLOCK).format(at));
    // Midnight is 00, never 24, in either language.
    expect(formatTime(at.toISOString(), 'en')).toBe('15/01/2026, 00:00:00');
  });

  it('no other console module sets a time zone of its own', () => {
    const dir = join(import.meta.dirname, '../../../console/src');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.tsx?$/.test(f) && f !== 'dates.ts');
    expect(files.filter((f) => /timeZone\s*:/.test(readFileSync(join(dir, f), 'utf8')))).toEqual([]);
  });
});
