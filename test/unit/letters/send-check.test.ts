import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { contentHash } from '../../../functions/domain/letters/content.js';
import { externalLink } from '../../../functions/domain/letters/form-task.js';
import type { LetterVersion } from '../../../functions/domain/letters/letter.js';
import { renderLetter, type FooterInfo } from '../../../functions/domain/letters/render.js';
import { checkRenderedLetter, isTaskLinkFor } from '../../../functions/domain/letters/send-check.js';
import { checkFieldValue } from '../../../functions/domain/lists/field-value.js';
import { generateNin } from '../../../functions/domain/lists/nin-generator.js';

const footer: FooterInfo = { organization: 'Universitetet i Oslo', projectTitle: 'Hjertestudien', contact: 'hjerte@uio.no' };
const LINK = 'https://studie.uio.no/hjerte?kilde=brev';
const FORM = 'https://skjema.uio.no/f/123';

const version = (over: Partial<LetterVersion> = {}): LetterVersion => {
  const content = over.content ?? {
    nb: { subject: 'Invitasjon til {{navn}}', body: `Hei {{navn}}!\nLes mer på ${LINK}.\nSe også uio.no for mer.` },
    nn: { subject: 'Invitasjon til {{navn}}', body: `Hei {{navn}}!\nLes meir på ${LINK}.` },
  };
  const kind = over.kind ?? 'letter';
  return {
    projectId: 'prj',
    letterId: 'let',
    version: 1,
    title: 'Invitasjon',
    kind,
    fields: ['navn'],
    contentHash: contentHash({ kind, content }),
    authoredBy: 'ola',
    createdAt: '2026-01-01T00:00:00.000Z',
    approval: { approvedBy: 'siri', approvedAt: '2026-01-02T00:00:00.000Z' },
    ...over,
    content,
  };
};

const render = (v: LetterVersion, navn: string, language: 'nb' | 'nn' = 'nb', taskLink?: string) => renderLetter(v, language, { navn }, footer, taskLink ? { taskLink } : {});

describe('the send-time check of a rendered letter', () => {
  it("passes the letter exactly as approved, with a recipient's name, in each language", () => {
    const v = version();
    expect(checkRenderedLetter(render(v, 'Kari Nordmann'), v, { footer })).toEqual({ ok: true });
    expect(checkRenderedLetter(render(v, 'Per', 'nn'), v, { footer })).toEqual({ ok: true });
  });

  it('refuses a letter whose rendered text carries an unapproved link (from a field)', () => {
    const v = version();
    for (const navn of ['https://evil.no/login', 'evil.no/login', 'www.evil.no', 'kari@evil.no', 'http://127.0.0.1/x', 'javascript:alert(1)', 'еvil.no']) {
      const result = checkRenderedLetter(render(v, navn), v, { footer });
      expect(result, navn).toMatchObject({ ok: false, reason: 'unapproved_link' });
      if (!result.ok) expect(result.message).not.toContain(navn);
    }
  });

  it('refuses an approved link that was changed, even on an allowed host', () => {
    const v = version();
    const rendered = render(v, 'Kari');
    const tampered = { ...rendered, body: rendered.body.replace(LINK, 'https://studie.uio.no/annet') };
    expect(checkRenderedLetter(tampered, v, { footer })).toMatchObject({ ok: false, reason: 'unapproved_link' });
    const dropped = { ...rendered, body: rendered.body.replace(LINK, '') };
    expect(checkRenderedLetter(dropped, v, { footer })).toMatchObject({ ok: false, reason: 'approved_link_missing' });
  });

  it('refuses a national ID or D-number anywhere in the letter, however it is written', () => {
    const v = version();
    const id = generateNin({ index: 99 });
    const dnr = generateNin({ index: 100, dnr: true });
    for (const navn of [`Kari ${id}`, `${id.slice(0, 6)} ${id.slice(6)}`, `${dnr.slice(0, 6)}-${dnr.slice(6)}`]) {
      const result = checkRenderedLetter(render(v, navn), v, { footer });
      expect(result).toMatchObject({ ok: false, reason: 'national_id' });
      if (!result.ok) expect(result.message).not.toContain(id);
    }
    // In the subject too.
    const rendered = render(v, 'Kari');
    expect(checkRenderedLetter({ ...rendered, subject: `Brev til ${id}` }, v, { footer })).toMatchObject({ ok: false, reason: 'national_id' });
  });

  it('refuses letters beyond the length limits', () => {
    const v = version();
    const rendered = render(v, 'Kari');
    expect(checkRenderedLetter({ ...rendered, subject: 'x'.repeat(121) }, v, { footer })).toMatchObject({ ok: false, reason: 'too_long' });
    expect(checkRenderedLetter({ ...rendered, body: `${rendered.body}${' lang tekst'.repeat(3_000)}` }, v, { footer })).toMatchObject({ ok: false, reason: 'too_long' });
  });

  it('refuses a version that is not approved, and a language the approved version lacks', () => {
    const { approval: _, ...unapproved } = version();
    expect(checkRenderedLetter(render(unapproved, 'Kari'), unapproved, { footer })).toMatchObject({ ok: false, reason: 'not_approved' });
    // A test send to synthetic persons goes out whatever the approval, never with an unapproved link.
    expect(checkRenderedLetter(render(unapproved, 'Kari'), unapproved, { footer, testSend: true })).toEqual({ ok: true });
    expect(checkRenderedLetter(render(unapproved, 'evil.no'), unapproved, { footer, testSend: true })).toMatchObject({ ok: false, reason: 'unapproved_link' });
    const nbOnly = version({ content: { nb: { subject: 'Hei {{navn}}', body: 'Tekst' } } });
    const rendered = render(nbOnly, 'Kari');
    expect(checkRenderedLetter({ ...rendered, language: 'nn' }, nbOnly, { footer })).toMatchObject({ ok: false, reason: 'language_not_approved' });
  });

  it("lets a form-task letter carry the recipient's own link to the external form, and nothing else", () => {
    const v = version({ kind: 'form-task', formTaskId: 'frm', content: { nb: { subject: 'Skjema', body: 'Hei {{navn}}! Svar her: {{taskLink}}' } } });
    const token = 'Zm9yc2tuaW5nc3Rva2VuLWZvci1rYXJp';
    expect(checkRenderedLetter(render(v, 'Kari', 'nb', externalLink(FORM, token)), v, { footer, externalFormUrl: FORM })).toEqual({ ok: true });
    // Another host, or the form URL with more than the token, is not the approved form.
    expect(checkRenderedLetter(render(v, 'Kari', 'nb', externalLink('https://evil.no/f/123', token)), v, { footer, externalFormUrl: FORM })).toMatchObject({ ok: false });
    expect(checkRenderedLetter(render(v, 'Kari', 'nb', `${externalLink(FORM, token)}&next=https://evil.no`), v, { footer, externalFormUrl: FORM })).toMatchObject({ ok: false });
    expect(isTaskLinkFor(FORM, `${FORM}?token=${token}&token=${token}`)).toBe(false);
    // An internal form: the platform's own line about helsenorge.no.
    const internal = version({ kind: 'form-task', formTaskId: 'frm', content: { nb: { subject: 'Skjema', body: 'Hei {{navn}}!' } } });
    expect(checkRenderedLetter(render(internal, 'Kari'), internal, { footer })).toEqual({ ok: true });
  });

  it('property: a link in any disguise put into a field is refused at send time', () => {
    const v = version();
    const host = fc.tuple(fc.stringMatching(/^[a-z][a-z0-9]{1,10}$/), fc.constantFrom('no', 'com', 'org', 'io', 'co.uk', 'net'));
    const disguise = fc.constantFrom(
      (h: string) => h,
      (h: string) => `https://${h}/x`,
      (h: string) => `www.${h}`,
      (h: string) => `Besøk ${h.toUpperCase()} nå`,
      (h: string) => `post@${h}`,
    );
    fc.assert(
      fc.property(host, disguise, ([name, tld], how) => {
        fc.pre(`${name}.${tld}` !== 'uio.no');
        expect(checkRenderedLetter(render(v, how(`${name}.${tld}`)), v, { footer })).toMatchObject({ ok: false, reason: 'unapproved_link' });
      }),
      { numRuns: 500 },
    );
  });

  it('property: a field value that passes the upload check never makes the send check refuse', () => {
    const v = version();
    fc.assert(
      fc.property(fc.string({ maxLength: 80, unit: fc.constantFrom(..."abcæøå ABC-.,:/@1234567890'&()".split('')) }), (navn) => {
        fc.pre(checkFieldValue(navn.trim()) === undefined);
        expect(checkRenderedLetter(render(v, navn.trim()), v, { footer })).toEqual({ ok: true });
      }),
      { numRuns: 1_000 },
    );
  });
});
