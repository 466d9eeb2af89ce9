import { classicCheckDigits, type CheckDigitRule } from '../shared/nin.js';

/**
 * Deterministic national-ID generator for tests and benchmarks: the same index always gives the
 * same ID, distinct indexes give distinct IDs (for the same options), and every ID is valid under
 * the chosen control-digit rule.
 *
 * Index → (birth date, k-th individual number of that date whose control digits exist). Birth
 * dates run over 1940-01-01 … 1999-12-31 (21,914 days) with individual numbers 000–499, so the
 * space holds ~9 million IDs per option set.
 *
 * Use synthetic IDs (month + 80) wherever possible: non-synthetic output is well-formed and may
 * coincide with a real person's number, so it belongs in tests of validation only.
 */
export interface GenerateNinOptions {
  index: number;
  synthetic?: boolean;
  dnr?: boolean;
  /** Permutes the sequence, so different suites can draw disjoint-looking IDs from one index range. */
  seed?: number;
  rule?: CheckDigitRule;
}

const START = Date.UTC(1940, 0, 1);
const DAYS = Math.round((Date.UTC(2000, 0, 1) - START) / 86_400_000);
const INDIVIDUALS = 500;
const DAY_MS = 86_400_000;

const digitsOf = (n: number, width: number): number[] => Array.from(String(n).padStart(width, '0'), (c) => c.charCodeAt(0) - 48);

export const generateNin = (opts: GenerateNinOptions): string => {
  const { synthetic = false, dnr = false, seed = 0, rule = classicCheckDigits } = opts;
  if (!Number.isInteger(opts.index) || opts.index < 0) throw new RangeError('index must be a non-negative integer');
  const index = opts.index;
  // Rotating the day by a seed-derived offset keeps the mapping a bijection on the index.
  const dayIndex = (index + (Math.imul(seed, 7919) % DAYS) + DAYS) % DAYS;
  const k = Math.floor(index / DAYS);
  const date = new Date(START + dayIndex * DAY_MS);
  const day = date.getUTCDate() + (dnr ? 40 : 0);
  const month = date.getUTCMonth() + 1 + (synthetic ? 80 : 0);
  const yy = date.getUTCFullYear() % 100;
  const prefix = [...digitsOf(day, 2), ...digitsOf(month, 2), ...digitsOf(yy, 2)];

  let found = -1;
  for (let individual = 0; individual < INDIVIDUALS; individual++) {
    const first9 = [...prefix, ...digitsOf(individual, 3)];
    const control = rule.controlDigitsFor(first9);
    if (control === undefined) continue;
    found++;
    if (found === k) return [...first9, ...control].join('');
  }
  throw new RangeError('index beyond the generator range');
};

/**
 * generateNin for a run of indexes, with the same output: each day's valid individual numbers are
 * found once and kept, instead of scanning from 000 again for every index (a 1,000,000-ID list
 * took about a minute one by one, and takes seconds this way).
 */
export const ninRange = (count: number, offset: number, opts: Omit<GenerateNinOptions, 'index'> = {}): string[] => {
  const { synthetic = false, dnr = false, seed = 0, rule = classicCheckDigits } = opts;
  if (!Number.isInteger(offset) || offset < 0) throw new RangeError('index must be a non-negative integer');
  const perDay = new Map<number, { prefix: number[]; scanned: number; found: string[] }>();
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const index = offset + i;
    const dayIndex = (index + (Math.imul(seed, 7919) % DAYS) + DAYS) % DAYS;
    const k = Math.floor(index / DAYS);
    let day = perDay.get(dayIndex);
    if (!day) {
      const date = new Date(START + dayIndex * DAY_MS);
      const prefix = [...digitsOf(date.getUTCDate() + (dnr ? 40 : 0), 2), ...digitsOf(date.getUTCMonth() + 1 + (synthetic ? 80 : 0), 2), ...digitsOf(date.getUTCFullYear() % 100, 2)];
      perDay.set(dayIndex, (day = { prefix, scanned: 0, found: [] }));
    }
    while (day.found.length <= k && day.scanned < INDIVIDUALS) {
      const first9 = [...day.prefix, ...digitsOf(day.scanned++, 3)];
      const control = rule.controlDigitsFor(first9);
      if (control !== undefined) day.found.push([...first9, ...control].join(''));
    }
    const nin = day.found[k];
    if (nin === undefined) throw new RangeError('index beyond the generator range');
    out[i] = nin;
  }
  return out;
};

/** `count` distinct synthetic fødselsnumre starting at `offset` (ranges that do not overlap give disjoint IDs). */
export const syntheticNins = (count: number, offset = 0, seed = 0): string[] => ninRange(count, offset, { synthetic: true, seed });
