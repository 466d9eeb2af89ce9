import { describe, expect, it } from 'vitest';
import { citizenFacts } from '../../../functions/domain/citizens/registries.js';
import { tallyReach } from '../../../functions/domain/rounds/reach.js';

const send = { outcome: 'send' } as const;
const skip = { outcome: 'skip', reason: 'reserved' } as const;
const address = { lines: ['Storgata 1'], postalCode: '0155', city: 'Oslo' };
const portal = citizenFacts({ digitallyActive: true, postalAddress: address });
const mailbox = citizenFacts({ digitalMailbox: true, postalAddress: address });
const paperOnly = citizenFacts({ postalAddress: address });
const nowhere = citizenFacts({ addressProtected: true });
const readable = { purpose: 'research', readable: true } as const;
const both = { nb: { subject: 'Hei', body: 'Hei' }, nn: { subject: 'Hei', body: 'Hei' } };

describe('reach: who the round reaches, by channel and language', () => {
  it('counts only recipients who get the letter, by the channel the project rule picks and the language they read', () => {
    const reach = tallyReach(
      [
        { decision: send, facts: portal, language: 'nb' },
        { decision: send, facts: paperOnly, language: 'nn' },
        { decision: send, facts: mailbox, language: 'nb' },
        { decision: send, facts: nowhere, language: 'nb' },
        { decision: skip, facts: portal, language: 'nb' },
      ],
      'helsenorge-then-paper',
      both,
      readable,
    );
    // The mailbox holder without the portal gets paper under helsenorge-then-paper; the protected address gets nothing.
    expect(reach.byChannel).toEqual({ helsenorge: 1, 'digital-mailbox': 0, paper: 2, viaGuardians: 0, noChannel: 1 });
    // Language is the one they will read: only those a channel reaches.
    expect(reach.byLanguage).toEqual({ nb: 2, nn: 1, en: 0 });
  });

  it('follows the project rule, and a reader of a missing language is counted in the language they get instead', () => {
    const reach = tallyReach([{ decision: send, facts: mailbox, language: 'en' }], 'digital-mailbox-then-paper', both, readable);
    expect(reach.byChannel['digital-mailbox']).toBe(1);
    expect(reach.byLanguage).toEqual({ nb: 1, nn: 0, en: 0 });
  });

  it('a recipient without facts read is counted as without a channel, never guessed', () => {
    expect(tallyReach([{ decision: send, language: 'nb' }], 'helsenorge-then-paper', both, readable).byChannel.noChannel).toBe(1);
  });
});
