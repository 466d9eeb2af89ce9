import { describe, expect, it } from 'vitest';
import { citizenFacts } from '../../../functions/domain/citizens/registries.js';
import type { LetterVersion } from '../../../functions/domain/letters/letter.js';
import type { Project } from '../../../functions/domain/projects/project.js';
import { researchChannelAllowed } from '../../../functions/domain/rounds/channel-rule.js';
import { previewRound, type PreviewDeps } from '../../../functions/domain/rounds/preview.js';
import { tallyReach } from '../../../functions/domain/rounds/reach.js';
import type { Round } from '../../../functions/domain/rounds/round.js';
import { ninBornOn } from '../../fixtures/people.js';

const address = { lines: ['Storgata 1'], postalCode: '0155', city: 'Oslo' };
const portal = citizenFacts({ digitallyActive: true, postalAddress: address });
const mailbox = citizenFacts({ digitalMailbox: true, postalAddress: address });
const paperOnly = citizenFacts({ postalAddress: address });
const content = { nb: { subject: 'Hei', body: 'Hei' } };
const send = { outcome: 'send' } as const;

describe('the general research reservation on every channel (issue 21, finding 6)', () => {
  it('test_should_allow_paper_and_digital_mailbox_for_research_only_where_the_reservation_is_read', () => {
    const blind = { purpose: 'research', readable: false } as const;
    expect(researchChannelAllowed('helsenorge', blind)).toBe(true);
    expect(researchChannelAllowed('paper', blind)).toBe(false);
    expect(researchChannelAllowed('digital-mailbox', blind)).toBe(false);
    for (const c of ['helsenorge', 'paper', 'digital-mailbox'] as const) {
      expect(researchChannelAllowed(c, { purpose: 'research', readable: true })).toBe(true);
      // The research reservation does not bind other purposes.
      expect(researchChannelAllowed(c, { purpose: 'health-survey', readable: false })).toBe(true);
    }
  });

  it('test_should_not_count_paper_or_mailbox_in_the_reach_of_a_research_round_where_the_reservation_cannot_be_read', () => {
    const items = [
      { decision: send, facts: portal, language: 'nb' as const },
      { decision: send, facts: paperOnly, language: 'nb' as const },
      { decision: send, facts: mailbox, language: 'nb' as const },
    ];
    const blind = tallyReach(items, 'digital-mailbox-then-paper', content, { purpose: 'research', readable: false });
    expect(blind.byChannel).toEqual({ helsenorge: 0, 'digital-mailbox': 0, paper: 0, viaGuardians: 0, noChannel: 3 });
    const read = tallyReach(items, 'digital-mailbox-then-paper', content, { purpose: 'research', readable: true });
    expect(read.byChannel).toEqual({ helsenorge: 0, 'digital-mailbox': 1, paper: 2, viaGuardians: 0, noChannel: 0 });
  });

  it('test_should_show_no_channel_in_the_preview_where_a_research_letter_would_go_by_paper_without_the_reservation_read', async () => {
    const nin = ninBornOn('1980-05-17');
    const project = {
      projectId: 'prj',
      title: 'Studien',
      organization: 'uio',
      organizationName: 'Universitetet i Oslo',
      purpose: 'research',
      status: 'approved',
      settings: { frequencyCap: 3, distributionRule: 'helsenorge-then-paper' },
    } as unknown as Project;
    const version = {
      projectId: 'prj',
      letterId: 'ltr',
      version: 1,
      kind: 'letter',
      content,
      fields: [],
      contentHash: 'h',
    } as unknown as LetterVersion;
    const preview = (readable: boolean) => {
      const deps: PreviewDeps = {
        projects: { getProject: async () => project, isMember: async () => true } as unknown as PreviewDeps['projects'],
        rounds: { getRound: async () => ({ projectId: 'prj', roundId: 'rnd', letterId: 'ltr', letterVersion: 1, listId: 'lst' }) as unknown as Round },
        letters: { getVersion: async () => version },
        lists: { slice: async () => [{ nin, fields: {} }] },
        citizenFacts: { factsOf: async () => new Map([[nin, paperOnly]]), researchReservationReadable: () => readable },
      };
      return previewRound(deps, { sub: 'ops', role: 'operations', name: 'Ops' } as never, 'prj', 'rnd', 1);
    };
    expect((await preview(true)).items[0]!.channel).toBe('paper');
    expect((await preview(false)).items[0]!.channel).toBeUndefined();
  });
});
