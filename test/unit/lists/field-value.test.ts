import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkFieldValue } from '../../../functions/domain/lists/field-value.js';
import { generateNin } from '../../../functions/domain/lists/nin-generator.js';
import { buildListFromCsv, buildListFromJson } from '../../../functions/domain/lists/recipient-list.js';
import { parseCsv } from '../../../functions/domain/lists/csv.js';

const opts = { allowSynthetic: true };
const nin = (i: number) => generateNin({ index: i, synthetic: true, seed: 15 });

// ---------- arbitraries of hostile values ----------

const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/);
const suffix = fc.constantFrom('no', 'com', 'org', 'net', 'io', 'co.uk', 'de', 'se', 'info', 'app', 'dev', 'xyz', 'github.io');
const path = fc.constantFrom('', '/', '/login', '/s?ref=1', ':8443/x', '#top');
const word = fc.stringMatching(/^[A-Za-zæøåÆØÅ]{1,12}$/);

/** Cyrillic and Greek letters that look like Latin ones. */
const HOMOGLYPHS: Record<string, string> = { a: 'а', e: 'е', o: 'о', p: 'р', c: 'с', x: 'х', i: 'і' };
const toFullWidth = (s: string) => [...s].map((c) => (c >= '!' && c <= '~' ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c)).join('');

/** One host written the ways people and attackers write it. */
const disguisedLink = fc
  .record({
    host: fc.tuple(fc.option(label, { nil: undefined }), label, suffix).map(([sub, name, tld]) => [sub, name, tld].filter(Boolean).join('.')),
    path,
    disguise: fc.constantFrom('bare', 'https', 'http', 'www', 'upper', 'mailto', 'at', 'fullwidth', 'ideographic', 'defanged', 'homograph', 'trailing-dot', 'scheme-relative'),
    before: fc.option(word, { nil: undefined }),
    after: fc.option(word, { nil: undefined }),
  })
  .map(({ host, path: p, disguise, before, after }) => {
    const withPath = `${host}${p}`;
    const link = ((): string => {
      switch (disguise) {
        case 'bare':
          return withPath;
        case 'https':
          return `https://${withPath}`;
        case 'http':
          return `http://${withPath}`;
        case 'www':
          return `www.${withPath}`;
        case 'upper':
          return withPath.toUpperCase();
        case 'mailto':
          return `mailto:post@${host}`;
        case 'at':
          return `kari@${host}`;
        case 'fullwidth':
          return toFullWidth(withPath);
        case 'ideographic':
          return withPath.replace(/\./g, '。');
        case 'defanged':
          return withPath.replace(/\./g, '[.]');
        case 'homograph':
          return withPath.replace(/[aeopcxi]/, (c) => HOMOGLYPHS[c]!);
        case 'trailing-dot':
          return `${host}.${p}`;
        case 'scheme-relative':
          return `//${withPath}`;
      }
    })();
    return [before, link, after].filter(Boolean).join(' ');
  });

type Format = 'plain' | 'space' | 'dash' | 'dots' | 'pairs' | 'glued' | 'nbsp' | 'fullwidth';
/** A national ID, D-number or synthetic ID, split and embedded the ways they turn up in spreadsheets. */
const hiddenId = fc
  .record({
    index: fc.integer({ min: 0, max: 2_000_000 }),
    synthetic: fc.boolean(),
    dnr: fc.boolean(),
    format: fc.constantFrom<Format>('plain', 'space', 'dash', 'dots', 'pairs', 'glued', 'nbsp', 'fullwidth'),
    name: fc.option(word, { nil: undefined }),
  })
  .map(({ index, synthetic, dnr, format, name }) => {
    const id = generateNin({ index, synthetic, dnr });
    const written = ((): string => {
      switch (format) {
        case 'plain':
          return id;
        case 'space':
          return `${id.slice(0, 6)} ${id.slice(6)}`;
        case 'dash':
          return `${id.slice(0, 6)}-${id.slice(6)}`;
        case 'dots':
          return `${id.slice(0, 2)}.${id.slice(2, 4)}.${id.slice(4, 6)} ${id.slice(6)}`;
        case 'pairs':
          return `${id.slice(0, 2)} ${id.slice(2, 4)} ${id.slice(4, 6)} ${id.slice(6, 9)} ${id.slice(9)}`;
        case 'glued':
          return `${name ?? 'Kari'}${id}`;
        case 'nbsp':
          return `${id.slice(0, 6)}\u00a0${id.slice(6)}`;
        case 'fullwidth':
          return toFullWidth(id);
      }
    })();
    return name && format !== 'glued' ? `${name} ${written}` : written;
  });

const markup = fc.constantFrom(
  '<b>fet</b>',
  '<script>alert(1)</script>',
  'Kari <img src=x onerror=alert(1)>',
  '</p>',
  '<!-- x -->',
  '<?xml?>',
  'a &lt; b',
  'Tom &#60;b&#62;',
  '&#x3c;',
  '[klikk her](x)',
  'Hei {{navn}}',
  '}}',
  '{% if %}',
  '${process.env}',
  '< svg>',
);
const formula = fc.tuple(fc.constantFrom('=', '@', '+', '-'), fc.stringMatching(/^[A-Za-z(][A-Za-z0-9(),]{0,10}$/)).map(([p, rest]) => `${p}${rest}`);
const control = fc
  .tuple(word, fc.constantFrom('\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\u009b', '\u200b', '\u200e', '\u202e', '\u2066', '\u2028', '\ufeff', '\u00ad'), word)
  .map(([a, c, b]) => `${a}${c}${b}`);

/** Values a recipient list legitimately holds. */
const benign = fc.oneof(
  fc.tuple(word, fc.option(word, { nil: undefined }), word).map((parts) => parts.filter(Boolean).join(' ')),
  fc.tuple(word, word).map(([a, b]) => `${a}-${b}`),
  fc.date({ min: new Date('1900-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10).split('-').reverse().join('.')),
  fc.integer({ min: 10_000_000, max: 99_999_999 }).map((n) => `+47 ${String(n).replace(/(\d\d)(?=\d)/g, '$1 ')}`),
  fc.integer({ min: -100_000, max: 100_000 }).map(String),
  fc.constantFrom('St. Olavs hospital', 'Kl. 10.30', 'Rom 3.14', 'Tom & Jerry', "O'Brien", '3.5 mg', 'Ålesund', 'Tromsø kommune', 'A/S Norge', '<3'),
);

describe('list fields are data: hostile values are refused, by code', () => {
  it('refuses a link in every disguise (LINK_IN_FIELD)', () => {
    fc.assert(
      fc.property(disguisedLink, (value) => {
        expect(checkFieldValue(value)).toBe('LINK_IN_FIELD');
      }),
      { numRuns: 1_000 },
    );
  });

  it('refuses a national ID or D-number however it is split or embedded (NATIONAL_ID_IN_FIELD)', () => {
    fc.assert(
      fc.property(hiddenId, (value) => {
        expect(checkFieldValue(value)).toBe('NATIONAL_ID_IN_FIELD');
      }),
      { numRuns: 1_000 },
    );
  });

  it('refuses markup, formulas and control or invisible characters (UNSAFE_FIELD_VALUE)', () => {
    fc.assert(
      fc.property(fc.oneof(markup, formula, control), (value) => {
        expect(checkFieldValue(value)).toBe('UNSAFE_FIELD_VALUE');
      }),
      { numRuns: 500 },
    );
  });

  it('accepts what lists legitimately hold: names, dates, phone numbers, amounts', () => {
    fc.assert(
      fc.property(benign, (value) => {
        expect(checkFieldValue(value)).toBeUndefined();
      }),
      { numRuns: 1_000 },
    );
  });

  it('stays linear on long hostile values (no catastrophic backtracking)', () => {
    // 500 characters is the field limit; each of these would take seconds with a backtracking pattern.
    for (const value of ['a'.repeat(500), `${'a.'.repeat(249)}a`, '1 '.repeat(250), `${'x:'.repeat(250)}`, '&'.repeat(500), `${'<'.repeat(250)}`]) {
      expect(checkFieldValue(value)).toBeUndefined();
    }
    expect(checkFieldValue(`${'a.'.repeat(240)}no`)).toBe('LINK_IN_FIELD');
    expect(checkFieldValue(`${'1 '.repeat(240)}01019012345`.replace(/01019012345$/, generateNin({ index: 7 })))).toBe('NATIONAL_ID_IN_FIELD');
  });
});

describe('rows with hostile fields are rejected by row number, never echoing the value', () => {
  it('rejects each hostile row with its code, keeps the others, and no answer carries a value', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            disguisedLink.map((v) => ({ v, code: 'LINK_IN_FIELD' })),
            hiddenId.map((v) => ({ v, code: 'NATIONAL_ID_IN_FIELD' })),
            fc.oneof(markup, formula, control).map((v) => ({ v, code: 'UNSAFE_FIELD_VALUE' })),
            benign.map((v) => ({ v, code: undefined })),
          ),
          { minLength: 1, maxLength: 25 },
        ),
        fc.integer({ min: 0, max: 100_000 }),
        (rows, offset) => {
          const built = buildListFromJson(
            rows.map((r, i) => ({ nin: nin(offset + i), fields: { navn: r.v } })),
            opts,
          );
          const expected = rows.flatMap((r, i) => (r.code ? [{ row: i + 1, code: r.code }] : []));
          expect(built.rejected.map((e) => ({ row: e.row, code: e.code }))).toEqual(expected);
          expect(built.recipients).toHaveLength(rows.length - expected.length);
          const answer = JSON.stringify(built.rejected);
          for (const r of rows) if (r.code && r.v.trim().length > 3) expect(answer).not.toContain(r.v.trim());
        },
      ),
      { numRuns: 200 },
    );
  });

  it('works the same for CSV uploads (a name column with an ID after the name)', () => {
    const id = generateNin({ index: 42, synthetic: false });
    const csv = `nin;navn;by\n${nin(1)};Kari Nordmann;Oslo\n${nin(2)};Ola Nordmann ${id.slice(0, 6)} ${id.slice(6)};Bergen\n${nin(3)};Per;evil.no/login\n${nin(4)};=HYPERLINK("x");Oslo\n`;
    const built = buildListFromCsv(parseCsv(csv), opts);
    expect(built.rejected.map((e) => [e.row, e.code])).toEqual([
      [2, 'NATIONAL_ID_IN_FIELD'],
      [3, 'LINK_IN_FIELD'],
      [4, 'UNSAFE_FIELD_VALUE'],
    ]);
    expect(JSON.stringify(built.rejected)).not.toContain(id.slice(6));
    expect(built.recipients).toHaveLength(1);
  });
});
