import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BRAKE_KEYS, brakeChanges, brakeHint, brakeInput, brakeInputErrors, brakeSummary, fieldErrorText, formatNumber, type BrakeInput } from '../../../console/src/format.js';
import { BRAKE_LIMITS, DEFAULT_BRAKE } from '../../../functions/domain/projects/project.js';
import { brakeSettings } from '../../../functions/schemas/projects.js';

const NBSP = '\u00a0';

describe('brakeSummary', () => {
  it('says the default brake in plain words, and that every value is the default', () => {
    expect(brakeSummary(DEFAULT_BRAKE, 'nb')).toBe(
      `Automatisk brems: runder fra 5${NBSP}000 mottakere, vurdert per 1${NBSP}000; stanser ved over 10${NBSP}% feilet eller avvist, eller over 20 prosentpoeng flere reservert enn i forhåndskontrollen; automatisk prøveutsending: av. Alle verdiene er standard.`,
    );
    expect(brakeSummary(DEFAULT_BRAKE, 'en')).toBe(
      'Automatic brake: rounds from 5,000 recipients, judged per 1,000; stops above 10% failed or refused, or above 20 percentage points more reserved than in the pre-flight check; automatic canary: off. All values are the defaults.',
    );
  });

  it('follows each changed value with its default, and says the others are the defaults', () => {
    const brake = { ...DEFAULT_BRAKE, windowRecipients: 500, maxFailedPercent: 2.5, canaryRecipients: 1 };
    expect(brakeSummary(brake, 'nb')).toBe(
      `Automatisk brems: runder fra 5${NBSP}000 mottakere, vurdert per 500 (standard 1${NBSP}000); stanser ved over 2,5${NBSP}% (standard 10${NBSP}%) feilet eller avvist, eller over 20 prosentpoeng flere reservert enn i forhåndskontrollen; automatisk prøveutsending: 1 mottaker (standard av). Øvrige verdier er standard.`,
    );
    expect(brakeSummary(brake, 'en')).toBe(
      'Automatic brake: rounds from 5,000 recipients, judged per 500 (default 1,000); stops above 2.5% (default 10%) failed or refused, or above 20 percentage points more reserved than in the pre-flight check; automatic canary: 1 recipient (default off). The other values are the defaults.',
    );
  });

  it('says "every round" from one recipient, and nothing about defaults when none is left', () => {
    const brake = { fromRecipients: 1, windowRecipients: 100, maxFailedPercent: 5, maxReservedExcessPoints: 30, canaryRecipients: 200 };
    expect(brakeSummary(brake, 'nb')).toBe(
      `Automatisk brems: alle runder (standard fra 5${NBSP}000 mottakere), vurdert per 100 (standard 1${NBSP}000); stanser ved over 5${NBSP}% (standard 10${NBSP}%) feilet eller avvist, eller over 30 prosentpoeng (standard 20) flere reservert enn i forhåndskontrollen; automatisk prøveutsending: 200 mottakere (standard av).`,
    );
    expect(brakeSummary(brake, 'en')).toMatch(
      /^Automatic brake: every round \(default from 5,000 recipients\), judged per 100 \(default 1,000\);.*automatic canary: 200 recipients \(default off\)\.$/,
    );
  });
});

describe('formatNumber', () => {
  it('writes decimals with a comma in Norwegian and a point in English, grouping the whole part', () => {
    expect(formatNumber(2.5, 'nb')).toBe('2,5');
    expect(formatNumber(2.5, 'en')).toBe('2.5');
    expect(formatNumber(12_345.75, 'nb')).toBe(`12${NBSP}345,75`);
    expect(formatNumber(10_000_000, 'en')).toBe('10,000,000');
    expect(formatNumber(0, 'nb')).toBe('0');
  });
});

describe('brakeHint', () => {
  it('gives the bounds and the default', () => {
    expect(brakeHint('windowRecipients', 'nb')).toBe(`Fra 100 til 100${NBSP}000. Standard: 1${NBSP}000.`);
    expect(brakeHint('canaryRecipients', 'nb')).toBe(`Fra 0 til 100${NBSP}000. Standard: av.`);
    expect(brakeHint('fromRecipients', 'en')).toBe('From 1 to 10,000,000. Default: 5,000.');
  });
});

describe('the brake form against the server', () => {
  const input = (over: Partial<BrakeInput>): BrakeInput => ({ ...brakeInput(DEFAULT_BRAKE), ...over });

  it('names the field and the rule, in the words of the server error for the same value', () => {
    const typed = input({ windowRecipients: '50', maxFailedPercent: '101', fromRecipients: '2.5', canaryRecipients: '' });
    const errors = brakeInputErrors(typed, 'nb');
    expect(errors).toEqual({
      fromRecipients: 'Gjelder runder fra (mottakere): må være et helt tall.',
      windowRecipients: 'Vurderes per (mottakere): må være minst 100.',
      maxFailedPercent: 'Stanser ved over (% feilet eller avvist): kan være høyst 100.',
      canaryRecipients: 'Automatisk prøveutsending (mottakere, 0 = av): må fylles ut.',
    });
    const refused = brakeSettings.safeParse({ fromRecipients: 2.5, windowRecipients: 50, maxFailedPercent: 101 });
    const server = Object.fromEntries((refused.error?.issues ?? []).map((i) => [String(i.path[0]), fieldErrorText(`brake.${String(i.path[0])}`, i.message, 'nb')]));
    expect(server).toEqual({ fromRecipients: errors.fromRecipients, windowRecipients: errors.windowRecipients, maxFailedPercent: errors.maxFailedPercent });
    expect(brakeInputErrors(input({ fromRecipients: '20000000' }), 'nb')).toEqual({ fromRecipients: `Gjelder runder fra (mottakere): kan være høyst 10${NBSP}000${NBSP}000.` });
    expect(brakeInputErrors(input({ windowRecipients: '50' }), 'en')).toEqual({ windowRecipients: 'Judged per (recipients): must be at least 100.' });
  });

  it('refuses exactly what the server refuses, for any number in or around the bounds', () => {
    const key = fc.constantFrom(...BRAKE_KEYS);
    const value = key.chain((k) => {
      const { min, max } = BRAKE_LIMITS[k];
      return fc.tuple(
        fc.constant(k),
        fc.oneof(fc.integer({ min: min - 3, max: min + 3 }), fc.integer({ min: max - 3, max: max + 3 }), fc.double({ min: min - 1, max: max + 1, noNaN: true }), fc.integer({ min, max })),
      );
    });
    fc.assert(
      fc.property(value, ([k, v]) => {
        const client = brakeInputErrors(input({ [k]: String(v) }), 'nb');
        const server = brakeSettings.safeParse({ [k]: v });
        expect(Object.keys(client).length === 0).toBe(server.success);
      }),
    );
  });

  it('sends only what differs from the brake in force', () => {
    expect(brakeChanges(DEFAULT_BRAKE, brakeInput(DEFAULT_BRAKE))).toEqual({});
    expect(brakeChanges(DEFAULT_BRAKE, input({ windowRecipients: '500', maxFailedPercent: '7,5', canaryRecipients: ' 250 ' }))).toEqual({
      windowRecipients: 500,
      maxFailedPercent: 7.5,
      canaryRecipients: 250,
    });
  });
});
