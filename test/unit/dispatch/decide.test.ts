import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { citizenFacts as factsWith, type CitizenFacts } from '../../../functions/domain/citizens/registries.js';
import { decodeOutcome, deltaOf, encodeOutcome, withFencedPlans } from '../../../functions/domain/dispatch/batch.js';
import { type RecipientOutcome } from '../../../functions/domain/rounds/round.js';
import { decide, type RecipientFacts, type SendPolicy } from '../../../functions/domain/dispatch/decide.js';
import { chooseChannel } from '../../../functions/domain/rounds/channel-rule.js';
import { batchRange, layoutOf, successorOf, restartPoints } from '../../../functions/domain/dispatch/layout.js';
import { DISTRIBUTION_RULES } from '../../../functions/domain/projects/project.js';
import { SKIP_REASONS } from '../../../functions/domain/rounds/round.js';

const now = new Date('2026-11-23T12:00:00Z');
export const citizenFacts = fc.record({
  known: fc.boolean(),
  deceased: fc.boolean(),
  reservedResearch: fc.boolean(),
  withdrawn: fc.boolean(),
  digitallyActive: fc.boolean(),
  digitalMailbox: fc.boolean(),
  reservedAgainstDigital: fc.boolean(),
  postalAddress: fc.option(fc.constant({ lines: ['Gata 1'], postalCode: '0150', city: 'Oslo' }), { nil: undefined }),
  addressProtected: fc.boolean(),
  language: fc.constantFrom('nb', 'nn', 'en'),
  guardians: fc.constant([]),
  guardianAccessReserved: fc.constant(false),
  underGuardianship: fc.constant(false),
}) as fc.Arbitrary<CitizenFacts>;

const facts = fc.record({
  valid: fc.boolean(),
  facts: fc.option(citizenFacts, { nil: undefined }),
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
  age: fc.option(fc.integer({ min: 0, max: 110 }), { nil: undefined }),
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
  it('never chooses a channel for a reserved, withdrawn, unknown, dead or invalid citizen, whatever the rule or channel facts', () => {
    fc.assert(
      fc.property(facts, policy, (r, p) => {
        const d = decide(r, p);
        const f = r.facts;
        if (!r.valid) expect(d).toEqual({ send: false, reason: 'invalid' });
        else if (f?.reservedResearch) expect(d).toEqual({ send: false, reason: 'reserved' });
        else if (f?.withdrawn) expect(d).toEqual({ send: false, reason: 'withdrawn' });
        else if (!f || !f.known || f.deceased) expect(d.send).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('chooses a channel the facts allow: no digital channel for a KRR digital reservation, no paper to a protected address, the portal at 16, the mailbox at 18', () => {
    fc.assert(
      fc.property(facts, policy, (r, p) => {
        const d = decide(r, p);
        if (!d.send) return;
        const f = r.facts!;
        if (d.channel === 'helsenorge') {
          expect(f.digitallyActive && !f.reservedAgainstDigital).toBe(true);
          if (r.age !== undefined) expect(r.age).toBeGreaterThanOrEqual(16);
        }
        if (d.channel === 'digital-mailbox') {
          expect(f.digitalMailbox && !f.reservedAgainstDigital).toBe(true);
          if (r.age !== undefined) expect(r.age).toBeGreaterThanOrEqual(18);
        }
        if (d.channel === 'paper') expect(f.postalAddress !== undefined && !f.addressProtected).toBe(true);
        if (p.distributionRule === 'helsenorge-only') expect(d.channel).toBe('helsenorge');
      }),
      { numRuns: 1000 },
    );
  });

  it('never sends identical content twice (real contacts), and test sends ignore history but not the reservation', () => {
    fc.assert(
      fc.property(facts, policy, (r, p) => {
        const d = decide(r, p);
        const gotIt = r.contacts.some((c) => !c.test && c.contentHash === p.contentHash);
        if (d.send && !p.test) expect(gotIt).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('says why a citizen with no possible channel gets nothing: address_protected or no_channel', () => {
    const base = factsWith({ postalAddress: { lines: ['Gata 1'], postalCode: '0150', city: 'Oslo' } });
    expect(chooseChannel('helsenorge-then-paper', base)).toEqual({ channel: 'paper' });
    expect(chooseChannel('helsenorge-then-paper', { ...base, addressProtected: true })).toEqual({ skip: 'address_protected' });
    expect(chooseChannel('helsenorge-only', base)).toEqual({ skip: 'no_channel' });
    expect(chooseChannel('helsenorge-then-paper', { ...base, digitallyActive: true, reservedAgainstDigital: true })).toEqual({ channel: 'paper' });
    expect(chooseChannel('digital-mailbox-then-paper', { ...base, digitalMailbox: true }, 17)).toEqual({ channel: 'paper' });
    expect(chooseChannel('digital-mailbox-then-paper', { ...base, digitalMailbox: true }, 18)).toEqual({ channel: 'digital-mailbox' });
    expect(chooseChannel('helsenorge-then-paper', { ...base, digitallyActive: true, postalAddress: undefined }, 15)).toEqual({ skip: 'no_channel' });
    const rule = { contentHash: 'h', frequencyCap: 3, distributionRule: 'helsenorge-then-paper' as const, onlyNonResponders: false, now };
    expect(decide({ valid: true, facts: { ...base, known: false }, contacts: [] }, rule)).toEqual({ send: false, reason: 'not_found' });
    expect(decide({ valid: true, facts: undefined, contacts: [] }, rule)).toEqual({ send: false, reason: 'not_found' });
    expect(decide({ valid: true, facts: base, contacts: [], awaitingAnswer: false }, { ...rule, onlyNonResponders: true })).toEqual({ send: false, reason: 'not_awaiting_answer' });
  });
});

describe('the layout of a released round', () => {
  it('covers every recipient exactly once, canary first, no batch larger than the batch size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: 3500 }), (count, size, canary) => {
        const layout = layoutOf(count, size, canary);
        let next = 0;
        for (let b = 0; b < layout.totalBatches; b++) {
          const r = batchRange(layout, b);
          expect(r.start).toBe(next);
          expect(r.end - r.start).toBeGreaterThan(0);
          expect(r.end - r.start).toBeLessThanOrEqual(size);
          expect(r.canary).toBe(r.end <= Math.min(count, canary));
          next = r.end;
        }
        expect(next).toBe(count);
        expect(() => batchRange(layout, layout.totalBatches)).toThrow(RangeError);
      }),
    );
  });

  it('restarts chains so that every unfinished batch is reached, whatever the chain flags say', () => {
    // Any state, the ones a crash between handing on and committing leaves included (a batch not
    // chained behind one that is).
    const state = fc
      .integer({ min: 1, max: 12 })
      .chain((window) => fc.tuple(fc.constant(window), fc.array(fc.record({ done: fc.boolean(), chained: fc.boolean() }), { minLength: 1, maxLength: 200 })));
    fc.assert(
      fc.property(state, ([window, flags]) => {
        const batches = flags.map((f, batchNo) => ({ batchNo, ...f }));
        const points = restartPoints(batches, window);
        // What the messages reach: a batch run while not chained hands on to batch + window.
        const reached = new Set<number>();
        const run = (b: number) => {
          if (b >= batches.length || reached.has(b)) return;
          reached.add(b);
          if (!batches[b]!.chained) run(b + window);
        };
        points.forEach(run);
        for (const b of batches) if (!b.done) expect(reached.has(b.batchNo), `batch ${b.batchNo} unreached`).toBe(true);
        // Only batches with something left, or a hand-on still owed, get a message.
        for (const p of points) expect(!batches[p]!.done || !batches[p]!.chained).toBe(true);
      }),
    );
  });

  it('a round paused before any batch ran restarts with its first window', () => {
    const fresh = Array.from({ length: 10 }, (_, batchNo) => ({ batchNo, done: false, chained: false }));
    expect(restartPoints(fresh, 3)).toEqual([0, 1, 2]);
  });

  it('after a pause dropped the messages: the retries of a chained batch and the batch it handed on to both restart', () => {
    // Window 2: batch 0 handed on to 2 (whose message a pause dropped) and waits for a retry.
    const batches = [
      { batchNo: 0, done: false, chained: true },
      { batchNo: 1, done: false, chained: false },
      { batchNo: 2, done: false, chained: false },
    ];
    expect(restartPoints(batches, 2)).toEqual([0, 1, 2]);
    expect(
      restartPoints(
        batches.map((b) => ({ ...b, done: true, chained: true })),
        2,
      ),
    ).toEqual([]);
    // A worker died after batch 1 handed on to 3 but before its commit; 3 then handed on to 5, whose
    // message a pause dropped: batch 1 and batch 5 both need a message.
    const crashed = [
      { batchNo: 1, done: false, chained: false },
      { batchNo: 3, done: true, chained: true },
      { batchNo: 5, done: false, chained: false },
    ];
    expect(restartPoints(crashed, 2)).toEqual([1, 5]);
  });

  it('stops a canary chain at the canary until it is confirmed', () => {
    const canary = layoutOf(1000, 100, 150);
    expect(canary.canaryBatches).toBe(2);
    expect(successorOf(0, canary, false, 1)).toBe(1);
    expect(successorOf(1, canary, false, 1)).toBeUndefined();
    expect(successorOf(1, canary, true, 1)).toBe(2);
    const plain = layoutOf(1000, 100);
    expect(successorOf(9, plain, false, 1)).toBeUndefined();
    expect(successorOf(3, plain, false, 4)).toBe(7);
    expect(successorOf(6, plain, false, 4)).toBeUndefined();
  });
});

describe('batch outcomes', () => {
  const outcome: fc.Arbitrary<RecipientOutcome> = fc.oneof(
    fc.record({ kind: fc.constant('pending' as const), tries: fc.nat(9) }),
    // A child after a Digipost call about their guardians was cut off: the guardians sealed (base64url parts joined by `.`).
    fc.record({
      kind: fc.constant('pending' as const),
      tries: fc.integer({ min: 1, max: 9 }),
      tried: fc.array(fc.stringMatching(/^[A-Za-z0-9_-]{1,16}\.[A-Za-z0-9_-]{1,16}\.[A-Za-z0-9_-]{1,22}$/), { minLength: 1, maxLength: 3 }),
    }),
    fc.record({ kind: fc.constant('sent' as const), channel: fc.constantFrom('helsenorge' as const, 'digital-mailbox' as const, 'paper' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('skipped' as const), reason: fc.constantFrom(...SKIP_REASONS), at: fc.nat() }),
    fc.record({ kind: fc.constant('failed' as const), reason: fc.constantFrom('channel_timeout', 'channel_rejected'), at: fc.nat() }),
    fc.record({ kind: fc.constant('cancelled' as const), at: fc.nat() }),
  );

  it('survive their compact encoding', () => {
    fc.assert(
      fc.property(outcome, (o) => {
        expect(decodeOutcome(encodeOutcome(o))).toEqual(o);
      }),
    );
  });

  it('move the counters by exactly what changed, so the nine counts keep adding up', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(outcome, outcome), { minLength: 1, maxLength: 50 }), (pairs) => {
        const before = pairs.map(([a]) => a);
        const after = pairs.map(([, b]) => b);
        const d = deltaOf(before, after);
        const terminal = (xs: RecipientOutcome[]) => xs.filter((x) => x.kind !== 'pending').length;
        const moved = Object.values(d.counters).reduce((s, n) => s + (n ?? 0), 0);
        expect(moved).toBe(terminal(after) - terminal(before));
      }),
    );
  });
});

describe('the plans a claim takes as possibly handed over (georedundant stages)', () => {
  const letter = (i: number, channel: 'helsenorge' | 'digital-mailbox' | 'paper') => ({ deliveryId: `000001-${String(i).padStart(4, '0')}`, channel });
  it('takes every fenced plan numbered above the last one its replica committed, merged by recipient, and numbers its own plans above them all', () => {
    const replica = new Map([[0, [letter(0, 'helsenorge')]]]);
    const fenced = [
      // Committed here already: not taken again.
      { seq: 2, plan: new Map([[5, [letter(5, 'paper')]]]) },
      // Planned in the lost region after its last write that replicated here.
      {
        seq: 3,
        plan: new Map([
          [0, [letter(0, 'helsenorge')]],
          [1, [letter(1, 'digital-mailbox')]],
        ]),
      },
      { seq: 4, plan: new Map([[1, [letter(1, 'digital-mailbox'), letter(1, 'paper')]]]) },
    ];
    const bound = withFencedPlans({ sending: replica, planSeq: 2 }, fenced);
    expect(bound.planSeq).toBe(4);
    expect(bound.sending).toEqual(
      new Map([
        [0, [letter(0, 'helsenorge')]],
        [1, [letter(1, 'digital-mailbox'), letter(1, 'paper')]],
      ]),
    );
    // Nothing fenced above what the replica committed: its own plan as it is, numbered from there.
    expect(withFencedPlans({ sending: replica, planSeq: 4 }, fenced)).toEqual({ sending: replica, planSeq: 4 });
    expect(withFencedPlans({}, [])).toEqual({ planSeq: 0 });
  });
});
