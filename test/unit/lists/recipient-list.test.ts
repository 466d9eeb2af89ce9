import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MalformedCsvError, parseCsv } from '../../../functions/domain/lists/csv.js';
import { buildListFromCsv, buildListFromJson, TooManyRejectedRowsError } from '../../../functions/domain/lists/recipient-list.js';
import { generateNin, syntheticNins } from '../../../functions/domain/lists/nin-generator.js';

const opts = { allowSynthetic: true };
const fromCsv = (text: string) => buildListFromCsv(parseCsv(text), opts);

type Row = { nin: string; language: string; name: string };

/** Writes rows the way a spreadsheet export might: delimiter, line ending, BOM, quoting. */
const toCsv = (rows: Row[], v: { delimiter: string; eol: string; bom: boolean; quoteAll: boolean }) => {
  const q = (s: string) => (v.quoteAll || s.includes(v.delimiter) || s.includes('"') || /[\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [['nin', 'language', 'name'], ...rows.map((r) => [r.nin, r.language, r.name])].map((cells) => cells.map(q).join(v.delimiter));
  return (v.bom ? '\uFEFF' : '') + lines.join(v.eol) + v.eol;
};

describe('CSV recipient lists', () => {
  it('parses the same list whatever the delimiter, BOM, line endings and quoting', () => {
    const name = fc
      .string({ minLength: 0, maxLength: 20 })
      .filter((s) => !/[=@+\-\t\r\u0000-\u001f\u007f]/.test(s[0] ?? '') && !/[\u0000-\u001f\u007f]/.test(s) && !/\.|www|:\/\//i.test(s) && s.trim() === s);
    const rowArb = fc.record({ index: fc.integer({ min: 0, max: 1_000_000 }), language: fc.constantFrom('', 'nb', 'nn', 'en', 'NB'), name });
    fc.assert(
      fc.property(
        fc.array(rowArb, { minLength: 1, maxLength: 30 }),
        fc.record({ delimiter: fc.constantFrom(';', ','), eol: fc.constantFrom('\r\n', '\n'), bom: fc.boolean(), quoteAll: fc.boolean() }),
        (raw, variant) => {
          const rows = raw.map((r) => ({ nin: generateNin({ index: r.index, synthetic: true }), language: r.language, name: r.name }));
          const baseline = fromCsv(toCsv(rows, { delimiter: ';', eol: '\n', bom: false, quoteAll: false }));
          const variantResult = fromCsv(toCsv(rows, variant));
          expect(variantResult).toEqual(baseline);
          expect(baseline.rows).toBe(rows.length);
          expect(baseline.recipients.length + baseline.rejected.length + baseline.duplicatesInList).toBe(baseline.rows);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps names with the delimiter, quotes and newlines inside quoted fields', () => {
    const [a, b] = syntheticNins(2);
    const list = fromCsv(`nin;name;unit\r\n${a};"Hansen; Ola";"Avd. ""Nord"""\r\n${b};"Line\nbreak";x\r\n`);
    expect(list.rejected).toEqual([]);
    expect(list.recipients[0]).toEqual({ nin: a, fields: { name: 'Hansen; Ola', unit: 'Avd. "Nord"' } });
    expect(list.recipients[1]?.fields?.name).toBe('Line\nbreak');
  });

  it('counts a repeated ID as a duplicate whatever its other columns; the first row wins', () => {
    const [a, b] = syntheticNins(2);
    const list = fromCsv(`nin,language,name\n${a},nb,First\n${b},,B\n${a},en,Second\n${a},xx,Third\n`);
    expect(list).toMatchObject({ rows: 4, duplicatesInList: 2, rejected: [] });
    expect(list.recipients).toEqual([
      { nin: a, language: 'nb', fields: { name: 'First' } },
      { nin: b, fields: { name: 'B' } },
    ]);
  });

  it('reports invalid rows by number and code without echoing the value', () => {
    const [a] = syntheticNins(1);
    const wrong = a!.slice(0, 10) + String((Number(a![10]) + 1) % 10);
    const real = generateNin({ index: 3 });
    const text = `nin;language\n${a};nb\n${wrong};nb\n;nb\n${generateNin({ index: 4, synthetic: true })};de\n${real};nb\n`;
    const list = buildListFromCsv(parseCsv(text), { allowSynthetic: true });
    expect(list.rejected.map((r) => [r.row, r.code])).toEqual([
      [2, 'INVALID_NIN'],
      [3, 'MISSING_NIN'],
      [4, 'UNKNOWN_LANGUAGE'],
    ]);
    expect(list.rejected[0]?.line).toBe(3);
    expect(JSON.stringify(list.rejected)).not.toContain(wrong);
    const strict = buildListFromCsv(parseCsv(text), { allowSynthetic: false });
    expect(strict.rejected.filter((r) => r.code === 'SYNTHETIC_NIN_NOT_ALLOWED').map((r) => r.row)).toEqual([1, 4]);
  });

  it('restores the leading zero Excel drops and removes spaces inside the ID', () => {
    // index 0 starts with 0 (1 January); Excel drops that zero when the column is numeric.
    const nin = generateNin({ index: 0, synthetic: true });
    expect(nin.startsWith('0')).toBe(true);
    const spaced = `${nin.slice(0, 6)} ${nin.slice(6)}`;
    const list = fromCsv(`nin\n${nin.slice(1)}\n${spaced}\n`);
    expect(list).toMatchObject({ rows: 2, duplicatesInList: 1, recipients: [{ nin }] });
  });

  it('refuses formula injection, control characters and links in placeholder fields', () => {
    const ids = syntheticNins(7, 100);
    const text = [
      'nin;name',
      `${ids[0]};"=HYPERLINK(""http://evil"")"`,
      `${ids[1]};@SUM(A1)`,
      `${ids[2]};-cmd|' /C calc'!A0`,
      `${ids[3]};+47 22 00 00 00`,
      `${ids[4]};https://phish.example/login`,
      `${ids[5]};"tab\tinside"`,
      `${ids[6]};-`,
    ].join('\n');
    const list = fromCsv(text);
    expect(list.rejected.map((r) => [r.row, r.code])).toEqual([
      [1, 'UNSAFE_FIELD_VALUE'],
      [2, 'UNSAFE_FIELD_VALUE'],
      [3, 'UNSAFE_FIELD_VALUE'],
      [5, 'LINK_IN_FIELD'],
    ]);
    expect(list.recipients.map((r) => r.fields?.name)).toEqual(['+47 22 00 00 00', 'tab\tinside', '-']);
    // The same formula written by hand, without Excel's quoting, is a row error too.
    expect(fromCsv(`nin;name\n${ids[0]};=HYPERLINK("http://evil")\n`).rejected.map((r) => r.code)).toEqual(['UNSAFE_FIELD_VALUE']);
  });

  it('refuses headers without nin, with unusable column names, and malformed CSV, with 4xx errors', () => {
    expect(() => fromCsv('name;language\nOla;nb\n')).toThrowError(expect.objectContaining({ code: 'MISSING_NIN_COLUMN', status: 400 }));
    expect(() => fromCsv('nin;{{x}}\n1;2\n')).toThrowError(expect.objectContaining({ code: 'INVALID_HEADER' }));
    expect(() => fromCsv('nin;a;a\n')).toThrowError(expect.objectContaining({ code: 'INVALID_HEADER' }));
    expect(() => fromCsv('nin;name\n"0101;x\n')).toThrowError(MalformedCsvError);
    expect(fromCsv('nin;name\n"0101"x;y\n').rejected.map((r) => r.code)).toEqual(['INVALID_NIN']);
    expect(() => fromCsv('')).toThrowError(MalformedCsvError);
    expect(() => fromCsv('\uFEFF')).toThrowError(MalformedCsvError);
    // What a Windows-1252 "ø" becomes when read as UTF-8.
    const latin1 = Buffer.from(`nin;name\n${syntheticNins(1)[0]};Bj\xf8rn\n`, 'latin1').toString('utf8');
    expect(() => fromCsv(latin1)).toThrowError(expect.objectContaining({ code: 'CSV_NOT_UTF8', status: 400 }));
  });

  it('rejects rows with more cells than the header, but tolerates trailing empty cells', () => {
    const [a, b] = syntheticNins(2, 200);
    const list = fromCsv(`nin;name;;\n${a};Ola;;\n${b};Kari;extra;more\n`);
    expect(list.rejected.map((r) => [r.row, r.code])).toEqual([[2, 'WRONG_COLUMN_COUNT']]);
    expect(list.recipients).toHaveLength(1);
  });

  it('skips blank lines without counting them as rows', () => {
    const [a, b] = syntheticNins(2, 300);
    expect(fromCsv(`nin\n\n${a}\n;\n\n${b}\n\n`)).toMatchObject({ rows: 2, recipients: [{ nin: a }, { nin: b }] });
  });

  it('refuses a list that is mostly invalid, storing nothing', () => {
    const lines = ['nin', ...Array.from({ length: 10_001 }, () => '12345678901')];
    expect(() => fromCsv(lines.join('\n'))).toThrowError(TooManyRejectedRowsError);
  });
});

describe('JSON recipient lists', () => {
  it('validates each recipient and reports by 1-based row', () => {
    const [a, b] = syntheticNins(2, 400);
    const list = buildListFromJson([{ nin: a, language: 'nn', fields: { name: 'Ola', age: 42 } }, { nin: 'x' }, { nin: b, fields: { name: { nested: true } } }, { nin: a }], opts);
    expect(list).toMatchObject({ rows: 4, duplicatesInList: 1, columns: ['name', 'age'] });
    expect(list.recipients).toEqual([{ nin: a, language: 'nn', fields: { name: 'Ola', age: '42' } }]);
    expect(list.rejected.map((r) => [r.row, r.code])).toEqual([
      [2, 'INVALID_NIN'],
      [3, 'INVALID_FIELD'],
    ]);
  });
});

describe('list size', () => {
  it('takes up to 1,000,000 rows and refuses the 1,000,001st with LIST_TOO_LARGE', () => {
    const table = (n: number) => ({ header: ['nin'], delimiter: ';', records: Array.from({ length: n }, (_, i) => ({ line: i + 2, cells: [''] })) });
    // A million empty IDs is within the size limit (it fails as too many bad rows, a different refusal).
    expect(() => buildListFromCsv(table(1_000_000), opts)).toThrowError(expect.objectContaining({ code: 'TOO_MANY_REJECTED_ROWS' }));
    expect(() => buildListFromCsv(table(1_000_001), opts)).toThrowError(expect.objectContaining({ code: 'LIST_TOO_LARGE', status: 413 }));
    expect(() => buildListFromJson(new Array(1_000_001).fill({}), opts)).toThrowError(expect.objectContaining({ code: 'LIST_TOO_LARGE' }));
  });
});
