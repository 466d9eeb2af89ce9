import type { Preflight } from '../../../console/src/api-types.js';
import { describe, expect, it } from 'vitest';
import { approvalLine, reachLines, sendLabel } from '../../../console/src/format.js';

const NBSP = '\u00a0';
const base: Preflight = { total: 30_000, eligible: 29_000, reserved: 1_000, withdrawn: 0, alreadySent: 0, invalid: 0 };
const reach = {
  byChannel: { helsenorge: 26_000, 'digital-mailbox': 0, paper: 2_900, viaGuardians: 40, noChannel: 60 },
  byLanguage: { nb: 27_000, nn: 1_900, en: 0 },
};

describe('the release confirmation of a national mailing', () => {
  it('names the send button with the number of letters, never a bare "Send"', () => {
    expect(sendLabel(29_000, 'nb')).toBe(`Send 29${NBSP}000 brev`);
    expect(sendLabel(1, 'en')).toBe('Send 1 letter');
    expect(sendLabel(30_000, 'en')).toBe('Send 30,000 letters');
  });

  it('states the recipients by channel and by language, leaving out what is zero, paper marked as costing postage', () => {
    const lines = reachLines({ ...base, reach }, 'nb');
    expect(lines.channels).toEqual([`Helsenorge: 26${NBSP}000`, `Papir (porto): 2${NBSP}900`, 'Gjennom foresatte: 40', 'Ingen kanal (hoppes over ved utsending): 60']);
    expect(lines.languages).toEqual([`bokmål: 27${NBSP}000`, `nynorsk: 1${NBSP}900`]);
  });

  it('says nothing by channel on a round made before the breakdown existed', () => {
    expect(reachLines(base, 'nb')).toEqual({ channels: [], languages: [] });
  });

  it('says which version is sent and who approved it, or that it is not approved', () => {
    expect(approvalLine({ version: 3, approvedVersion: 3, approvedBy: 'Sara', approvedAt: '2026-12-01T09:30:00Z' }, 3, 'nb')).toMatch(/^Versjon 3, godkjent av Sara \d{2}\.\d{2}\.2026/);
    expect(approvalLine({ version: 4, approvedVersion: 3 }, 4, 'nb')).toBe('Versjon 4 er ikke godkjent: runden kan ikke sendes før en superbruker har godkjent den.');
  });
});
