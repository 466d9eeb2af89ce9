import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseChannel, decide, type RecipientFacts, type SendPolicy } from '../../../functions/domain/dispatch/decide.js';
import { batchesOf } from '../../../functions/domain/dispatch/plan-round.js';
import { DISTRIBUTION_RULES } from '../../../functions/domain/projects/project.js';

const now = new Date('2026-11-23T12:00:00Z');
const facts = fc.record({
  reserved: fc.boolean(),
  withdrawn: fc.boolean(),
  population: fc.record({ deceased: fc.boolean(), digitallyActive: fc.boolean(), language: fc.constantFrom('nb', 'nn', 'en'), known: fc.boolean() }),
  contacts: fc.array(
    fc.record({
      projectId: fc.constant('p'),
      roundId: fc.string(),
      letterId: fc.string(),
      version: fc.nat(),
      contentHash: fc.constantFrom('h1', 'h2', 'h3'),
      sentAt: fc.date({ min: new Date('2026-01-01'), max: now, noInvalidDate: true }).map((d) => d.toISOString()),
      test: fc.boolean(),
    }),
    { maxLength: 6 },
  ),
  awaitingAnswer: fc.option(fc.boolean(), { nil: undefined }),
}) as fc.Arbitrary<RecipientFacts>;
const policy = fc.record({
  contentHash: fc.constantFrom('h1', 'h2', 'h4'),
  frequencyCap: fc.integer({ min: 1, max: 5 }),
  distributionRule: fc.constantFrom(...DISTRIBUTION_RULES),
  onlyNonResponders: fc.boolean(),
  now: fc.constant(now),
  test: fc.boolean(),
}) as fc.Arbitrary<SendPolicy>;

describe('the send-time decision', () => {
  it('never chooses a channel for a reserved or withdrawn citizen, whatever the rule or channel facts', () => {
    fc.assert(
      fc.property(facts, policy, (f, p) => {
        const d = decide(f, p);
        if (f.reserved) expect(d).toEqual({ send: false, reason: 'reserved' });
        else if (f.withdrawn) expect(d).toEqual({ send: false, reason: 'withdrawn' });
      }),
      { numRuns: 500 },
    );
  });

  it('never sends identical content twice (real contacts), and test sends ignore history but not the reservation', () => {
    fc.assert(
      fc.property(facts, policy, (f, p) => {
        const d = decide(f, p);
        const gotIt = f.contacts.some((c) => !c.test && c.contentHash === p.contentHash);
        if (d.send && !p.test) expect(gotIt).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('falls back to paper for citizens who are not digitally active, unless the rule is helsenorge-only', () => {
    const offline = { deceased: false, digitallyActive: false, language: 'nb' as const, known: true };
    expect(chooseChannel('helsenorge-then-paper', offline)).toBe('paper');
    expect(chooseChannel('digital-mailbox-then-paper', offline)).toBe('paper');
    expect(chooseChannel('helsenorge-only', offline)).toBeUndefined();
    expect(chooseChannel('helsenorge-then-paper', { ...offline, digitallyActive: true })).toBe('helsenorge');
    const base = { reserved: false, withdrawn: false, population: offline, contacts: [] };
    const rule = { contentHash: 'h', frequencyCap: 3, onlyNonResponders: false, now };
    expect(decide(base, { ...rule, distributionRule: 'helsenorge-only' })).toEqual({ send: false, reason: 'no_channel' });
    expect(decide({ ...base, reserved: true }, { ...rule, distributionRule: 'helsenorge-then-paper' })).toEqual({ send: false, reason: 'reserved' });
  });

  it('skips citizens the registry does not know, and reminders to those not awaiting an answer', () => {
    const population = { deceased: false, digitallyActive: true, language: 'nb' as const, known: false };
    const rule = { contentHash: 'h', frequencyCap: 3, distributionRule: 'helsenorge-then-paper' as const, onlyNonResponders: false, now };
    expect(decide({ reserved: false, withdrawn: false, population, contacts: [] }, rule)).toEqual({ send: false, reason: 'not_found' });
    const known = { ...population, known: true };
    expect(decide({ reserved: false, withdrawn: false, population: known, contacts: [], awaitingAnswer: false }, { ...rule, onlyNonResponders: true })).toEqual({
      send: false,
      reason: 'not_awaiting_answer',
    });
  });
});

describe('batches of a round', () => {
  it('cover every recipient exactly once, canary first, none larger than the batch size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 1, max: 99 }), fc.integer({ min: 0, max: 2500 }), (count, size, canary) => {
        const batches = batchesOf(count, size, canary);
        let next = 0;
        for (const b of batches) {
          expect(b.start).toBe(next);
          expect(b.end - b.start).toBeGreaterThan(0);
          expect(b.end - b.start).toBeLessThanOrEqual(size);
          expect(b.canary).toBe(b.end <= Math.min(count, canary));
          next = b.end;
        }
        expect(next).toBe(count);
      }),
    );
  });
});

describe('the per-round window of queue messages', () => {
  it('restarts chains that together reach every unfinished batch, at most `window` of them', async () => {
    const { windowStarts } = await import('../../../functions/domain/dispatch/plan-round.js');
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(300)), fc.integer({ min: 1, max: 12 }), (unfinished, window) => {
        const starts = windowStarts(unfinished, window);
        expect(starts.length).toBeLessThanOrEqual(window);
        const reached = new Set<number>();
        for (const s of starts) for (let b = s; b <= 300; b += window) reached.add(b);
        for (const b of unfinished) expect(reached.has(b)).toBe(true);
      }),
    );
  });

  it('stops a canary chain at the canary until it is confirmed', async () => {
    const { successorOf } = await import('../../../functions/domain/dispatch/plan-round.js');
    expect(successorOf(0, { totalBatches: 10, canaryBatches: 2 }, 1)).toBe(1);
    expect(successorOf(1, { totalBatches: 10, canaryBatches: 2 }, 1)).toBeUndefined();
    expect(successorOf(1, { totalBatches: 10, canaryBatches: 2, canaryConfirmed: true }, 1)).toBe(2);
    expect(successorOf(9, { totalBatches: 10 }, 1)).toBeUndefined();
    expect(successorOf(3, { totalBatches: 10 }, 4)).toBe(7);
    // The planner records canaryBatches 0 for a round without a canary: its chains run to the end.
    expect(successorOf(3, { totalBatches: 10, canaryBatches: 0 }, 4)).toBe(7);
    expect(successorOf(6, { totalBatches: 10, canaryBatches: 0 }, 4)).toBeUndefined();
  });
});
