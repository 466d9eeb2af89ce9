import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETENTION, isExpired, parseRetention, retentionFor } from '../../../functions/domain/shared/retention.js';

const DAY = 86_400;

describe('retentionFor', () => {
  it('keeps list rows, per-recipient detail and inbox copies 90 days by default, the ledger and the report five years', () => {
    const completedAt = '2026-11-30T10:00:00.000Z';
    const t = Date.parse(completedAt) / 1000;
    expect(retentionFor('listRows', completedAt)).toBe(t + 90 * DAY);
    expect(retentionFor('delivery', completedAt)).toBe(t + 90 * DAY);
    expect(retentionFor('inbox', completedAt)).toBe(t + 90 * DAY);
    expect(retentionFor('contactLedger', completedAt)).toBe(t + (5 * 365 + 1) * DAY);
    expect(retentionFor('roundReport', new Date(completedAt))).toBe(t + (5 * 365 + 1) * DAY);
  });

  it('follows the configured policy, in whole epoch seconds, never before the start', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_000_000_000_000 }), fc.integer({ min: 1, max: 3650 }), (ms, days) => {
        const v = retentionFor('delivery', new Date(ms), { days, longDays: days * 10 });
        expect(Number.isInteger(v)).toBe(true);
        expect(v).toBe(Math.floor(ms / 1000) + days * DAY);
        expect(retentionFor('contactLedger', new Date(ms), { days, longDays: days * 10 })).toBeGreaterThan(v);
      }),
    );
  });

  it('refuses an invalid start time', () => {
    expect(() => retentionFor('delivery', 'not a date')).toThrow();
  });
});

describe('retention configuration', () => {
  it('defaults when unset and reads whole days', () => {
    expect(parseRetention(undefined, '')).toEqual(DEFAULT_RETENTION);
    expect(parseRetention('30', '3650')).toEqual({ days: 30, longDays: 3650 });
  });
  it.each(['0', '-1', '1.5', 'ninety', '99999'])('refuses RETENTION_DAYS=%s (fail closed, not "keep forever")', (v) => {
    expect(() => parseRetention(v, undefined)).toThrow(/RETENTION_DAYS/);
  });
});

describe('isExpired', () => {
  it('is true from the TTL second on, and never for items without one', () => {
    expect(isExpired(100, 100_000)).toBe(true);
    expect(isExpired(101, 100_000)).toBe(false);
    expect(isExpired(undefined)).toBe(false);
    expect(isExpired('100', 1e15)).toBe(false);
  });
});
