import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MissingFieldError, footerInfoFor, readingLanguage, renderLetter } from '../../../functions/domain/letters/render.js';

const footer = footerInfoFor({ organization: 'Universitetet i Oslo', title: 'Hjertestudien', contact: 'hjerte@uio.no' });
const letter = {
  kind: 'letter' as const,
  content: {
    nb: { subject: 'Hei {{firstName}}', body: 'Kjære {{firstName}},\nvelkommen.' },
    nn: { subject: 'Hei {{firstName}}', body: 'Kjære {{firstName}},\nvelkomen.' },
  },
};

describe('renderLetter', () => {
  it("fills placeholders and appends the standard footer in the reader's language", () => {
    const r = renderLetter(letter, 'nn', { firstName: 'Kari' }, footer);
    expect(r).toMatchObject({ language: 'nn', subject: 'Hei Kari', format: 'text/plain' });
    expect(r.body).toMatch(/^Kjære Kari,\nvelkomen\.\n\n--\nAvsendar: Universitetet i Oslo\nProsjekt: Hjertestudien\nKontakt: hjerte@uio\.no\nDet er frivillig/);
    expect(r.body).toContain('trekkje deg frå prosjektet');
    expect(r.body).toContain('reservere deg');
  });

  it("falls back to bokmål when the letter has no version in the reader's language", () => {
    const r = renderLetter(letter, 'en', { firstName: 'Kari' }, footer);
    expect(r.language).toBe('nb');
    expect(r.body).toContain('Avsender: Universitetet i Oslo');
    expect(readingLanguage({ content: { nb: { subject: 's', body: 'b' }, en: { subject: 's', body: 'b' } } }, 'en')).toBe('en');
  });

  it('refuses to send a letter with a placeholder the recipient has no value for', () => {
    expect(() => renderLetter(letter, 'nb', {}, footer)).toThrow(MissingFieldError);
  });

  it('puts the task link (or where to find the form) into form-task letters', () => {
    const ft = { kind: 'form-task' as const, content: { nb: { subject: 'Skjema', body: 'Svar: {{taskLink}}' }, en: { subject: 'Form', body: 'Please answer.' } } };
    expect(renderLetter(ft, 'nb', {}, footer, { taskLink: 'https://skjema.example.org/?token=abc' }).body).toMatch(/^Svar: https:\/\/skjema\.example\.org\/\?token=abc\n/);
    expect(renderLetter(ft, 'en', {}, footer, { taskLink: 'https://x.example.org/?token=abc' }).body).toContain('Please answer.\n\nAnswer the form here: https://x.example.org/?token=abc');
    expect(renderLetter(ft, 'en', {}, footer).body).toContain('under Tasks at helsenorge.no');
  });

  it('property: the letter text and values come out verbatim as text — no markup, no second expansion, footer always last', () => {
    const value = fc.string({ maxLength: 40 }).map((s) => s.replace(/[\u0000-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]/g, ''));
    fc.assert(
      fc.property(value, fc.constantFrom<'nb' | 'nn' | 'en'>('nb', 'nn', 'en'), (v, lang) => {
        const body = `<b>{{x}}</b> <script>alert(1)</script> {{x}}`;
        const r = renderLetter({ kind: 'letter', content: { nb: { subject: 'S {{x}}', body }, nn: { subject: 'S', body }, en: { subject: 'S', body } } }, lang, { x: v, y: 'Y' }, footer);
        expect(r.body.startsWith(`<b>${v}</b> <script>alert(1)</script> ${v}`.trimEnd())).toBe(true);
        expect(r.body).not.toContain('&lt;');
        expect(r.body.endsWith('helsenorge.no.')).toBe(true);
      }),
    );
  });

  it('property: a value that looks like a placeholder stays text, and control characters are dropped', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,8}$/), (name) => {
        fc.pre(name !== 'x');
        const r = renderLetter({ kind: 'letter', content: { nb: { subject: 'S', body: 'A {{x}} B' } } }, 'nb', { x: `{{${name}}}\u0007\u202e`, [name]: 'LEAK' }, footer);
        expect(r.body.startsWith(`A {{${name}}} B`)).toBe(true);
        expect(r.body).not.toContain('LEAK');
      }),
    );
  });

  it('a subject stays one line whatever the values hold', () => {
    const r = renderLetter({ kind: 'letter', content: { nb: { subject: 'Til {{x}}', body: 'b' } } }, 'nb', { x: 'a\nb\r\nc' }, footer);
    expect(r.subject).toBe('Til a b c');
  });
});

describe('renderLetter for a guardian (onBehalfOfMinor)', () => {
  const three = {
    kind: 'letter' as const,
    content: {
      nb: { subject: 'Om {{firstName}}', body: 'Vi vil gjerne at {{firstName}} blir med.' },
      nn: { subject: 'Om {{firstName}}', body: 'Vi vil gjerne at {{firstName}} blir med.' },
      en: { subject: 'About {{firstName}}', body: 'We would like {{firstName}} to take part.' },
    },
  };
  const childFields = { firstName: 'Emil' };
  const expected = {
    nb: ['Til deg med foreldreansvar: Dette brevet gjelder et barn under 16 år som du har foreldreansvar for.', 'Du får dette brevet fordi du har foreldreansvar for barnet brevet gjelder.'],
    nn: ['Til deg med foreldreansvar: Dette brevet gjeld eit barn under 16 år som du har foreldreansvar for.', 'Du får dette brevet fordi du har foreldreansvar for barnet brevet gjeld.'],
    en: [
      'To the person with parental responsibility: this letter concerns a child under 16 for whom you have parental responsibility.',
      'You receive this letter because you have parental responsibility for the child it concerns.',
    ],
  } as const;

  for (const lang of ['nb', 'nn', 'en'] as const) {
    it(`opens with the guardian line and adds it to the standard footer (${lang}), filled with the child's fields`, () => {
      const r = renderLetter(three, lang, childFields, footer, { onBehalfOfMinor: true });
      const [intro, footerLine] = expected[lang];
      expect(r).toMatchObject({ language: lang, onBehalfOfMinor: true });
      expect(r.subject).toContain('Emil');
      expect(r.body.startsWith(`${intro}`)).toBe(true);
      expect(r.body).toContain('Emil');
      const [, standardFooter] = r.body.split('\n--\n');
      expect(standardFooter).toContain(footerLine);
      // The researchers' text sits between the guardian opening and the footer.
      expect(r.body.indexOf('Emil')).toBeGreaterThan(r.body.indexOf(intro));
      expect(r.body.indexOf('Emil')).toBeLessThan(r.body.indexOf('\n--\n'));
    });
  }

  it('a letter to the recipient themselves carries neither the flag nor the guardian texts', () => {
    const r = renderLetter(three, 'nb', childFields, footer);
    expect(r.onBehalfOfMinor).toBeUndefined();
    expect(r.body).not.toContain('foreldreansvar');
  });
});
