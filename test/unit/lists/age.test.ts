import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ageFromNin, classicCheckDigits, completedYears, osloDate, relaxed2032CheckDigits, type CheckDigitRule } from '../../../functions/domain/shared/nin.js';

/**
 * Age at the moment of sending, in Norway's calendar, from the national ID. The oracle below is
 * independent of the implementation: the n-th birthday is `Date.UTC(year + n, month, day)`, which
 * JavaScript rolls from 29 February to 1 March in a year without one; the age is the largest n
 * whose birthday is not after today's date in Oslo.
 */

const allow = { allowSynthetic: true };
const DAY = 86_400_000;

const iso = (t: number) => new Date(t).toISOString().slice(0, 10);

/** The individual-number ranges Skatteetaten issues for a birth year. */
const individualRanges = (year: number): [number, number][] => {
  if (year >= 2000 && year <= 2039) return [[500, 999]];
  if (year >= 1940 && year <= 1999)
    return [
      [0, 499],
      [900, 999],
    ];
  if (year >= 1900 && year <= 1939) return [[0, 499]];
  if (year >= 1854 && year <= 1899) return [[500, 749]];
  throw new Error(`no range for ${year}`);
};

/** An ID with this birth date (any series), its individual number drawn from `pick` (0..1). */
const ninFor = (birth: string, opts: { synthetic?: boolean; dnr?: boolean; pick?: number; rule?: CheckDigitRule } = {}): string => {
  const [y, m, d] = birth.split('-').map(Number) as [number, number, number];
  const ranges = individualRanges(y);
  const [from, to] = ranges[Math.floor((opts.pick ?? 0) * ranges.length) % ranges.length]!;
  const start = from + Math.floor((opts.pick ?? 0) * (to - from));
  const dd = String(d + (opts.dnr ? 40 : 0)).padStart(2, '0');
  const mm = String(m + (opts.synthetic ? 80 : 0)).padStart(2, '0');
  const yy = String(y % 100).padStart(2, '0');
  for (let k = 0; k <= to - from; k++) {
    const ind = from + ((start - from + k) % (to - from + 1));
    const first9 = `${dd}${mm}${yy}${String(ind).padStart(3, '0')}`.split('').map(Number);
    const control = (opts.rule ?? classicCheckDigits).controlDigitsFor(first9);
    if (control) return [...first9, ...control].join('');
  }
  throw new Error('no individual number with control digits');
};

const oracleAge = (birth: string, today: string): number | undefined => {
  if (birth > today) return undefined;
  const [y, m, d] = birth.split('-').map(Number) as [number, number, number];
  let n = 0;
  while (iso(Date.UTC(y + n + 1, m - 1, d)) <= today) n++;
  return n;
};

/** The instant at which `date` begins in Oslo (its local midnight, CET or CEST). */
const osloMidnight = (date: string): number => {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  for (const offsetHours of [1, 2]) {
    const t = Date.UTC(y, m - 1, d) - offsetHours * 3_600_000;
    if (osloDate(new Date(t)) === date && osloDate(new Date(t - 1)) !== date) return t;
  }
  throw new Error(`no Oslo midnight for ${date}`);
};

const birthDates = fc.integer({ min: Date.UTC(1854, 0, 1) / DAY, max: Date.UTC(2039, 11, 31) / DAY }).map((d) => iso(d * DAY));
const instants = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2045, 0, 1) });
const series = fc.record({ synthetic: fc.boolean(), dnr: fc.boolean(), pick: fc.double({ min: 0, max: 0.999, noNaN: true }) });

describe('osloDate', () => {
  it('is the calendar date in Norway: an hour or two ahead of UTC around midnight', () => {
    expect(osloDate(new Date('2026-01-14T22:59:59.999Z'))).toBe('2026-01-14');
    expect(osloDate(new Date('2026-01-14T23:00:00.000Z'))).toBe('2026-01-15'); // CET
    expect(osloDate(new Date('2026-07-14T21:59:59.999Z'))).toBe('2026-07-14');
    expect(osloDate(new Date('2026-07-14T22:00:00.000Z'))).toBe('2026-07-15'); // CEST
    expect(osloDate(new Date(Number.NaN))).toBeUndefined();
  });
});

describe('ageFromNin', () => {
  it('agrees with the birthday oracle for every series, century and moment', () => {
    fc.assert(
      fc.property(birthDates, instants, series, (birth, at, s) => {
        const nin = ninFor(birth, s);
        const r = ageFromNin(nin, new Date(at), allow);
        const expected = oracleAge(birth, osloDate(new Date(at))!);
        if (expected === undefined) expect(r).toEqual({ ok: false, code: 'FUTURE_BIRTH_DATE' });
        else expect(r).toEqual({ ok: true, age: expected, birthDate: birth });
      }),
      { numRuns: 3000 },
    );
  });

  it('turns 16 at midnight in Oslo on the 16th birthday, not at midnight UTC', () => {
    const births = fc.integer({ min: Date.UTC(1990, 0, 1) / DAY, max: Date.UTC(2028, 11, 31) / DAY }).map((d) => iso(d * DAY));
    fc.assert(
      fc.property(births, series, fc.integer({ min: 0, max: 3_599_999 }), (birth, s, into) => {
        const [y, m, d] = birth.split('-').map(Number) as [number, number, number];
        const birthday = iso(Date.UTC(y + 16, m - 1, d)); // 29 February → 1 March in a common year
        const midnight = osloMidnight(birthday);
        const nin = ninFor(birth, s);
        expect(ageFromNin(nin, new Date(midnight - 1), allow)).toMatchObject({ ok: true, age: 15 });
        expect(ageFromNin(nin, new Date(midnight), allow)).toMatchObject({ ok: true, age: 16 });
        // Past Oslo midnight but before UTC midnight (the UTC date is still the day before): 16.
        const stillYesterdayInUtc = midnight + (into % (Date.UTC(y + 16, m - 1, d) - midnight));
        expect(iso(stillYesterdayInUtc) < birthday).toBe(true);
        expect(ageFromNin(nin, new Date(stillYesterdayInUtc), allow)).toMatchObject({ ok: true, age: 16 });
      }),
      { numRuns: 1000 },
    );
  });

  it('counts a 29 February birthday on 1 March in a year without one', () => {
    const leapBirths = fc.integer({ min: 1856, max: 2036 }).filter((y) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0);
    fc.assert(
      fc.property(leapBirths, fc.integer({ min: 1, max: 90 }), (by, n) => {
        const birth = `${by}-02-29`;
        const y = by + n;
        const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
        expect(completedYears(birth, `${y}-02-28`)).toBe(n - 1);
        expect(completedYears(birth, `${y}-03-01`)).toBe(n);
        if (leap) expect(completedYears(birth, `${y}-02-29`)).toBe(n);
      }),
    );
    // 2084-02-29 → 2100 is not a leap year: 16 only on 1 March 2100.
    expect(completedYears('2084-02-29', '2100-02-28')).toBe(15);
    expect(completedYears('2084-02-29', '2100-03-01')).toBe(16);
    expect(ageFromNin(ninFor('2008-02-29'), new Date(osloMidnight('2024-02-29')), allow)).toMatchObject({ age: 16 });
    expect(ageFromNin(ninFor('2008-02-29'), new Date(osloMidnight('2024-02-29') - 1), allow)).toMatchObject({ age: 15 });
  });

  it('reads the century from the individual number at the edges of each range', () => {
    const at = new Date('2026-06-01T12:00:00Z');
    const age = (ddmmyy: string, from: number, to: number) => {
      for (let ind = from; ind <= to; ind++) {
        const first9 = `${ddmmyy}${String(ind).padStart(3, '0')}`.split('').map(Number);
        const c = classicCheckDigits.controlDigitsFor(first9);
        if (c) return ageFromNin([...first9, ...c].join(''), at, allow);
      }
      throw new Error('none');
    };
    expect(age('010139', 500, 999)).toMatchObject({ ok: false, code: 'FUTURE_BIRTH_DATE' }); // 2039
    expect(age('010110', 500, 749)).toMatchObject({ ok: true, age: 16, birthDate: '2010-01-01' });
    expect(age('010110', 900, 999)).toMatchObject({ ok: true, age: 16, birthDate: '2010-01-01' });
    expect(age('010110', 0, 499)).toMatchObject({ ok: true, age: 116, birthDate: '1910-01-01' });
    expect(age('010140', 900, 999)).toMatchObject({ ok: true, birthDate: '1940-01-01' });
    expect(age('010154', 500, 749)).toMatchObject({ ok: true, birthDate: '1854-01-01' });
    expect(age('010153', 500, 749)).toMatchObject({ ok: false, code: 'INVALID_DATE' }); // never issued
    expect(age('010145', 750, 899)).toMatchObject({ ok: false, code: 'INVALID_DATE' }); // never issued
  });

  it('a birth date after the moment of sending is never an age (not even 0)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), series, (daysAhead, s) => {
        const at = new Date('2026-11-30T10:00:00Z');
        const birth = iso(Date.UTC(2026, 10, 30) + daysAhead * DAY);
        fc.pre(birth <= '2039-12-31');
        expect(ageFromNin(ninFor(birth, s), at, allow)).toEqual({ ok: false, code: 'FUTURE_BIRTH_DATE' });
      }),
    );
    // Born today in Oslo: 0, a valid age. Born "tomorrow" while UTC still says today: future.
    expect(ageFromNin(ninFor('2026-11-30'), new Date('2026-11-30T10:00:00Z'), allow)).toMatchObject({ ok: true, age: 0 });
    expect(ageFromNin(ninFor('2026-12-01'), new Date('2026-11-30T23:30:00Z'), allow)).toMatchObject({ ok: true, age: 0 });
    expect(ageFromNin(ninFor('2026-12-02'), new Date('2026-11-30T23:30:00Z'), allow)).toMatchObject({ ok: false });
  });

  it('refuses what validation refuses: H-numbers, synthetic where not allowed, bad control digits', () => {
    const at = new Date('2026-11-30T10:00:00Z');
    const synthetic = ninFor('2012-05-05', { synthetic: true });
    expect(ageFromNin(synthetic, at, { allowSynthetic: false })).toEqual({ ok: false, code: 'SYNTHETIC_NIN_NOT_ALLOWED' });
    expect(ageFromNin(synthetic, at, allow)).toMatchObject({ ok: true, age: 14 });
    const hNumber = (() => {
      for (let ind = 0; ind < 500; ind++) {
        const first9 = `054585${String(ind).padStart(3, '0')}`.split('').map(Number);
        const c = classicCheckDigits.controlDigitsFor(first9);
        if (c) return [...first9, ...c].join('');
      }
      throw new Error('none');
    })();
    expect(ageFromNin(hNumber, at, allow)).toEqual({ ok: false, code: 'H_NUMBER_NOT_ALLOWED' });
    expect(ageFromNin('12345678901', at, allow)).toEqual({ ok: false, code: 'INVALID_NIN' });
    expect(ageFromNin(undefined, at, allow)).toEqual({ ok: false, code: 'MISSING_NIN' });
    expect(ageFromNin(ninFor('2010-01-01'), new Date(Number.NaN), allow)).toMatchObject({ ok: false });
  });

  it('takes the 2032 control-digit rule as given, the birth date rules unchanged', () => {
    // A number valid only under the relaxed rule: K1 with a weighted sum of 1–3 mod 11.
    const relaxedOnly = (() => {
      for (let ind = 500; ind <= 999; ind++) {
        const first9 = `150510${String(ind).padStart(3, '0')}`.split('').map(Number);
        const classic = classicCheckDigits.controlDigitsFor(first9);
        for (let k1 = 0; k1 <= 9; k1++) {
          if (classic && classic[0] === k1) continue;
          for (let k2 = 0; k2 <= 9; k2++) {
            const digits = [...first9, k1, k2];
            if (relaxed2032CheckDigits.accepts(digits) && !classicCheckDigits.accepts(digits)) return digits.join('');
          }
        }
      }
      throw new Error('none');
    })();
    const at = new Date('2026-05-15T10:00:00Z');
    expect(ageFromNin(relaxedOnly, at, allow)).toEqual({ ok: false, code: 'INVALID_NIN' });
    expect(ageFromNin(relaxedOnly, at, { ...allow, checkDigits: relaxed2032CheckDigits })).toEqual({ ok: true, age: 16, birthDate: '2010-05-15' });
  });
});
