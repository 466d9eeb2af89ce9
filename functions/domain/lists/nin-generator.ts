import { classicCheckDigits, type CheckDigitRule } from './nin.js';

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

const digitsOf = (n: number, width: number): number[] =>
  Array.from(String(n).padStart(width, '0'), (c) => c.charCodeAt(0) - 48);

export const generateNin = (opts: GenerateNinOptions): string => {
  const { synthetic = false, dnr = false, seed = 0, rule = classicCheckDigits } = opts;
  if (!Number.isInteger(opts.index) || opts.index < 0) throw new RangeError('index must be a non-negative integer');
  const index = opts.index;
  // Rotating the day by a seed-derived offset keeps the mapping a bijection on the index.
  const dayIndex = (index + Math.imul(seed, 7919) % DAYS + DAYS) % DAYS;
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

/** `count` distinct synthetic fødselsnumre starting at `offset` (ranges that do not overlap give disjoint IDs). */
export const syntheticNins = (count: number, offset = 0, seed = 0): string[] =>
  Array.from({ length: count }, (_, i) => generateNin({ index: offset + i, synthetic: true, seed }));
