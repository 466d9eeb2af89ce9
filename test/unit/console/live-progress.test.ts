import { describe, expect, it } from 'vitest';
import { liveRate, timeLeftText } from '../../../console/src/format.js';

describe('live progress: rate and time left from what the page has seen', () => {
  it('gives letters per second over the samples of the last minute', () => {
    const t0 = Date.parse('2026-12-05T06:00:00Z');
    const samples = [
      { at: t0 - 120_000, done: 0 },
      { at: t0, done: 1_000 },
      { at: t0 + 10_000, done: 2_000 },
      { at: t0 + 20_000, done: 3_000 },
    ];
    // Only the last 60 s count: 2 000 letters in 20 s.
    expect(liveRate(samples)).toBe(100);
  });

  it('has no rate with fewer than two samples or no time between them', () => {
    expect(liveRate([])).toBeUndefined();
    expect(liveRate([{ at: 1, done: 5 }])).toBeUndefined();
    expect(
      liveRate([
        { at: 1, done: 5 },
        { at: 1, done: 9 },
      ]),
    ).toBeUndefined();
  });

  it('says the time left in Norwegian words, or nothing while the rate is unknown or zero', () => {
    expect(timeLeftText(30_000, 100, 'nb')).toBe('ca. 5 min igjen');
    expect(timeLeftText(90, 100, 'nb')).toBe('under 1 min igjen');
    expect(timeLeftText(720_000, 100, 'nb')).toBe('ca. 2 t 0 min igjen');
    expect(timeLeftText(30_000, 100, 'en')).toBe('about 5 min left');
    expect(timeLeftText(100, undefined, 'nb')).toBeUndefined();
    expect(timeLeftText(100, 0, 'nb')).toBeUndefined();
  });
});
