import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CHECKLISTS, LANGUAGE_ITEM_ID, requireCompleteChecklist } from '../../../functions/domain/projects/checklist.js';
import { linkDomainProblem, requireRegistrableDomains } from '../../../functions/domain/projects/link-domains.js';
import { PURPOSES } from '../../../functions/domain/projects/project.js';

const all = (purpose: (typeof PURPOSES)[number], answer: true | string = true) => Object.fromEntries(CHECKLISTS[purpose].map((i) => [i.id, answer]));

describe('the checklist is mandatory', () => {
  it('is complete when every item is ticked or has a note, for every purpose', () => {
    for (const purpose of PURPOSES) {
      expect(requireCompleteChecklist(purpose, all(purpose), { nynorskMissing: false })).toEqual(all(purpose));
      expect(requireCompleteChecklist(purpose, all(purpose, 'vurdert'), { nynorskMissing: true })).toBeDefined();
    }
  });

  it('refuses a missing checklist, a missing item, a "no" and an empty note with CHECKLIST_INCOMPLETE naming the items', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PURPOSES), fc.integer({ min: 0, max: 6 }), fc.constantFrom<'drop' | false | '' | '   '>('drop', false, '', '   '), (purpose, k, bad) => {
        const items = CHECKLISTS[purpose];
        const id = items[k % items.length]!.id;
        const answers: Record<string, boolean | string> = all(purpose);
        if (bad === 'drop') delete answers[id];
        else answers[id] = bad;
        expect(() => requireCompleteChecklist(purpose, answers, { nynorskMissing: false })).toThrow(expect.objectContaining({ code: 'CHECKLIST_INCOMPLETE', status: 409, details: { items: [id] } }));
      }),
    );
    expect(() => requireCompleteChecklist('research', undefined, { nynorskMissing: false })).toThrow(expect.objectContaining({ code: 'CHECKLIST_INCOMPLETE' }));
  });

  it('needs a reason, not a tick, on the language item when a letter lacks nynorsk', () => {
    expect(() => requireCompleteChecklist('research', all('research'), { nynorskMissing: true })).toThrow(
      expect.objectContaining({ code: 'CHECKLIST_INCOMPLETE', details: { items: [LANGUAGE_ITEM_ID] } }),
    );
    const withReason = { ...all('research'), [LANGUAGE_ITEM_ID]: 'Utvalget er lite og bokmålsspråklig' };
    expect(requireCompleteChecklist('research', withReason, { nynorskMissing: true })).toEqual(withReason);
  });

  it('refuses items the purpose does not have with 400', () => {
    expect(() => requireCompleteChecklist('research', { ...all('research'), 'looks-nice': true }, { nynorskMissing: false })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', status: 400 }),
    );
  });
});

describe('allowed link domains are registrable domains, judged by the public suffix list', () => {
  it('accepts registrable domains and hosts under them', () => {
    for (const d of ['uio.no', 'example.org', 'example.co.uk', 'skjema.uio.no', 'helse-bergen.no', 'nettskjema.no', 'kari.github.io', 'UiO.No.']) {
      expect(linkDomainProblem(d), d).toBeUndefined();
    }
    expect(requireRegistrableDomains(['UiO.no', 'uio.no.', 'example.org'])).toEqual(['uio.no', 'example.org']);
  });

  it('refuses public suffixes, single labels, unknown suffixes and addresses with 400', () => {
    for (const d of ['com', 'no', 'co.uk', 'github.io', 'oslo.no', 'gov.uk', 'localhost', 'intranett', 'example.internal', '127.0.0.1', '10.0.0.1']) {
      expect(linkDomainProblem(d), d).toBeDefined();
    }
    expect(() => requireRegistrableDomains(['uio.no', 'com'])).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', status: 400, details: [{ field: 'allowedLinkDomains.1', message: expect.any(String) }] }),
    );
  });

  it('lets the local runtime name its development hosts, and nothing else', () => {
    const dev = (h: string) => h === '127.0.0.1' || h === 'localhost';
    expect(requireRegistrableDomains(['127.0.0.1', 'localhost', 'uio.no'], dev)).toEqual(['127.0.0.1', 'localhost', 'uio.no']);
    expect(() => requireRegistrableDomains(['10.0.0.1'], dev)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
