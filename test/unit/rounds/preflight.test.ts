import { describe, expect, it } from 'vitest';
import type { ContactRecord } from '../../../functions/domain/rounds/round.js';
import { decideRecipient, detectDuplicateRounds, tallyPreflight, versionKey, type RecipientFacts } from '../../../functions/domain/rounds/preflight.js';
import { canTransition, emptyCounts, overrideOf, ROUND_STATUSES, sourcesOf, TRANSITIONS, unreleasedCounts, withPending, type Round } from '../../../functions/domain/rounds/round.js';

const NOW = '2026-06-01T12:00:00.000Z';
const daysAgo = (d: number) => new Date(Date.parse(NOW) - d * 86_400_000).toISOString();
const contact = (over: Partial<ContactRecord>): ContactRecord => ({
  projectId: 'p',
  roundId: 'r1',
  letterId: 'L',
  version: 1,
  contentHash: 'h1',
  sentAt: daysAgo(10),
  ...over,
});
const person = (over: Partial<RecipientFacts> = {}): RecipientFacts => ({
  valid: true,
  reserved: false,
  withdrawn: false,
  population: { deceased: false, known: true },
  contacts: [],
  ...over,
});
const rules = { contentHash: 'h2', frequencyCap: 3, onlyNonResponders: false, now: NOW };

describe('decideRecipient', () => {
  it('sends to an eligible citizen', () => {
    expect(decideRecipient(person(), rules)).toEqual({ outcome: 'send' });
  });

  it('skips in a fixed order: invalid, reserved, withdrawn, deceased, not found, duplicate, reminder, cap', () => {
    const all = person({
      valid: false,
      reserved: true,
      withdrawn: true,
      population: { deceased: true, known: false },
      contacts: [contact({ contentHash: 'h2' })],
    });
    expect(decideRecipient(all, rules)).toEqual({ outcome: 'skip', reason: 'invalid' });
    expect(decideRecipient({ ...all, valid: true }, rules)).toEqual({ outcome: 'skip', reason: 'reserved' });
    expect(decideRecipient({ ...all, valid: true, reserved: false }, rules)).toMatchObject({ reason: 'withdrawn' });
    expect(decideRecipient({ ...all, valid: true, reserved: false, withdrawn: false }, rules)).toMatchObject({ reason: 'deceased' });
    const alive = { ...all, valid: true, reserved: false, withdrawn: false, population: { ...all.population, deceased: false } };
    expect(decideRecipient(alive, rules)).toMatchObject({ reason: 'not_found' });
    expect(decideRecipient({ ...alive, population: { ...alive.population, known: true } }, rules)).toMatchObject({ reason: 'duplicate' });
  });

  it('never counts test sends as contacts', () => {
    expect(decideRecipient(person({ contacts: [contact({ contentHash: 'h2', test: true })] }), rules)).toEqual({ outcome: 'send' });
  });

  it('applies the frequency cap over the last 30 days only', () => {
    const three = [contact({ sentAt: daysAgo(1) }), contact({ sentAt: daysAgo(5), contentHash: 'x' }), contact({ sentAt: daysAgo(29), contentHash: 'y' })];
    expect(decideRecipient(person({ contacts: three }), rules)).toMatchObject({ reason: 'frequency_cap' });
    expect(decideRecipient(person({ contacts: three.slice(0, 2) }), rules)).toEqual({ outcome: 'send' });
    const old = [...three.slice(0, 2), contact({ sentAt: daysAgo(31), contentHash: 'z' })];
    expect(decideRecipient(person({ contacts: old }), rules)).toEqual({ outcome: 'send' });
    expect(decideRecipient(person({ contacts: three.slice(0, 1) }), { ...rules, frequencyCap: 1 })).toMatchObject({ reason: 'frequency_cap' });
  });

  it('targets only citizens awaiting an answer in a reminder round', () => {
    const reminder = { ...rules, onlyNonResponders: true };
    expect(decideRecipient(person({ awaitingAnswer: true }), reminder)).toEqual({ outcome: 'send' });
    expect(decideRecipient(person({ awaitingAnswer: false }), reminder)).toMatchObject({ reason: 'not_awaiting_answer' });
    expect(decideRecipient(person(), reminder)).toMatchObject({ reason: 'not_awaiting_answer' });
  });
});

describe('tallyPreflight', () => {
  it('counts every recipient exactly once', () => {
    const p = tallyPreflight([
      { outcome: 'send' },
      { outcome: 'skip', reason: 'reserved' },
      { outcome: 'skip', reason: 'duplicate' },
      { outcome: 'skip', reason: 'frequency_cap' },
      { outcome: 'send' },
    ]);
    expect(p).toMatchObject({ total: 5, eligible: 2, reserved: 1, alreadySent: 1, frequencyCapped: 1, withdrawn: 0 });
    const { total, ...rest } = p;
    expect(Object.values(rest).reduce((a, b) => a + b, 0)).toBe(total);
  });
});

describe('detectDuplicateRounds', () => {
  const v1 = { nb: { subject: 'Invitasjon til søvnstudien', body: 'Du er invitert til å delta i en studie om søvn. Svar innen 1. mars på https://x.example.no.' } };
  const v2 = { nb: { subject: 'Invitasjon til søvnstudien', body: 'Du er invitert til å delta i en studie om søvn. Svar innen 8. mars på https://x.example.no.' } };
  const other = { nb: { subject: 'Resultater', body: 'Her er resultatene fra studien, takk for at du deltok. Rapporten ligger på nettsiden.' } };
  const current = { letterId: 'L', version: 2, contentHash: 'h2', content: v2 };
  const send = { outcome: 'send' as const };
  const earlier = new Map([
    [versionKey('L', 1), v1],
    [versionKey('M', 1), v2],
    [versionKey('N', 1), other],
  ]);
  const opts = { now: NOW, onlyNonResponders: false };

  it('holds a changed version of the same letter to people who got the earlier one', () => {
    const recipients = [
      { contacts: [contact({ roundId: 'r1' })], decision: send },
      { contacts: [contact({ roundId: 'r1' })], decision: { outcome: 'skip' as const, reason: 'reserved' as const } },
      { contacts: [], decision: send },
    ];
    const findings = detectDuplicateRounds(recipients, current, earlier, opts);
    expect(findings).toEqual([expect.objectContaining({ code: 'DUPLICATE_ROUND', previousRoundId: 'r1', overlap: 2, reason: 'changed_version', previousVersion: 1 })]);
    expect(findings[0]!.similarity).toBeGreaterThan(0.85);
  });

  it('holds a near-identical text of another letter, not an unrelated one', () => {
    const recipients = [{ contacts: [contact({ roundId: 'rM', letterId: 'M', contentHash: 'hm' }), contact({ roundId: 'rN', letterId: 'N', contentHash: 'hn' })], decision: send }];
    expect(detectDuplicateRounds(recipients, current, earlier, opts)).toEqual([expect.objectContaining({ previousRoundId: 'rM', overlap: 1, similarity: 1, reason: 'near_identical' })]);
  });

  it('never holds for identical content, test sends, contacts older than 90 days, or reminders', () => {
    const same = [{ contacts: [contact({ contentHash: 'h2', version: 2 })], decision: { outcome: 'skip' as const, reason: 'duplicate' as const } }];
    expect(detectDuplicateRounds(same, current, earlier, opts)).toEqual([]);
    expect(detectDuplicateRounds([{ contacts: [contact({ test: true })], decision: send }], current, earlier, opts)).toEqual([]);
    expect(detectDuplicateRounds([{ contacts: [contact({ sentAt: daysAgo(91) })], decision: send }], current, earlier, opts)).toEqual([]);
    expect(detectDuplicateRounds([{ contacts: [contact({})], decision: send }], current, earlier, { ...opts, onlyNonResponders: true })).toEqual([]);
  });
});

describe('round transitions', () => {
  const round = (over: Partial<Record<string, unknown>> = {}): Round =>
    ({
      projectId: 'p',
      roundId: 'r',
      status: 'held',
      preflight: { total: 10 },
      createdBy: 'alice',
      findings: [],
      ...over,
    }) as unknown as Round;

  it('counts always add up to planned, pending derived', () => {
    expect(withPending({ ...emptyCounts(10), sent: 3, skippedOther: 2, failed: 1 })).toMatchObject({ pending: 4 });
  });

  it('override needs a held round and someone other than its creator', () => {
    expect(() => overrideOf(round(), 'alice', 'reason enough', NOW)).toThrowError(expect.objectContaining({ code: 'FOUR_EYES', status: 403 }));
    expect(() => overrideOf(round({ status: 'ready' }), 'bob', 'reason enough', NOW)).toThrowError(expect.objectContaining({ code: 'ROUND_NOT_HELD' }));
    expect(overrideOf(round(), 'bob', 'reason enough', NOW)).toMatchObject({ by: 'bob', reason: 'reason enough' });
  });

  it('a round cancelled before release counts every recipient cancelled', () => {
    expect(unreleasedCounts(round({ status: 'cancelled' }))).toMatchObject({ planned: 10, cancelled: 10, pending: 0 });
    expect(unreleasedCounts(round({ status: 'ready' }))).toMatchObject({ planned: 10, pending: 10 });
  });

  it('has one table of transitions: nothing leaves cancelled, completed only reopens for a redrive, nothing skips release', () => {
    expect(TRANSITIONS.cancelled).toEqual([]);
    expect(TRANSITIONS.completed).toEqual(['dispatching']);
    for (const s of ROUND_STATUSES) {
      if (s !== 'ready' && s !== 'scheduled' && s !== 'completed' && s !== 'canary_hold') expect(canTransition(s, 'dispatching')).toBe(false);
    }
    expect(sourcesOf('completed')).toEqual(['dispatching']);
    expect(canTransition('held', 'dispatching')).toBe(false);
  });
});
