import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { monthFrom, progressOf, roundName, roundNumbers, sentByMonthAndChannel, statisticsCsv } from '../../../console/src/format.js';
import { translatedErrorCodes } from '../../../console/src/error-messages.js';

const NBSP = '\u00a0';

describe('round names', () => {
  it('names a round as people say it, in either language', () => {
    expect(roundName({ number: 3, letterTitle: 'Invitasjon', version: 2, recipients: 30_000 }, 'nb')).toBe(`Runde 3 · Invitasjon v2 · 30${NBSP}000 mottakere`);
    expect(roundName({ number: 3, letterTitle: 'Invitation', version: 2, recipients: 30_000 }, 'en')).toBe('Round 3 · Invitation v2 · 30,000 recipients');
    expect(roundName({ number: 1, letterTitle: 'Brev', recipients: 1 }, 'en')).toBe('Round 1 · Brev · 1 recipient');
    // Parts not known yet are left out, never shown as an id or "undefined".
    expect(roundName({ number: 2 }, 'nb')).toBe('Runde 2');
    expect(roundName({}, 'en')).toBe('Round');
  });

  it('numbers rounds in the order they were made', () => {
    const n = roundNumbers([{ roundId: 'rnd_0mx3b' }, { roundId: 'rnd_0mx3a' }, { roundId: 'rnd_0mx3c' }]);
    expect([n.get('rnd_0mx3a'), n.get('rnd_0mx3b'), n.get('rnd_0mx3c')]).toEqual([1, 2, 3]);
  });
});

describe('progress', () => {
  it('gives the bar and the text beside it the same figures', () => {
    expect(progressOf({ planned: 30_000, pending: 10_000 })).toEqual({ done: 20_000, planned: 30_000, pct: 66 });
    expect(progressOf({ planned: 3, pending: 0 })).toEqual({ done: 3, planned: 3, pct: 100 });
    expect(progressOf({ planned: 0, pending: 0 })).toEqual({ done: 0, planned: 0, pct: 0 });
    expect(progressOf(undefined)).toEqual({ done: 0, planned: 0, pct: 0 });
    // Nothing known about pending: nothing is counted as done.
    expect(progressOf({ planned: 10 })).toEqual({ done: 0, planned: 10, pct: 0 });
  });
});

describe('statistics page helpers', () => {
  const items = [
    { organization: 'uio', month: '2026-01', channel: 'helsenorge', sent: 10, skipped: 0, failed: 1 },
    { organization: 'ntnu', month: '2026-01', channel: 'helsenorge', sent: 5, skipped: 0, failed: 0 },
    { organization: 'uio', month: '2026-01', channel: 'none', sent: 0, skipped: 4, failed: 0 },
    { organization: '=cmd', month: '2026-03', channel: 'paper', sent: 2, skipped: 0, failed: 0 },
  ];

  it('sums letters sent per month and channel, skips not being a channel, empty months as 0', () => {
    expect(sentByMonthAndChannel(items, ['2026-01', '2026-02', '2026-03'])).toEqual({
      months: ['2026-01', '2026-02', '2026-03'],
      series: [
        { channel: 'helsenorge', data: [15, 0, 0] },
        { channel: 'paper', data: [0, 0, 2] },
      ],
    });
  });

  it('writes CSV with a header, CRLF, and no cell a spreadsheet would run as a formula', () => {
    const csv = statisticsCsv(items);
    expect(csv.split('\r\n')[0]).toBe('organization,month,channel,sent,skipped,failed');
    expect(csv.split('\r\n')[1]).toBe('uio,2026-01,helsenorge,10,0,1');
    expect(csv).toContain("'=cmd,2026-03,paper,2,0,0");
    expect(csv.endsWith('\r\n')).toBe(true);
  });

  it('steps months across a year boundary', () => {
    expect(monthFrom(new Date('2026-01-15T00:00:00Z'), -1)).toBe('2025-12');
    expect(monthFrom(new Date('2026-12-31T23:00:00Z'), 1)).toBe('2027-01');
  });
});

describe('error messages in the interface language', () => {
  const walk = async (dir: string): Promise<string[]> =>
    (await readdir(dir, { withFileTypes: true }))
      .flatMap((e) => (e.isDirectory() ? [] : [join(dir, e.name)]))
      .concat(...(await Promise.all((await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => walk(join(dir, e.name))))));
  /** Codes only machines see (external form systems), never the console. */
  const MACHINE_ONLY = new Set(['BAD_SIGNATURE', 'STALE_CALLBACK', 'CALLBACK_SECRET_UNREADABLE']);

  it('has a bokmål and an English message for every error code the platform throws', async () => {
    const files = (await walk(join(import.meta.dirname, '../../../functions'))).filter((f) => f.endsWith('.ts'));
    const thrown = new Set<string>();
    for (const f of files) {
      const text = await readFile(f, 'utf8');
      for (const m of text.matchAll(/(?:super|new [A-Za-z]*Error)\(\s*'([A-Z][A-Z0-9_]+)'/g)) thrown.add(m[1]!);
      for (const m of text.matchAll(/ForbiddenError\([^)]*,\s*'([A-Z][A-Z0-9_]+)'\)/g)) thrown.add(m[1]!);
    }
    expect(thrown.size).toBeGreaterThan(20);
    const { nb, en } = translatedErrorCodes();
    const missing = [...thrown].filter((c) => !MACHINE_ONLY.has(c) && (!nb.includes(c) || !en.includes(c)));
    expect(missing, 'add these codes to errorMessages in console/src/i18n.ts').toEqual([]);
    expect(nb.sort()).toEqual(en.sort());
  });
});
