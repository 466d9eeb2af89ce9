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
  it('fills placeholders and appends the standard footer in the reader\'s language', () => {
    const r = renderLetter(letter, 'nn', { firstName: 'Kari' }, footer);
    expect(r).toMatchObject({ language: 'nn', subject: 'Hei Kari', format: 'text/plain' });
    expect(r.body).toMatch(/^Kjære Kari,\nvelkomen\.\n\n--\nAvsendar: Universitetet i Oslo\nProsjekt: Hjertestudien\nKontakt: hjerte@uio\.no\nDet er frivillig/);
    expect(r.body).toContain('trekkje deg frå prosjektet');
    expect(r.body).toContain('reservere deg');
  });

  it('falls back to bokmål when the letter has no version in the reader\'s language', () => {
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
      fc.property(value, fc.constantFrom('nb', 'nn', 'en') as fc.Arbitrary<'nb' | 'nn' | 'en'>, (v, lang) => {
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
