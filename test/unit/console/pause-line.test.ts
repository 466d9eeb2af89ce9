import { describe, expect, it } from 'vitest';
import { pauseLine } from '../../../console/src/format.js';

describe('what the pause says, and only what is true', () => {
  it('while stopping: the letters still in flight, never "paused"', () => {
    expect(pauseLine({ phase: 'stopping', inFlight: 300 }, 'nb')).toBe('Stopper – 300 brev under behandling …');
    expect(pauseLine({ phase: 'stopping' }, 'nb')).toBe('Stopper – venter på at brev under behandling blir ferdige …');
  });

  it('once acknowledged: when, by whom, and letters since counted from delivery times', () => {
    const line = pauseLine({ phase: 'paused', pausedAt: '2026-12-05T06:00:00.000Z', pausedBy: 'otto', sentSince: 0 }, 'nb');
    expect(line).toMatch(/^Pauset \d{2}\.\d{2}\.2026,? \d{2}:\d{2}(:\d{2})? av otto – 0 brev sendt siden\.$/);
    expect(pauseLine({ phase: 'paused', pausedAt: '2026-12-05T06:00:00.000Z', sentSince: 2 }, 'en')).toMatch(/^Paused .* – 2 letters sent since\.$/);
  });

  it('once confirmed (nothing in flight any more): says when, and counts the letters since then', () => {
    const line = pauseLine({ phase: 'paused', pausedAt: '2026-12-05T06:00:00.000Z', pausedBy: 'otto', confirmedAt: '2026-12-05T06:00:03.000Z', sentSince: 0 }, 'nb');
    expect(line).toMatch(/^Pauset \d{2}\.\d{2}\.2026,? \d{2}:\d{2}:00 av otto, bekreftet \d{2}\.\d{2}\.2026,? \d{2}:\d{2}:03 – 0 brev sendt siden\.$/);
    expect(pauseLine({ phase: 'paused', pausedAt: '2026-12-05T06:00:00.000Z', pausedBy: 'otto', confirmedAt: '2026-12-05T06:00:03.000Z', sentSince: 0 }, 'en')).toMatch(
      /by otto, confirmed .*:03 – 0 letters sent since\.$/,
    );
  });

  it('before the count is read, it says it is being checked rather than claiming 0', () => {
    expect(pauseLine({ phase: 'paused', pausedAt: '2026-12-05T06:00:00.000Z', pausedBy: 'otto' }, 'nb')).toMatch(/av otto – kontrollerer brev sendt siden …$/);
  });

  it('a pause by the automatic brake says so, in words', () => {
    expect(pauseLine({ phase: 'paused', pausedAt: '2026-12-05T06:00:00.000Z', pausedBy: 'system:brake', sentSince: 0 }, 'nb')).toMatch(/av den automatiske bremsen – 0 brev sendt siden\.$/);
    // A person by the name their sign-in gave when they paused; their user id only when none was given.
    expect(pauseLine({ phase: 'paused', pausedAt: '2026-12-05T06:00:00.000Z', pausedBy: 'otto', pausedByName: 'Otto Drift', sentSince: 0 }, 'nb')).toMatch(/av Otto Drift – 0 brev sendt siden\.$/);
    expect(pauseLine({ phase: 'paused', pausedAt: '2026-12-05T06:00:00.000Z', pausedBy: 'system:brake', sentSince: 0 }, 'en')).toMatch(/by the automatic brake – 0 letters sent since\.$/);
  });
});
