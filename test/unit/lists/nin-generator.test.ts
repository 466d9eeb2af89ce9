import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateNin, ninRange, syntheticNins } from '../../../functions/domain/lists/nin-generator.js';
import { validateNin } from '../../../functions/domain/shared/nin.js';

describe('ninRange', () => {
  it('gives exactly what generateNin gives, index by index', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3_000_000 }),
        fc.integer({ min: 0, max: 300 }),
        fc.record({ synthetic: fc.boolean(), dnr: fc.boolean(), seed: fc.integer({ min: 0, max: 1000 }) }),
        (offset, count, opts) => {
          expect(ninRange(count, offset, opts)).toEqual(Array.from({ length: count }, (_, i) => generateNin({ index: offset + i, ...opts })));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('runs across many days and individual numbers without repeating an ID, every one valid', () => {
    // 50,000 IDs from index 40,000: two and more individual numbers per birth date.
    const ids = syntheticNins(50_000, 40_000);
    expect(new Set(ids).size).toBe(50_000);
    expect(ids.every((n) => validateNin(n, { allowSynthetic: true }).ok)).toBe(true);
    expect([ids[0], ids[21_913], ids[49_999]]).toEqual([40_000, 61_913, 89_999].map((index) => generateNin({ index, synthetic: true })));
  });
});
