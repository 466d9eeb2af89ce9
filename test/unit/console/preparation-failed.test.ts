import { describe, expect, it } from 'vitest';
import { failedRowsText } from '../../../console/src/format.js';
import { errorMessages } from '../../../console/src/error-messages.js';

const NBSP = '\u00a0';

describe('a preparation that stopped on part of the list', () => {
  it('names the rows that could not be checked, in Norwegian number style', () => {
    expect(failedRowsText([{ chunk: 3, fromRow: 3_001, toRow: 4_000 }], 'nb')).toBe(`rad 3${NBSP}001–4${NBSP}000`);
    expect(
      failedRowsText(
        [
          { chunk: 0, fromRow: 1, toRow: 1_000 },
          { chunk: 12, fromRow: 12_001, toRow: 12_345 },
        ],
        'nb',
      ),
    ).toBe(`rad 1–1${NBSP}000 og 12${NBSP}001–12${NBSP}345`);
    expect(failedRowsText([{ chunk: 3, fromRow: 3_001, toRow: 4_000 }], 'en')).toBe('rows 3,001–4,000');
  });

  it('explains PREPARATION_FAILED in Norwegian', () => {
    expect(errorMessages.nb.PREPARATION_FAILED).toMatch(/kontroll/i);
    expect(errorMessages.en.PREPARATION_FAILED).toBeDefined();
  });
});
