import type { Preflight } from '../../../console/src/api-types.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { confirmationSegments, confirmationText, diffLines, formatCount, maskNin, minorsSentence, normaliseNin, progressPercent, tokenize } from '../../../console/src/format.js';
import { previewLetter } from '../../../console/src/render.js';
import { footerInfoFor, renderLetter } from '../../../functions/domain/letters/render.js';

const NBSP = '\u00a0';
const incident: Preflight = { total: 30_000, eligible: 27_412, reserved: 2_402, withdrawn: 0, alreadySent: 186, invalid: 0 };

describe('formatCount', () => {
  it('groups thousands with a no-break space in Norwegian and a comma in English', () => {
    expect(formatCount(27_412, 'nb')).toBe(`27${NBSP}412`);
    expect(formatCount(1_234_567, 'nb')).toBe(`1${NBSP}234${NBSP}567`);
    expect(formatCount(27_412, 'en')).toBe('27,412');
    expect(formatCount(999, 'nb')).toBe('999');
    expect(formatCount(0, 'en')).toBe('0');
  });

  it('reads back to the same number for any count', () => {
    fc.assert(
      fc.property(fc.nat(), (n) => {
        expect(Number(formatCount(n, 'nb').replaceAll(NBSP, ''))).toBe(n);
        expect(Number(formatCount(n, 'en').replaceAll(',', ''))).toBe(n);
      }),
    );
  });
});

describe('release confirmation', () => {
  it('states the version, the letter, who gets it and why the others are skipped, in bokmål', () => {
    expect(confirmationText({ letterTitle: 'Invitasjon', version: 3, preflight: incident }, 'nb')).toBe(
      `Du er i ferd med å sende versjon 3 av Invitasjon til 27${NBSP}412 innbyggere; 2${NBSP}588 hoppes over: 2${NBSP}402 reservert, 186 har allerede fått den`,
    );
  });

  it('says the same in English', () => {
    expect(confirmationText({ letterTitle: 'Invitation', version: 3, preflight: incident }, 'en')).toBe(
      'You are about to send version 3 of Invitation to 27,412 citizens; 2,588 will be skipped: 2,402 reserved, 186 already received it',
    );
  });

  it('emphasises exactly the letter and version', () => {
    const em = confirmationSegments({ letterTitle: 'Invitasjon', version: 3, preflight: incident }, 'nb').filter((s) => s.em);
    expect(em).toEqual([{ text: 'versjon 3 av Invitasjon', em: true }]);
  });

  it('lists every non-zero skip reason and says when nobody is skipped', () => {
    const p: Preflight = { total: 10, eligible: 6, reserved: 1, withdrawn: 1, alreadySent: 0, invalid: 1, deceased: 1 };
    expect(confirmationText({ letterTitle: 'Påminnelse', version: 1, preflight: p }, 'nb')).toBe(
      'Du er i ferd med å sende versjon 1 av Påminnelse til 6 innbyggere; 4 hoppes over: 1 reservert, 1 har trukket seg fra prosjektet, 1 ugyldige, 1 døde',
    );
    const none: Preflight = { total: 1, eligible: 1, reserved: 0, withdrawn: 0, alreadySent: 0, invalid: 0 };
    expect(confirmationText({ letterTitle: 'X', version: 2, preflight: none }, 'nb')).toBe('Du er i ferd med å sende versjon 2 av X til 1 innbygger; ingen hoppes over');
    expect(confirmationText({ letterTitle: 'X', version: 2, preflight: none }, 'en')).toBe('You are about to send version 2 of X to 1 citizen; none will be skipped');
  });
});

describe('maskNin', () => {
  it('hides all but the last two digits of an 11-digit ID', () => {
    expect(maskNin('01019012345')).toBe('•••••••••45');
  });

  it('never shows more than two digits of any input, and none of a short one', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('0', '1', '5', '9', ' ', '-') }), (typed) => {
        const shown = maskNin(typed).replace(/•/g, '');
        const digits = typed.replace(/\D/g, '');
        expect(shown.length).toBeLessThanOrEqual(digits.length >= 11 ? 2 : 0);
        expect(maskNin(typed).length).toBe(digits.length);
      }),
    );
  });

  it('normalises typed IDs to their digits', () => {
    expect(normaliseNin('010190 123 45')).toBe('01019012345');
  });
});

describe('letter preview helpers', () => {
  it('splits text into plain runs, links and placeholders without losing a character', () => {
    const text = 'Hei {{fornavn}}! Svar på https://skjema.example.org/s?id=1. Takk.';
    const tokens = tokenize(text);
    expect(tokens.map((t) => t.text).join('')).toBe(text);
    expect(tokens.filter((t) => t.kind === 'link').map((t) => t.text)).toEqual(['https://skjema.example.org/s?id=1']);
    expect(tokens.filter((t) => t.kind === 'placeholder').map((t) => t.text)).toEqual(['{{fornavn}}']);
  });

  it('keeps markup in letter text as text', () => {
    const tokens = tokenize('<script>alert(1)</script>');
    expect(tokens).toEqual([{ kind: 'text', text: '<script>alert(1)</script>' }]);
  });

  it('previews with the standard footer of the platform itself in each language, placeholders kept', () => {
    const project = { organization: 'Helse Vest', title: 'Søvnstudien' };
    const content = { subject: 'Hei {{fornavn}}', body: 'Velkommen, {{fornavn}}.' };
    for (const lang of ['nb', 'nn', 'en'] as const) {
      const p = previewLetter(content, 'letter', lang, project);
      const real = renderLetter({ kind: 'letter', content: { [lang]: content } }, lang, { fornavn: '{{fornavn}}' }, footerInfoFor(project));
      expect(`${p.body}\n\n--\n${p.footer}`).toBe(real.body);
      expect(p.footer).toContain('Helse Vest');
      expect(p.footer).toContain('Søvnstudien');
      expect(p.subject).toBe('Hei {{fornavn}}');
    }
    expect(previewLetter(content, 'form-task', 'nb', project).body).toContain('skjemaet');
  });

  it('diffs lines so that applying the diff gives the new text', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', 'c', 'd')), fc.array(fc.constantFrom('a', 'b', 'c', 'd')), (a, b) => {
        const d = diffLines(a.join('\n'), b.join('\n'));
        expect(d.filter((x) => x.op !== 'del').map((x) => x.text)).toEqual(b);
        expect(d.filter((x) => x.op !== 'add').map((x) => x.text)).toEqual(a);
      }),
    );
  });
});

describe('progressPercent', () => {
  it('counts everything not pending as done', () => {
    expect(progressPercent({ planned: 200, pending: 50 })).toBe(75);
    expect(progressPercent({ planned: 0, pending: 0 })).toBe(0);
    expect(progressPercent(undefined)).toBe(0);
    expect(progressPercent({ planned: 3, pending: 0 })).toBe(100);
  });
});

describe('release confirmation with recipients under 16', () => {
  const minors = { underSixteen: 12, viaGuardians: 8, guardianLetters: 14, withoutGuardian: 3, guardianAccessReserved: 1, skippedMinor: 0, underGuardianship: 0, ignoredGuardianIds: 0 };
  const guardians: Preflight = { total: 100, eligible: 96, reserved: 0, withdrawn: 0, alreadySent: 0, invalid: 0, minors: { policy: 'guardians', ...minors } };
  const excluded: Preflight = {
    total: 100,
    eligible: 88,
    reserved: 0,
    withdrawn: 0,
    alreadySent: 0,
    invalid: 0,
    minors: { policy: 'exclude', ...minors, viaGuardians: 0, guardianLetters: 0, withoutGuardian: 0, guardianAccessReserved: 0, skippedMinor: 12 },
  };

  it('says how many are under 16, reached through guardians, with none reachable and reserved against guardian access', () => {
    expect(minorsSentence(guardians, 'nb')).toBe(
      '12 av mottakerne er under 16 år: 8 nås gjennom foresatte (14 brev til foresatte), 3 har ingen foresatt som kan nås, 1 har reservert seg mot foreldreinnsyn og får ingenting sendt.',
    );
    expect(minorsSentence(guardians, 'en')).toBe(
      '12 recipients are under 16: 8 will be reached through their guardians (14 letters to guardians), 3 have no reachable guardian, 1 reserved against guardian access and get nothing sent.',
    );
    // The skipped children are named in the breakdown, so the numbers in the sentence add up.
    expect(confirmationText({ letterTitle: 'Invitasjon', version: 1, preflight: guardians }, 'nb')).toBe(
      'Du er i ferd med å sende versjon 1 av Invitasjon til 96 innbyggere; 4 hoppes over: 3 under 16 år uten foresatt som kan nås, 1 har reservert seg mot foreldreinnsyn',
    );
  });

  it('with exclude, says the children are skipped', () => {
    expect(minorsSentence(excluded, 'nb')).toBe('12 av mottakerne er under 16 år; 12 av dem hoppes over fordi prosjektet ikke skriver til barn under 16.');
    expect(confirmationText({ letterTitle: 'Invitation', version: 2, preflight: excluded }, 'en')).toBe(
      'You are about to send version 2 of Invitation to 88 citizens; 12 will be skipped: 12 under 16',
    );
  });

  it('says nothing about children when there are none or the round predates the report', () => {
    expect(minorsSentence(incident, 'nb')).toBeUndefined();
    expect(minorsSentence({ ...guardians, minors: { policy: 'guardians', ...minors, underSixteen: 0 } }, 'en')).toBeUndefined();
  });
});
