import { describe, expect, it } from 'vitest';
import { lettersInFlightLabel, opsStatusView, queueLabel } from '../../../console/src/format.js';

describe('the operations status card', () => {
  it('says "unknown" while the first read is under way, never "running"', () => {
    expect(opsStatusView(undefined, {})).toEqual({ state: 'unknown', stale: false, loading: true });
  });

  it('says "unknown" with the last update time when the latest poll failed, instead of keeping a stale green banner', () => {
    const view = opsStatusView({ halted: false }, { okAt: '2026-12-05T06:00:00.000Z', failedAt: '2026-12-05T06:00:04.000Z' });
    expect(view).toEqual({ state: 'unknown', stale: true, loading: false, lastUpdate: '2026-12-05T06:00:00.000Z' });
  });

  it('shows running or halted once the latest read succeeded, with its time', () => {
    expect(opsStatusView({ halted: false }, { okAt: '2026-12-05T06:00:08.000Z', failedAt: '2026-12-05T06:00:04.000Z' })).toEqual({
      state: 'running',
      stale: false,
      loading: false,
      lastUpdate: '2026-12-05T06:00:08.000Z',
    });
    expect(opsStatusView({ halted: true }, { okAt: '2026-12-05T06:00:08.000Z' }).state).toBe('halted');
  });

  it('an error before any read leaves the state unknown and not loading', () => {
    expect(opsStatusView(undefined, { failedAt: '2026-12-05T06:00:04.000Z' })).toEqual({ state: 'unknown', stale: true, loading: false });
  });
});

describe('queue names', () => {
  it('names the queues and their counters in Norwegian, never the internal names', () => {
    expect(queueLabel('dispatch', 'inFlight', 'nb')).toBe('Utsending · oppgaver hos arbeiderne');
    expect(queueLabel('dispatch', 'deadLettered', 'nb')).toBe('Utsending · oppgaver som feilet (venter på ny kjøring)');
    expect(queueLabel('dispatch', 'visible', 'en')).toBe('Dispatch · tasks queued');
    // The background pre-flight's queue (issue 22), now in the status beside dispatch.
    expect(queueLabel('prepare', 'deadLettered', 'nb')).toBe('Forhåndskontroll · oppgaver som feilet (venter på ny kjøring)');
    expect(queueLabel('prepare', 'visible', 'en')).toBe('Pre-flight check · tasks queued');
    // An unknown name is shown as words, not as a camelCase identifier.
    expect(queueLabel('somethingNew', 'oddCounter', 'nb')).toBe('something new · odd counter');
  });

  it('never calls the tasks workers hold what it calls the letters in flight', () => {
    // While paused, workers may hold parked batches' messages ("2") while no letter is in flight
    // ("0"): an operator reading "under behandling 2" beside "Under behandling nå 0" would doubt the pause.
    for (const lang of ['nb', 'en'] as const) {
      const letters = lettersInFlightLabel(lang).toLowerCase();
      for (const queue of ['dispatch', 'prepare']) {
        const held = queueLabel(queue, 'inFlight', lang).toLowerCase();
        expect(held).not.toContain(lang === 'nb' ? 'under behandling' : 'in flight');
        expect(letters).toContain(lang === 'nb' ? 'brev' : 'letters');
      }
    }
  });
});
