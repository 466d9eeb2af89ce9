import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawAdapters } from '../../functions/adapters/index.js';
import { statisticsForBatch } from '../../functions/domain/statistics/statistics.js';
import { startTestPlatform, type TestPlatform } from '../setup/platform.js';

/**
 * Usage statistics: the DynamoDB counters the engine adds to per committed batch (atomic ADDs,
 * exactly-once per batch key), read by operations through GET /operations/statistics.
 */
let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform({ pollers: false });
});
afterAll(async () => {
  await p?.stop();
});

const ops = { sub: 'otto', role: 'operations' } as const;
const get = (query: string) => p.as(ops).get(`/operations/statistics${query}`);

describe('statistics counters', () => {
  it('adds concurrent batches atomically, one counter per organisation, month and channel', async () => {
    const batch = statisticsForBatch('uio', '2026-03-31T23:59:59.000Z', [
      { outcome: 'sent', channel: 'helsenorge' },
      { outcome: 'sent', channel: 'helsenorge' },
      { outcome: 'sent', channel: 'paper' },
      { outcome: 'failed', channel: 'paper' },
      { outcome: 'skipped' },
    ]);
    // 25 batches at once: with read-modify-write some increments would be lost.
    await Promise.all(Array.from({ length: 25 }, () => rawAdapters().statistics.record(batch)));
    await rawAdapters().statistics.record(statisticsForBatch('ntnu', '2026-04-01T00:00:00.000Z', [{ outcome: 'sent', channel: 'digital-mailbox' }]));

    const res = await get('?from=2026-03&to=2026-04');
    expect(res.status, res.text).toBe(200);
    expect(res.body.items).toEqual([
      { organization: 'uio', month: '2026-03', channel: 'helsenorge', sent: 50, skipped: 0, failed: 0 },
      { organization: 'uio', month: '2026-03', channel: 'none', sent: 0, skipped: 25, failed: 0 },
      { organization: 'uio', month: '2026-03', channel: 'paper', sent: 25, skipped: 0, failed: 25 },
      { organization: 'ntnu', month: '2026-04', channel: 'digital-mailbox', sent: 1, skipped: 0, failed: 0 },
    ]);
    const march = await get('?from=2026-03&to=2026-03');
    expect(march.body.items.map((i: { organization: string }) => i.organization)).toEqual(['uio', 'uio', 'uio']);
  });

  it('records a batch once per batch key, however often the engine retries it', async () => {
    const entries = statisticsForBatch('uib', '2025-12-10T10:00:00.000Z', [{ outcome: 'sent', channel: 'helsenorge' }, { outcome: 'skipped' }]);
    await Promise.all([1, 2, 3].map(() => rawAdapters().statistics.record(entries, { batchKey: 'rnd_x#0' })));
    await rawAdapters().statistics.record(entries, { batchKey: 'rnd_x#1' });
    const res = await get('?from=2025-12&to=2025-12');
    expect(res.body.items).toEqual([
      { organization: 'uib', month: '2025-12', channel: 'helsenorge', sent: 2, skipped: 0, failed: 0 },
      { organization: 'uib', month: '2025-12', channel: 'none', sent: 0, skipped: 2, failed: 0 },
    ]);
  });

  it('answers an empty list for months without letters', async () => {
    const res = await get('?from=2020-01&to=2021-12');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [] });
  });

  it.each([
    ['no range', ''],
    ['a malformed month', '?from=2026-13&to=2026-12'],
    ['a date instead of a month', '?from=2026-01-01&to=2026-02'],
    ['from after to', '?from=2026-05&to=2026-04'],
    ['more than 24 months', '?from=2024-01&to=2026-01'],
  ])('refuses %s with 400', async (_, query) => {
    const res = await get(query);
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('accepts exactly 24 months', async () => {
    expect((await get('?from=2024-01&to=2025-12')).status).toBe(200);
  });
});
