import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { classicCheckDigits, isNationalId, relaxed2032CheckDigits, validateNin, type CheckDigitRule } from '../../../functions/domain/shared/nin.js';
import { generateNin, syntheticNins } from '../../../functions/domain/lists/nin-generator.js';

const allow = { allowSynthetic: true };
const genOpts = fc.record({
  index: fc.integer({ min: 0, max: 5_000_000 }),
  synthetic: fc.boolean(),
  dnr: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1000 }),
});

/** The first ID with the given DDMMYY and an individual number in [from, to] that has control digits. */
const withValidControl = (ddmmyy: string, from: number, to: number): string => {
  for (let ind = from; ind <= to; ind++) {
    const first9 = (ddmmyy + String(ind).padStart(3, '0')).split('').map(Number);
    const control = classicCheckDigits.controlDigitsFor(first9);
    if (control) return [...first9, ...control].join('');
  }
  throw new Error('no individual number with control digits in range');
};

const withDigit = (s: string, pos: number, digit: number) => s.slice(0, pos) + String(digit) + s.slice(pos + 1);

describe('validateNin', () => {
  it('accepts every generated ID (fnr, D-number, synthetic) and reports its kind', () => {
    fc.assert(
      fc.property(genOpts, (o) => {
        const nin = generateNin(o);
        const r = validateNin(nin, allow);
        expect(r).toMatchObject({ ok: true, kind: o.dnr ? 'dnr' : 'fnr', synthetic: o.synthetic });
        expect(isNationalId(nin)).toBe(true);
      }),
    );
  });

  it('rejects every single-digit corruption of a valid ID', () => {
    fc.assert(
      fc.property(genOpts, fc.integer({ min: 0, max: 10 }), fc.integer({ min: 1, max: 9 }), (o, pos, delta) => {
        const nin = generateNin(o);
        const original = Number(nin[pos]);
        const corrupted = withDigit(nin, pos, (original + delta) % 10);
        expect(validateNin(corrupted, allow).ok).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives distinct IDs for distinct indexes', () => {
    const ids = syntheticNins(50_000);
    expect(new Set(ids).size).toBe(50_000);
  });

  it('accepts generated non-synthetic IDs when synthetic ones are not allowed', () => {
    expect(validateNin(generateNin({ index: 0 }), { allowSynthetic: false })).toMatchObject({ ok: true, synthetic: false });
  });

  it('rejects synthetic IDs unless allowed', () => {
    const nin = generateNin({ index: 42, synthetic: true });
    expect(validateNin(nin, { allowSynthetic: false })).toMatchObject({ ok: false, code: 'SYNTHETIC_NIN_NOT_ALLOWED' });
    expect(validateNin(nin, { allowSynthetic: true }).ok).toBe(true);
  });

  it('rejects H-numbers (month + 40) with their own code', () => {
    expect(validateNin(withValidControl('154385', 0, 499), allow)).toMatchObject({ ok: false, code: 'H_NUMBER_NOT_ALLOWED' });
  });

  it('rejects impossible calendar dates even with valid control digits', () => {
    const v = (ddmmyy: string) => validateNin(withValidControl(ddmmyy, 0, 499), allow);
    expect(v('310485')).toMatchObject({ code: 'INVALID_DATE' }); // 31 April
    expect(v('290285')).toMatchObject({ code: 'INVALID_DATE' }); // 29 Feb 1985
    expect(v('290284')).toMatchObject({ ok: true, birthDate: '1984-02-29' });
    expect(v('000185')).toMatchObject({ code: 'INVALID_DATE' }); // day 0
    expect(v('011385')).toMatchObject({ code: 'INVALID_DATE' }); // month 13
    expect(v('720185')).toMatchObject({ code: 'INVALID_DATE' }); // D-number, day 32
    expect(v('318185')).toMatchObject({ ok: true, synthetic: true, birthDate: '1985-01-31' });
  });

  it('derives the century from the individual number', () => {
    expect(validateNin(withValidControl('150510', 500, 749), allow)).toMatchObject({ birthDate: '2010-05-15' });
    expect(validateNin(withValidControl('150560', 500, 749), allow)).toMatchObject({ birthDate: '1860-05-15' });
    expect(validateNin(withValidControl('150560', 900, 999), allow)).toMatchObject({ birthDate: '1960-05-15' });
    // 750–899 with a year 40–99 was never issued
    expect(validateNin(withValidControl('150560', 750, 899), allow)).toMatchObject({ code: 'INVALID_DATE' });
  });

  it('rejects malformed input without echoing it', () => {
    for (const v of ['', '1234567890', '123456789012', '1234567890a', ' 01010112345', '=1+1']) {
      const r = validateNin(v, allow);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.message).not.toContain(v || 'x-never');
    }
    expect(validateNin(undefined, allow)).toMatchObject({ code: 'MISSING_NIN' });
  });

  it('takes the control-digit rule as a parameter (2032 relaxation)', () => {
    // A number whose K1 is admissible only under the relaxed rule: weighted sum ≡ 1 (mod 11).
    const found = (() => {
      for (let i = 0; i < 10_000; i++) {
        const base = generateNin({ index: i, synthetic: true });
        for (let k1 = 0; k1 <= 9; k1++) {
          const candidate9 = base.slice(0, 9) + String(k1);
          const digits = candidate9.split('').map(Number);
          const k2Sum = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2].reduce((s, w, j) => s + w * (digits[j] ?? 0), 0);
          const k2 = (11 - (k2Sum % 11)) % 11;
          if (k2 === 10) continue;
          const nin = candidate9 + String(k2);
          if (!classicCheckDigits.accepts(nin.split('').map(Number)) && relaxed2032CheckDigits.accepts(nin.split('').map(Number))) return nin;
        }
      }
      throw new Error('none found');
    })();
    expect(validateNin(found, allow)).toMatchObject({ ok: false, code: 'INVALID_NIN' });
    expect(validateNin(found, { ...allow, checkDigits: relaxed2032CheckDigits })).toMatchObject({ ok: true });
    // A custom rule is honoured as given.
    const acceptAll: CheckDigitRule = { name: 'all', accepts: () => true, controlDigitsFor: () => [0, 0] };
    expect(validateNin('01018512300', { ...allow, checkDigits: acceptAll })).toMatchObject({ ok: true });
  });

  it('classic numbers stay valid under the 2032 rule', () => {
    fc.assert(
      fc.property(genOpts, (o) => {
        expect(validateNin(generateNin(o), { ...allow, checkDigits: relaxed2032CheckDigits }).ok).toBe(true);
      }),
    );
  });
});

describe('isNationalId', () => {
  it('is false for arbitrary non-ID digit strings most of the time and for non-digits always', () => {
    expect(isNationalId('00000000000')).toBe(false);
    expect(isNationalId('abcdefghijk')).toBe(false);
    expect(isNationalId(generateNin({ index: 7 }).slice(0, 10))).toBe(false);
  });
});
