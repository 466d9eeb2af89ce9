import { describe, expect, it } from 'vitest';
import { mergeEntries, monthRange, statisticsForBatch } from '../../../functions/domain/statistics/statistics.js';

describe('statistics (pure)', () => {
  it('counts a batch per channel, skips under none, in the UTC month of the commit', () => {
    expect(
      statisticsForBatch('uio', '2026-01-31T23:30:00.000+00:00', [
        { outcome: 'sent', channel: 'paper' },
        { outcome: 'failed', channel: 'paper' },
        { outcome: 'skipped' },
        { outcome: 'sent', channel: 'helsenorge' },
      ]),
    ).toEqual([
      { organization: 'uio', month: '2026-01', channel: 'paper', sent: 1, skipped: 0, failed: 1 },
      { organization: 'uio', month: '2026-01', channel: 'none', sent: 0, skipped: 1, failed: 0 },
      { organization: 'uio', month: '2026-01', channel: 'helsenorge', sent: 1, skipped: 0, failed: 0 },
    ]);
    expect(statisticsForBatch('uio', new Date('2026-02-01T00:00:00Z'), [])).toEqual([]);
  });

  it('merges equal keys and refuses negative counts', () => {
    const e = { organization: 'a', month: '2026-01', channel: 'paper', sent: 1, skipped: 2, failed: 0 };
    expect(mergeEntries([e, e, { ...e, organization: 'b', sent: 0, skipped: 0 }])).toEqual([{ ...e, sent: 2, skipped: 4 }]);
    expect(() => mergeEntries([{ ...e, sent: -1 }])).toThrow();
  });

  it('lists the months of a range across a year boundary, up to 24', () => {
    expect(monthRange('2025-11', '2026-02')).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
    expect(monthRange('2024-01', '2025-12')).toHaveLength(24);
    expect(() => monthRange('2024-01', '2026-01')).toThrow(/24 months/);
    expect(() => monthRange('2026-02', '2026-01')).toThrow();
    expect(() => monthRange(undefined, '2026-01')).toThrow();
  });
});
