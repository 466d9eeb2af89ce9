import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { processBatch } from '../../../functions/domain/dispatch/engine.js';
import { awaitQuiet } from '../../../functions/domain/dispatch/operations.js';
import type { ChannelResult } from '../../../functions/domain/dispatch/channels.js';
import type { EngineDeps } from '../../../functions/domain/dispatch/ports.js';
import type { ReleasedRound } from '../../../functions/domain/rounds/round.js';
import { Crash, work, World } from '../../fixtures/engine-world.js';
import { ninBornOn } from '../../fixtures/people.js';

/** A port method that dies (the worker crashes) the first time it is called, then works. */
const once = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, why: string): ((...args: A) => Promise<R>) => {
  let died = false;
  return async (...args: A) => {
    if (!died) {
      died = true;
      throw new Crash(why);
    }
    return fn(...args);
  };
};

/**
 * The dispatch engine on in-memory fakes of every port (test/fixtures/engine-world.ts): seconds,
 * no Java, and every interleaving of the engine's steps with pause, halt, cancel, reservations,
 * duplicated messages and worker deaths that fast-check cares to try.
 */
const drain = async (world: World, deps: EngineDeps, workers = 3, maxRounds = 2_000) => {
  for (let i = 0; i < maxRounds && world.queue.length > 0; i++) {
    const taken = world.queue.splice(0, workers);
    const results = await Promise.all(taken.map((m) => work(world, deps, m)));
    // Nothing but dead or busy workers: time passes, so that leases expire as they would.
    if (results.every((r) => r === 'crashed' || r.kind === 'busy' || r.kind === 'waiting')) world.now += 61_000;
  }
};

/** A child written to through two guardians: one on paper (Digipost: asked by message-id), one in the portal (ePROM: a recorded hand-over). */
const twoGuardiansWorld = (child: string, mother: string, father: string): World => {
  const world = new World({ recipients: 3, batchSize: 3, seed: 13 });
  world.nins[0] = child;
  world.facts.set(child, { guardians: [mother, father] });
  world.facts.set(father, { digitallyActive: false, digitalMailbox: false });
  world.project = {
    ...world.project,
    settings: { ...world.project.settings, minors: 'guardians' },
    minorsApproval: { policy: 'guardians', by: 'sara', at: 'then' },
  } as unknown as typeof world.project;
  return world;
};

/** Who the ledger holds an entry about a child for (the complaint lookup of a guardian reads it), sorted. */
const guardiansRecordedAboutChildren = (world: World): string[] =>
  [...world.ledger.values()]
    .filter((e) => e.aboutChild !== undefined)
    .map((e) => e.nin)
    .sort();

const start = (world: World) => world.control().start(world.round as ReleasedRound);

/** A released round whose first recipient is a child with two guardians (twoGuardiansWorld). */
const twoGuardiansStarted = async () => {
  const child = ninBornOn('2016-05-04');
  const mother = ninBornOn('1980-02-03');
  const father = ninBornOn('1982-06-07');
  const world = twoGuardiansWorld(child, mother, father);
  const deps = world.deps();
  await start(world);
  return { child, mother, father, world, deps };
};

/**
 * A child written to through two guardians whose letters left, the worker dead before the ledger
 * write: what a retry must recover (named by whom the letters reached, sent once).
 */
const diedAfterGuardianLetters = async () => {
  const { child, mother, father, world, deps } = await twoGuardiansStarted();
  const dying: EngineDeps = { ...deps, ledger: { ...deps.ledger, record: once(deps.ledger.record, 'died after the guardian letters') } };
  expect(await work(world, dying, world.queue.shift()!)).toBe('crashed');
  return { child, mother, father, world, deps, handedOver: world.deliveries.length };
};

/** twoGuardiansWorld with both guardians on paper: Digipost, which is asked by message-id whether a letter left. */
const twoGuardiansOnPaper = () => {
  const child = ninBornOn('2016-05-04');
  const mother = ninBornOn('1980-02-03');
  const father = ninBornOn('1982-06-07');
  const world = twoGuardiansWorld(child, mother, father);
  world.facts.set(mother, { digitallyActive: false, digitalMailbox: false });
  return { child, mother, father, world, deps: world.deps() };
};

/**
 * The channel calls for guardians' letters cut off (`channel_timeout`) the first `times` times:
 * `delivered`, the letters left all the same (Digipost knows them by message-id, and no hand-over
 * was recorded); otherwise they never reached the channel.
 */
const guardianCallsCutOff = (world: World, deps: EngineDeps, opts: { delivered: boolean; times: number }): EngineDeps => {
  let left = opts.times;
  return {
    ...deps,
    channels: {
      ...deps.channels,
      handOver: async (channel, items, o) => {
        const cut = left > 0 ? items.filter((i) => i.onBehalfOfMinor) : [];
        if (cut.length > 0) left--;
        const reaching = opts.delivered ? items : items.filter((i) => !cut.includes(i));
        const res: Map<string, ChannelResult> = reaching.length > 0 ? await deps.channels.handOver(channel, reaching, o) : new Map();
        for (const i of cut) {
          if (opts.delivered) world.receipts.delete(`${i.roundId}/${i.deliveryId}`);
          res.set(i.deliveryId, { ok: false, transient: true, reason: 'channel_timeout' });
        }
        return res;
      },
    },
  };
};

/** A later try found both guardians' letters: nothing more left, the child was never addressed, and each guardian is recorded. */
const expectBothGuardiansRecorded = (world: World, handedOver: number, who: { child: string; mother: string; father: string }) => {
  expect(world.deliveries).toHaveLength(handedOver);
  expect(world.deliveries.filter((d) => d.nin === who.child)).toHaveLength(0);
  expect(guardiansRecordedAboutChildren(world)).toEqual([who.mother, who.father].sort());
  expect(world.outcomes()[0]).toMatchObject({ kind: 'sent', guardians: 2 });
};

describe('the engine, one step at a time', () => {
  it('sends a round to everyone once, counts add up, and completes it', async () => {
    const world = new World({ recipients: 230, batchSize: 50, seed: 1 });
    const deps = world.deps();
    await start(world);
    await drain(world, deps);
    expect(world.round.status).toBe('completed');
    expect(world.counts()).toMatchObject({ planned: 230, sent: 230, pending: 0 });
    expect(new Set(world.deliveries.map((d) => d.nin)).size).toBe(230);
    expect(world.deliveries).toHaveLength(230);
    // Every batch was claimed exactly once: no duplicate chains.
    expect([...world.batches.values()].every((b) => b.attempts === 1)).toBe(true);
  });

  it('skips a citizen reserved at the moment of sending, before any channel is chosen', async () => {
    const world = new World({ recipients: 20, batchSize: 10, seed: 2 });
    world.reserved.add(world.nins[3]!);
    await start(world);
    await drain(world, world.deps());
    expect(world.counts()).toMatchObject({ sent: 19, skippedReserved: 1, pending: 0 });
    expect(world.deliveries.some((d) => d.nin === world.nins[3])).toBe(false);
  });

  it('parks a batch of a paused project without claiming it, and resumes from the store', async () => {
    const world = new World({ recipients: 40, batchSize: 10, seed: 3 });
    const deps = world.deps();
    world.project = { ...world.project, status: 'paused' };
    await start(world);
    await drain(world, deps);
    expect(world.deliveries).toHaveLength(0);
    expect(world.batches.size).toBe(0);
    world.project = { ...world.project, status: 'approved' };
    await world.control().continue(world.round as ReleasedRound);
    await drain(world, deps);
    expect(world.counts()).toMatchObject({ sent: 40, pending: 0 });
  });

  it('waits, without sending or deciding, while a registry cannot be read (fail closed), then goes on', async () => {
    const world = new World({ recipients: 10, batchSize: 10, seed: 4 });
    const deps = world.deps();
    world.registryDown = true;
    await start(world);
    const first = await processBatch(deps, world.queue.shift()!);
    expect(first).toMatchObject({ kind: 'waiting', registry: 'population' });
    expect(world.deliveries).toHaveLength(0);
    expect(world.counts().pending).toBe(10);
    world.registryDown = false;
    world.queue.push({ projectId: 'prj', roundId: 'rnd', batchNo: 0 });
    await drain(world, deps);
    expect(world.counts()).toMatchObject({ sent: 10, pending: 0 });
  });

  it('keeps a recipient pending after a transient channel failure and sends once on the retry', async () => {
    const world = new World({ recipients: 10, batchSize: 10, seed: 5 });
    world.channelFailures = 4;
    await start(world);
    await drain(world, world.deps());
    expect(world.counts()).toMatchObject({ sent: 10, failed: 0, pending: 0 });
    expect(world.batches.get(0)!.attempts).toBe(2);
    expect(world.deliveries).toHaveLength(10);
  });

  it('test_should_count_sent_and_not_send_again_when_a_worker_dies_after_the_hand_over_was_recorded', async () => {
    const world = new World({ recipients: 10, batchSize: 10, seed: 6 });
    const deps = world.deps();
    await start(world);
    // Die right after the channel hand-over (recorded by the channel side), before the ledger.
    const dying: EngineDeps = { ...deps, ledger: { ...deps.ledger, record: once(deps.ledger.record, 'died after the channel') } };
    expect(await work(world, dying, world.queue.shift()!)).toBe('crashed');
    expect(world.deliveries).toHaveLength(4);
    // Reservations after the crash: one whose letter had left (counted sent), one not yet decided.
    world.reserved.add(world.nins[0]!);
    world.reserved.add(world.nins[9]!);
    world.now += 61_000;
    await drain(world, dying);
    expect(world.counts()).toMatchObject({ sent: 9, skippedReserved: 1, pending: 0 });
    expect(world.deliveries).toHaveLength(9);
    expect(new Set(world.deliveries.map((d) => d.deliveryId)).size).toBe(world.deliveries.length);
  });

  it('test_should_skip_reservation_unreadable_on_paper_and_mailbox_when_the_general_reservation_cannot_be_read', async () => {
    const world = new World({ recipients: 6, batchSize: 10, seed: 21 });
    world.reservationReadable = false;
    // nins[0] uses the portal; nins[1] is not digitally active (paper); the rule sends the rest by paper too.
    world.facts.set(world.nins[1]!, { digitallyActive: false });
    world.facts.set(world.nins[2]!, { digitallyActive: false });
    const deps = world.deps();
    await start(world);
    await drain(world, deps);
    // Only the portal enforces the general reservation: paper never goes out for a research project here.
    expect(world.deliveries.every((d) => d.channel === 'helsenorge')).toBe(true);
    expect(world.counts()).toMatchObject({ planned: 6, sent: 4, skippedOther: 2, pending: 0 });
    expect(world.skipReasons()).toMatchObject({ reservation_unreadable: 2 });
    // A non-research project is not bound by the research reservation.
    const survey = new World({ recipients: 3, batchSize: 10, seed: 22 });
    survey.reservationReadable = false;
    survey.project = { ...survey.project, purpose: 'health-survey', settings: { ...survey.project.settings, distributionRule: 'digital-mailbox-then-paper' } };
    await start(survey);
    await drain(survey, survey.deps());
    expect(survey.counts()).toMatchObject({ sent: 3, pending: 0 });
  });

  it('test_should_decide_again_with_fresh_facts_when_a_bound_retry_finds_the_letters_never_left', async () => {
    const world = new World({ recipients: 10, batchSize: 10, seed: 8 });
    world.project = { ...world.project, settings: { ...world.project.settings, distributionRule: 'digital-mailbox-then-paper' } };
    const deps = world.deps();
    await start(world);
    // The plan is bound, then the worker dies before its first channel call.
    const dying: EngineDeps = { ...deps, channels: { ...deps.channels, handOver: once(deps.channels.handOver, 'died before the call') } };
    expect(await work(world, dying, world.queue.shift()!)).toBe('crashed');
    expect(world.batches.get(0)!.sending).toBeDefined();
    world.reserved.add(world.nins[0]!);
    world.now += 61_000;
    await drain(world, deps);
    // Digipost says by message-id that nothing left: the reserved citizen is decided again and skipped.
    expect(world.deliveries.some((d) => d.nin === world.nins[0])).toBe(false);
    expect(world.counts()).toMatchObject({ sent: 9, skippedReserved: 1, pending: 0 });
  });

  it('test_should_mark_in_doubt_and_never_resend_an_eprom_letter_whose_fate_is_unknown', async () => {
    const world = new World({ recipients: 10, batchSize: 10, seed: 9 });
    const deps = world.deps();
    await start(world);
    // The letters leave, then the worker dies before the hand-overs are recorded.
    const dying: EngineDeps = {
      ...deps,
      channels: {
        ...deps.channels,
        handOver: async (channel, items, opts) => {
          await deps.channels.handOver(channel, items, opts);
          for (const i of items) world.receipts.delete(`${i.roundId}/${i.deliveryId}`);
          throw new Crash('died before recording');
        },
      },
    };
    expect(await work(world, dying, world.queue.shift()!)).toBe('crashed');
    world.now += 61_000;
    await drain(world, deps);
    expect(world.deliveries).toHaveLength(10);
    expect(new Set(world.deliveries.map((d) => d.nin)).size).toBe(10);
    const outcomes = world.outcomes();
    expect(outcomes.filter((o) => o.kind === 'failed' && o.reason === 'in_doubt')).toHaveLength(4);
    expect(world.counts()).toMatchObject({ sent: 6, failed: 4, pending: 0 });
    // Redrive never sends a letter in doubt again.
    expect(await deps.batches.redrive({ projectId: 'prj', roundId: 'rnd', batchNo: 0 }, { canary: false })).toBe(0);
  });

  it('test_should_count_a_printed_letter_whose_answer_was_lost_as_paper_when_the_retry_learns_it_left', async () => {
    const world = new World({ recipients: 3, batchSize: 3, seed: 15 });
    // Nobody digital: all three go on paper through Digipost.
    for (const nin of world.nins) world.facts.set(nin, { digitallyActive: false, digitalMailbox: false });
    const deps = world.deps();
    // Digipost prints the first wave's letters but its answers are lost: transient, nothing recorded.
    let lost = true;
    const answersLost: EngineDeps = {
      ...deps,
      channels: {
        ...deps.channels,
        handOver: async (channel, items, opts) => {
          const res = await deps.channels.handOver(channel, items, opts);
          if (!lost) return res;
          lost = false;
          for (const i of items) {
            world.receipts.delete(`${i.roundId}/${i.deliveryId}`);
            res.set(i.deliveryId, { ok: false, transient: true, reason: 'channel_timeout' });
          }
          return res;
        },
      },
    };
    await start(world);
    await drain(world, answersLost);
    expect(world.round.status).toBe('completed');
    expect(world.deliveries.filter((d) => d.channel === 'paper')).toHaveLength(3);
    // Learned from Digipost, each is counted the way it went: on paper, never as the mailbox.
    expect(world.outcomes().map((o) => (o.kind === 'sent' ? o.channel : o.kind))).toEqual(['paper', 'paper', 'paper']);
    expect([...world.ledger.values()].map((e) => e.channel)).toEqual(['paper', 'paper', 'paper']);
  });

  it('test_should_count_a_paper_letter_Digipost_put_in_the_mailbox_as_the_mailbox', async () => {
    const world = new World({ recipients: 3, batchSize: 3, seed: 16 });
    // Nobody digital in the registers: all three are sent for paper, with print details.
    for (const nin of world.nins) world.facts.set(nin, { digitallyActive: false, digitalMailbox: false });
    // Digipost holds a mailbox for the first, so its letter goes there, and its answer says so.
    world.mailboxAtDigipost.add(world.nins[0]!);
    await start(world);
    await drain(world, world.deps());
    expect(world.round.status).toBe('completed');
    expect(world.deliveries.map((d) => d.channel).sort()).toEqual(['digital-mailbox', 'paper', 'paper']);
    // Counted the way it went: paper costs money, and the statistics and the ledger say which.
    expect(world.outcomes().map((o) => (o.kind === 'sent' ? o.channel : o.kind))).toEqual(['digital-mailbox', 'paper', 'paper']);
    expect([...world.ledger.values()].map((e) => e.channel)).toEqual(['digital-mailbox', 'paper', 'paper']);
  });

  it('test_should_count_a_recorded_hand_over_the_way_it_went_when_the_retry_recovers_it', async () => {
    const world = new World({ recipients: 3, batchSize: 3, seed: 17 });
    for (const nin of world.nins) world.facts.set(nin, { digitallyActive: false, digitalMailbox: false });
    world.mailboxAtDigipost.add(world.nins[0]!);
    const deps = world.deps();
    await start(world);
    // The letters leave and their hand-overs are recorded; the worker dies before the ledger is written.
    const dying: EngineDeps = { ...deps, ledger: { ...deps.ledger, record: once(deps.ledger.record, 'died after the hand-overs were recorded') } };
    expect(await work(world, dying, world.queue.shift()!)).toBe('crashed');
    world.now += 61_000;
    await drain(world, deps);
    expect(world.round.status).toBe('completed');
    expect(world.deliveries).toHaveLength(3);
    // The retry learns the fate from the record, and counts each letter the way it went.
    expect(world.outcomes().map((o) => (o.kind === 'sent' ? o.channel : o.kind))).toEqual(['digital-mailbox', 'paper', 'paper']);
    expect([...world.ledger.values()].map((e) => e.channel)).toEqual(['digital-mailbox', 'paper', 'paper']);
  });

  it('test_should_never_address_the_child_when_a_retry_follows_a_crash_after_a_guardian_letter_left', async () => {
    const world = new World({ recipients: 3, batchSize: 3, seed: 10 });
    const child = ninBornOn('2016-05-04');
    const parent = ninBornOn('1980-02-03');
    world.nins[0] = child;
    world.facts.set(child, { guardians: [parent], digitallyActive: false, digitalMailbox: false });
    world.facts.set(parent, { digitallyActive: false, digitalMailbox: false });
    world.project = {
      ...world.project,
      settings: { ...world.project.settings, minors: 'guardians' },
      minorsApproval: { policy: 'guardians', by: 'sara', at: 'then' },
    } as unknown as typeof world.project;
    const deps = world.deps();
    await start(world);
    // The guardian's paper letter leaves; the worker dies before the ledger is written.
    const dying: EngineDeps = { ...deps, ledger: { ...deps.ledger, record: once(deps.ledger.record, 'died after the guardian letter') } };
    expect(await work(world, dying, world.queue.shift()!)).toBe('crashed');
    world.now += 61_000;
    await drain(world, deps);
    expect(world.deliveries.filter((d) => d.nin === child)).toHaveLength(0);
    expect(world.deliveries.filter((d) => d.nin === parent)).toHaveLength(1);
    expect(world.outcomes()[0]).toMatchObject({ kind: 'sent', guardians: 1 });
  });

  it('test_should_keep_every_guardians_ledger_entry_when_the_worker_dies_partway_through_the_ledger_write', async () => {
    const { mother, father, world, deps } = await twoGuardiansStarted();
    // A ledger write lands in parts (BatchWriteItem chunks in parallel, unprocessed items retried):
    // the worst part lands — the recipients' own entries — and the worker dies before the rest.
    let died = false;
    const partly: EngineDeps['ledger']['record'] = async (entries) => {
      if (died) return deps.ledger.record(entries);
      died = true;
      await deps.ledger.record(entries.filter((e) => e.aboutChild === undefined));
      if (entries.some((e) => e.aboutChild !== undefined)) throw new Crash('died partway through the ledger write');
    };
    const dying: EngineDeps = { ...deps, ledger: { ...deps.ledger, record: partly } };
    expect(await work(world, dying, world.queue.shift()!)).toBe('crashed');
    world.now += 61_000;
    await drain(world, deps);
    expect(world.round.status).toBe('completed');
    // Nothing sent twice, and the complaint lookup of either parent finds the letter about the child.
    expect(world.deliveries.filter((d) => d.nin === mother || d.nin === father)).toHaveLength(2);
    expect(guardiansRecordedAboutChildren(world)).toEqual([mother, father].sort());
    expect(world.outcomes()[0]).toMatchObject({ kind: 'sent', guardians: 2 });
  });

  it('test_should_rebuild_the_guardians_ledger_entries_when_recovering_a_dead_wave_whose_guardian_letters_left', async () => {
    const child = ninBornOn('2016-05-04');
    const mother = ninBornOn('1980-02-03');
    const father = ninBornOn('1982-06-07');
    const setUp = () => twoGuardiansWorld(child, mother, father);
    // The letter's fingerprint (row, language, hash) only the attempt that composed it knows: a
    // recovered entry has none, and the complaint lookup then shows the approved version instead.
    const entries = (world: World) =>
      [...world.ledger.entries()]
        .map(([key, e]) => {
          const { at: _at, row: _r, language: _l, letterHash: _h, ...rest } = e;
          return [key, rest] as const;
        })
        .sort(([a], [b]) => a.localeCompare(b));

    // What the first attempt writes when it lives.
    const calm = setUp();
    await start(calm);
    await drain(calm, calm.deps());
    const expected = entries(calm);
    expect(
      expected
        .filter(([, e]) => e.aboutChild !== undefined)
        .map(([, e]) => e.nin)
        .sort(),
    ).toEqual([mother, father].sort());

    // The guardians' letters leave; the worker dies before the ledger is written; the retry recovers the marked wave.
    const world = setUp();
    const deps = world.deps();
    await start(world);
    const dying: EngineDeps = { ...deps, ledger: { ...deps.ledger, record: once(deps.ledger.record, 'died after the guardian letters') } };
    expect(await work(world, dying, world.queue.shift()!)).toBe('crashed');
    const handedOver = world.deliveries.length;
    world.now += 61_000;
    await drain(world, deps);

    // Nothing sent again, the child never addressed, and the ledger holds each guardian's entry about the child.
    expect(world.deliveries).toHaveLength(handedOver);
    expect(world.deliveries.filter((d) => d.nin === child)).toHaveLength(0);
    expect(world.deliveries.filter((d) => d.nin === mother || d.nin === father)).toHaveLength(2);
    expect(world.outcomes()[0]).toMatchObject({ kind: 'sent', guardians: 2 });
    expect(entries(world)).toEqual(expected);
  });

  it('test_should_name_the_guardians_of_a_dead_wave_again_after_a_key_rotation_between_the_attempts', async () => {
    const { mother, father, world, deps, handedOver } = await diedAfterGuardianLetters();
    const refs = new Set(world.deliveries.map((d) => d.deliveryId));
    // The citizen hash key is rotated before the retry: v2 is current, v1 still live.
    world.keyring = { current: 'v2', keys: { v1: world.keyring.keys.v1!, v2: 'engine-world-key-0002' } };
    world.now += 61_000;
    await drain(world, deps);
    // The round keeps the version it was released with: the same delivery ids, nothing sent again,
    // and both guardians' entries about the child rebuilt (named again from the register).
    expect(world.deliveries).toHaveLength(handedOver);
    expect(new Set(world.deliveries.map((d) => d.deliveryId))).toEqual(refs);
    expect(guardiansRecordedAboutChildren(world)).toEqual([mother, father].sort());
    expect(world.outcomes()[0]).toMatchObject({ kind: 'sent', guardians: 2 });
  });

  it('test_should_record_a_guardian_whose_letter_left_when_the_register_no_longer_lists_them_at_the_retry', async () => {
    const { child, mother, father, world, deps, handedOver } = await diedAfterGuardianLetters();
    // Between the crash and the retry the register stops listing the mother as the child's guardian
    // (a change of parental responsibility): her letter left all the same, and her complaint lookup
    // and contact count must find it.
    world.facts.set(child, { guardians: [father] });
    world.now += 61_000;
    await drain(world, deps);
    expectBothGuardiansRecorded(world, handedOver, { child, mother, father });
  });

  it('test_should_record_a_guardian_whose_timed_out_letter_left_when_the_register_no_longer_lists_them_at_the_next_try', async () => {
    const { child, mother, father, world, deps } = twoGuardiansOnPaper();
    // Digipost prints both guardians' letters, but its answers are lost: transient, the child stays pending.
    await start(world);
    expect(await work(world, guardianCallsCutOff(world, deps, { delivered: true, times: 1 }), world.queue.shift()!)).toMatchObject({ kind: 'committed' });
    expect(world.outcomes()[0]).toMatchObject({ kind: 'pending', tries: 1 });
    const handedOver = world.deliveries.length;
    // Before the next try the register stops listing the mother: her letter left all the same.
    world.facts.set(child, { guardians: [father] });
    await drain(world, deps);
    expect(world.round.status).toBe('completed');
    expectBothGuardiansRecorded(world, handedOver, { child, mother, father });
  });

  it('test_should_record_guardians_in_doubt_when_a_child_runs_out_of_tries_on_calls_cut_off', async () => {
    const { mother, father, world, deps } = twoGuardiansOnPaper();
    // Every Digipost call about the child is cut off: each letter may have left, and is never asked about once the tries run out.
    await start(world);
    await drain(world, guardianCallsCutOff(world, deps, { delivered: false, times: Infinity }));
    expect(world.outcomes()[0]).toMatchObject({ kind: 'failed', reason: 'guardian_letters_failed' });
    const aboutChild = [...world.ledger.values()].filter((e) => e.aboutChild !== undefined);
    expect(aboutChild.map((e) => [e.nin, e.outcome, e.reason]).sort()).toEqual(
      [
        [father, 'failed', 'in_doubt'],
        [mother, 'failed', 'in_doubt'],
      ].sort(),
    );
  });

  it('test_should_send_nothing_while_the_key_version_a_round_was_released_with_is_no_longer_live', async () => {
    const world = new World({ recipients: 3, batchSize: 3, seed: 14 });
    world.keyring = { current: 'v2', keys: { v2: 'engine-world-key-0002' } };
    await start(world);
    await expect(processBatch(world.deps(), world.queue.shift()!)).rejects.toThrow(/key version/);
    expect(world.deliveries).toHaveLength(0);
  });

  it('test_should_issue_a_guardians_form_task_under_the_guardian_about_the_child_never_under_the_child', async () => {
    const world = new World({ recipients: 2, batchSize: 2, seed: 12 });
    const child = ninBornOn('2016-05-04');
    const parent = ninBornOn('1980-02-03');
    world.nins[0] = child;
    world.facts.set(child, { guardians: [parent] });
    world.project = {
      ...world.project,
      settings: { ...world.project.settings, minors: 'guardians' },
      minorsApproval: { policy: 'guardians', by: 'sara', at: 'then' },
    } as unknown as typeof world.project;
    world.version = { ...world.version, kind: 'form-task', formTaskId: 'ft' };
    const issued: { nin: string; deliveryId: string; aboutChild?: string }[] = [];
    const base = world.deps();
    const deps: EngineDeps = {
      ...base,
      tasks: {
        issue: async (items) => {
          issued.push(...items);
          return new Map(items.map((i) => [i.deliveryId, { taskId: `task-${i.deliveryId}` }]));
        },
      },
    };
    await start(world);
    await drain(world, deps);
    // The guardian's task: theirs, about the child (named by a pseudonym, never the ID); the child gets none.
    const forParent = issued.filter((i) => i.nin === parent);
    expect(forParent).toHaveLength(1);
    expect(forParent[0]!.aboutChild).toBeDefined();
    expect(forParent[0]!.aboutChild).not.toContain(child);
    expect(issued.some((i) => i.nin === child)).toBe(false);
    expect(world.deliveries.filter((d) => d.nin === child)).toHaveLength(0);
    expect(world.deliveries.find((d) => d.nin === parent)).toMatchObject({ onBehalfOfMinor: true });
  });

  it('test_should_stop_a_round_whose_letter_version_loses_its_approval_and_go_on_once_approved_again', async () => {
    const world = new World({ recipients: 40, batchSize: 10, seed: 11 });
    const deps = world.deps();
    await start(world);
    await work(world, deps, world.queue.shift()!);
    const before = world.deliveries.length;
    expect(before).toBe(10);
    const approved = world.version;
    world.version = { ...approved, approval: undefined };
    await drain(world, deps);
    expect(world.deliveries).toHaveLength(before);
    world.version = approved;
    await world.control().continue(world.round as ReleasedRound);
    await drain(world, deps);
    expect(world.counts()).toMatchObject({ sent: 40, pending: 0 });
  });

  it('test_should_stop_a_round_whose_project_is_no_longer_approved', async () => {
    const world = new World({ recipients: 20, batchSize: 10, seed: 12 });
    const deps = world.deps();
    await start(world);
    world.project = { ...world.project, status: 'changes_requested' };
    const result = await processBatch(deps, world.queue.shift()!);
    expect(result).toMatchObject({ kind: 'parked', why: 'not_approved' });
    expect(world.deliveries).toHaveLength(0);
  });

  it('test_should_stop_sending_before_the_next_wave_when_a_failover_moves_the_round_home_to_another_region', async () => {
    const world = new World({ recipients: 12, batchSize: 12, seed: 18 });
    world.round = { ...(world.round as ReleasedRound), homeRegion: 'eu-north-1', epoch: 1 };
    const base = world.deps();
    const deps: EngineDeps = { ...base, settings: { ...base.settings, region: 'eu-north-1' } };
    let reads = 0;
    const moving: EngineDeps = {
      ...deps,
      citizens: {
        ...deps.citizens,
        // After the first wave's facts, operations fail the round over to eu-west-1 (epoch 2).
        factsOf: async (nins, projectId) => {
          if (++reads === 2) world.round = { ...(world.round as ReleasedRound), homeRegion: 'eu-west-1', epoch: 2 };
          return deps.citizens.factsOf(nins, projectId);
        },
      },
    };
    await start(world);
    // The first wave (4 letters) left here; no wave starts here once the round is homed elsewhere.
    expect(await processBatch(moving, world.queue.shift()!)).toMatchObject({ kind: 'parked', why: 'not_home' });
    expect(world.deliveries).toHaveLength(4);
    expect(world.counts()).toMatchObject({ sent: 4, pending: 8 });
    // A message of the round that reaches this region later is parked before any claim.
    expect(await processBatch(deps, { projectId: 'prj', roundId: 'rnd', batchNo: 0 })).toMatchObject({ kind: 'parked', why: 'not_home' });
    // In its new home the rest goes out, once each.
    const there: EngineDeps = { ...base, settings: { ...base.settings, region: 'eu-west-1' } };
    world.queue.push({ projectId: 'prj', roundId: 'rnd', batchNo: 0 });
    await drain(world, there);
    expect(world.counts()).toMatchObject({ sent: 12, pending: 0 });
    expect(new Set(world.deliveries.map((d) => d.nin)).size).toBe(12);
  });

  it('test_should_send_a_homed_round_only_where_its_fence_says_and_nothing_when_the_fence_is_missing_or_unreadable', async () => {
    const world = new World({ recipients: 4, batchSize: 4, seed: 21 });
    world.round = { ...(world.round as ReleasedRound), homeRegion: 'eu-north-1', epoch: 1 };
    const base = world.deps();
    const here = { ...base.settings, region: 'eu-north-1' };
    await start(world);
    const message = world.queue.shift()!;
    // The round's own item says "here"; the fence (strongly consistent) is what counts.
    const withFence = (homeOf: EngineDeps['fence']['homeOf']): EngineDeps => ({ ...base, fence: { homeOf, stopsOf: async () => ({ halted: false }) }, settings: here });
    expect(
      await processBatch(
        withFence(async () => undefined),
        message,
      ),
    ).toMatchObject({ kind: 'parked', why: 'not_home' });
    expect(
      await processBatch(
        withFence(async () => ({ homeRegion: 'eu-west-1', epoch: 2 })),
        message,
      ),
    ).toMatchObject({ kind: 'parked', why: 'not_home' });
    await expect(
      processBatch(
        withFence(() => Promise.reject(new Error('no quorum'))),
        message,
      ),
    ).rejects.toThrow('no quorum');
    expect(world.deliveries).toHaveLength(0);
    expect(
      await processBatch(
        withFence(async () => ({ homeRegion: 'eu-north-1', epoch: 1 })),
        message,
      ),
    ).toMatchObject({ kind: 'committed' });
    expect(world.deliveries).toHaveLength(4);
  });

  it('test_should_send_nothing_while_the_fence_holds_a_halt_that_this_regions_replica_has_not_yet_received', async () => {
    const world = new World({ recipients: 4, batchSize: 4, seed: 22 });
    world.round = { ...(world.round as ReleasedRound), homeRegion: 'eu-north-1', epoch: 1 };
    const base = world.deps();
    await start(world);
    const message = world.queue.shift()!;
    // Operations halted all sending in the other region: the halt is in the fence (strongly
    // consistent), while this region's replica of the operations state does not show it yet.
    let haltedInFence = true;
    const deps: EngineDeps = { ...base, fence: { ...base.fence, stopsOf: async () => ({ halted: haltedInFence }) }, settings: { ...base.settings, region: 'eu-north-1' } };
    expect(world.halted).toBe(false);
    expect(await processBatch(deps, message)).toMatchObject({ kind: 'parked', why: 'halted' });
    expect(world.deliveries).toHaveLength(0);
    haltedInFence = false;
    expect(await processBatch(deps, message)).toMatchObject({ kind: 'committed' });
    expect(world.deliveries).toHaveLength(4);
  });

  it('test_should_send_nothing_while_the_fence_holds_a_pause_no_resume_has_ended_whatever_this_regions_replica_shows', async () => {
    const world = new World({ recipients: 4, batchSize: 4, seed: 23 });
    world.round = { ...(world.round as ReleasedRound), homeRegion: 'eu-north-1', epoch: 1 };
    // This region's replica of the project: approved, last resumed at 10:00.
    world.project = { ...world.project, status: 'approved', resumedAt: '2026-12-07T10:00:00.000Z' };
    const base = world.deps();
    await start(world);
    const message = world.queue.shift()!;
    // Operations paused the project in the other region: the pause is in the fence (strongly
    // consistent), while this region's replica of the project has not received it yet.
    let pauseHeld = true;
    const deps: EngineDeps = { ...base, fence: { ...base.fence, stopsOf: async () => ({ halted: false, pauseHeld }) }, settings: { ...base.settings, region: 'eu-north-1' } };
    expect(await processBatch(deps, message)).toMatchObject({ kind: 'parked', why: 'paused' });
    expect(world.deliveries).toHaveLength(0);
    // A resume ended it in the fence: it sends.
    pauseHeld = false;
    expect(await processBatch(deps, message)).toMatchObject({ kind: 'committed' });
    expect(world.deliveries).toHaveLength(4);
  });

  it('test_should_send_nothing_while_the_fence_holds_an_approval_reset_newer_than_the_last_approval_this_regions_replica_shows', async () => {
    const world = new World({ recipients: 4, batchSize: 4, seed: 24 });
    world.round = { ...(world.round as ReleasedRound), homeRegion: 'eu-north-1', epoch: 1 };
    // This region's replica of the project: approved at 10:00.
    world.project = { ...world.project, status: 'approved', reviewedAt: '2026-12-07T10:00:00.000Z' };
    const base = world.deps();
    await start(world);
    const message = world.queue.shift()!;
    // The link domains were changed in the other region at 10:05, so the project went back to review:
    // the reset is in the fence (strongly consistent); this region's replica still says approved.
    const approvalResetAt = '2026-12-07T10:05:00.000Z';
    const deps: EngineDeps = { ...base, fence: { ...base.fence, stopsOf: async () => ({ halted: false, approvalResetAt }) }, settings: { ...base.settings, region: 'eu-north-1' } };
    expect(await processBatch(deps, message)).toMatchObject({ kind: 'parked', why: 'not_approved' });
    expect(world.deliveries).toHaveLength(0);
    // Approved again since (10:10, after the reset): it sends.
    world.project = { ...world.project, reviewedAt: '2026-12-07T10:10:00.000Z' };
    expect(await processBatch(deps, message)).toMatchObject({ kind: 'committed' });
    expect(world.deliveries).toHaveLength(4);
  });

  it('test_should_change_no_count_after_a_pause_is_acknowledged_when_the_next_wave_hands_nothing_over', async () => {
    const world = new World({ recipients: 8, batchSize: 8, seed: 19 });
    // The second wave (recipients 4–7) is all reserved: it decides skips and hands nothing over.
    for (const nin of world.nins.slice(4)) world.reserved.add(nin);
    const base = world.deps();
    const ops = { batches: base.batches, clock: () => world.now, sleep: async () => undefined };
    let acknowledged: ReturnType<World['counts']> | undefined;
    const deps: EngineDeps = {
      ...base,
      batches: {
        ...base.batches,
        commit: async (...args) => {
          await base.batches.commit(...args);
          if (acknowledged) return;
          // Operations pause right after the first wave's commit; nothing is in flight, so the pause is acknowledged.
          world.project = { ...world.project, status: 'paused' };
          expect(await awaitQuiet(ops, 'prj', 0)).toBe(0);
          acknowledged = world.counts();
        },
      },
    };
    await start(world);
    expect(await processBatch(deps, world.queue.shift()!)).toMatchObject({ kind: 'parked', why: 'paused' });
    expect(acknowledged).toMatchObject({ sent: 4, pending: 4 });
    // Nothing of the round changed after the acknowledgement: not a letter, and not a count.
    expect(world.counts()).toEqual(acknowledged);
    expect(world.deliveries).toHaveLength(4);
    // On resume the skips are decided again, on the facts then.
    world.project = { ...world.project, status: 'approved' };
    await world.control().continue(world.round as ReleasedRound);
    await drain(world, base);
    expect(world.counts()).toMatchObject({ sent: 4, skippedReserved: 4, pending: 0 });
  });

  it('test_should_hold_one_wave_in_flight_and_abort_a_hung_call_at_its_deadline_before_the_pause_is_quiet', async () => {
    const world = new World({ recipients: 10, batchSize: 10, seed: 7 });
    const base = world.deps();
    let inCall = false;
    const deps: EngineDeps = {
      ...base,
      settings: { ...base.settings, channelTimeoutMs: 60 },
      // A channel that never answers: the call ends only when its signal aborts it.
      channels: {
        ...base.channels,
        handOver: async (_channel, items, opts) => {
          inCall = true;
          await new Promise<void>((r) => opts.signal.addEventListener('abort', () => r(), { once: true }));
          inCall = false;
          return new Map(items.map((i) => [i.deliveryId, { ok: false, transient: false, inDoubt: true, reason: 'channel_timeout' } as const]));
        },
      },
    };
    await start(world);
    const ops = { batches: deps.batches, clock: () => world.now, sleep: async () => undefined };
    const running = processBatch(deps, world.queue.shift()!);
    while (!inCall) await new Promise((r) => setImmediate(r));
    world.project = { ...world.project, status: 'paused' };
    // One wave (4 letters) in flight, not the batch's 10.
    expect(await awaitQuiet(ops, 'prj', 0)).toBe(4);
    const result = await running;
    expect(inCall).toBe(false);
    expect(result).toMatchObject({ kind: 'parked', why: 'paused' });
    expect(await awaitQuiet(ops, 'prj', 0)).toBe(0);
    expect(world.deliveries).toHaveLength(0);
    expect(world.outcomes().filter((o) => o.kind === 'failed' && o.reason === 'in_doubt')).toHaveLength(4);
  });

  it('test_should_stop_sending_within_one_wave_when_a_registry_goes_down', async () => {
    const world = new World({ recipients: 12, batchSize: 12, seed: 13 });
    const base = world.deps();
    let reads = 0;
    const deps: EngineDeps = {
      ...base,
      citizens: {
        ...base.citizens,
        factsOf: async (nins, projectId) => {
          if (++reads === 2) world.registryDown = true;
          return base.citizens.factsOf(nins, projectId);
        },
      },
    };
    await start(world);
    expect(await processBatch(deps, world.queue.shift()!)).toMatchObject({ kind: 'waiting', registry: 'population' });
    expect(world.deliveries).toHaveLength(4);
    expect(world.counts()).toMatchObject({ sent: 4, pending: 8 });
  });

  it('test_should_never_start_a_channel_call_after_the_invocation_deadline', async () => {
    const world = new World({ recipients: 10, batchSize: 10, seed: 14 });
    const deps = world.deps();
    await start(world);
    // Time for one wave only: the rest comes back on the next invocation.
    const result = await processBatch(deps, world.queue.shift()!, { deadline: world.now + deps.settings.commitBudgetMs + deps.settings.channelTimeoutMs + 10 });
    expect(result).toMatchObject({ kind: 'committed', sent: 4, retryInMs: 0 });
    expect(world.batches.get(0)!.leaseId).toBeUndefined();
  });

  it('test_should_end_every_channel_call_in_the_first_half_of_the_lease_so_a_slow_commit_keeps_it', async () => {
    const world = new World({ recipients: 10, batchSize: 10, seed: 15 });
    const base = world.deps();
    const settings = { ...base.settings, leaseMs: 10_000, channelTimeoutMs: 4_000, commitBudgetMs: 1_000 };
    let lastEnd = 0;
    // A slow channel: every wave's call takes 1.5 s; no invocation deadline bounds the attempt.
    const deps: EngineDeps = {
      ...base,
      settings,
      channels: {
        ...base.channels,
        handOver: async (channel, items, opts) => {
          const out = await base.channels.handOver(channel, items, opts);
          world.now += 1_500;
          lastEnd = world.now;
          return out;
        },
      },
    };
    await start(world);
    const claimedAt = world.now;
    const result = await processBatch(deps, world.queue.shift()!);
    // One wave: a second would start after half the lease less the commit's budget.
    expect(result).toMatchObject({ kind: 'committed', sent: 4, retryInMs: 0 });
    expect(lastEnd).toBeLessThanOrEqual(claimedAt + settings.leaseMs / 2);
  });
});

type Event =
  | { at: number; kind: 'pause' | 'resume' | 'halt' | 'unhalt' | 'cancel' | 'duplicate' | 'registry-down' | 'registry-up' }
  | { at: number; kind: 'reserve'; who: number }
  | { at: number; kind: 'crash'; after: number }
  | { at: number; kind: 'flaky'; calls: number };

const event: fc.Arbitrary<Event> = fc.oneof(
  fc.record({ at: fc.nat(150), kind: fc.constantFrom('pause', 'resume', 'halt', 'unhalt', 'cancel', 'duplicate', 'registry-down', 'registry-up') }),
  fc.record({ at: fc.nat(150), kind: fc.constant('reserve' as const), who: fc.nat(119) }),
  fc.record({ at: fc.nat(150), kind: fc.constant('crash' as const), after: fc.nat(6) }),
  fc.record({ at: fc.nat(150), kind: fc.constant('flaky' as const), calls: fc.integer({ min: 1, max: 30 }) }),
);

describe('the engine under any interleaving', () => {
  it('delivers nothing after a pause or halt is acknowledged, at most one letter per citizen, counts that match the batches, nobody lost', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 3, max: 15 }),
        fc.array(event, { maxLength: 12 }),
        async (seed, recipients, batchSize, events) => {
          const world = new World({ recipients, batchSize, seed });
          const deps = world.deps();
          const control = world.control();
          /** Logical times at which a stop was acknowledged, and when it was lifted. */
          const quiet: { from: number; until: number; project: boolean }[] = [];
          let paused = false;
          let halted = false;
          const ack = async (project: boolean) => {
            const ops = { batches: deps.batches, clock: () => world.now, sleep: () => new Promise<void>((r) => setImmediate(r)) };
            // Poll until nothing is in flight: the handler answers 200 then, an acknowledgement the
            // engine is held to. Still busy after the wait: it answers 202 with the count, which
            // acknowledges nothing. (Each poll lets the workers run a turn in between.)
            for (let i = 0; i < 10_000; i++) {
              if ((await awaitQuiet(ops, project ? 'prj' : undefined, 0)) === 0) {
                quiet.push({ from: world.seq, until: Number.POSITIVE_INFINITY, project });
                return;
              }
              await new Promise<void>((r) => setImmediate(r));
            }
          };
          const lift = (project: boolean) => {
            for (const q of quiet) if (q.project === project && q.until === Number.POSITIVE_INFINITY) q.until = world.seq;
          };
          await start(world);
          const sorted = [...events].sort((a, b) => a.at - b.at);
          let draining = true;
          const events$ = (async () => {
            for (const e of sorted) {
              // Let the workers run up to the event's time (unless they have stopped: the queue is
              // empty, or the drain is over and what an event enqueued waits for the final drain).
              while (world.seq < e.at && world.queue.length > 0 && draining) await new Promise<void>((r) => setImmediate(r));
              switch (e.kind) {
                case 'pause':
                  if (!paused) {
                    paused = true;
                    world.project = { ...world.project, status: 'paused' };
                    await ack(true);
                  }
                  break;
                case 'resume':
                  if (paused) {
                    paused = false;
                    lift(true);
                    world.project = { ...world.project, status: 'approved' };
                    if (!halted && world.round.status === 'dispatching') await control.continue(world.round);
                  }
                  break;
                case 'halt':
                  if (!halted) {
                    halted = true;
                    world.halted = true;
                    await ack(false);
                  }
                  break;
                case 'unhalt':
                  if (halted) {
                    halted = false;
                    lift(false);
                    world.halted = false;
                    if (!paused && world.round.status === 'dispatching') await control.continue(world.round);
                  }
                  break;
                case 'cancel':
                  if (world.round.status === 'dispatching') {
                    world.round = { ...world.round, status: 'cancelled', cancelledBy: 'ops', cancelledAt: 'now' } as unknown as typeof world.round;
                    await control.cancelRemaining(world.round);
                  }
                  break;
                case 'duplicate':
                  if (world.queue.length > 0) world.queue.push({ ...world.queue[world.random(world.queue.length)]! });
                  break;
                case 'registry-down':
                  world.registryDown = true;
                  break;
                case 'registry-up':
                  world.registryDown = false;
                  break;
                case 'reserve':
                  world.reserved.add(world.nins[e.who % recipients]!);
                  break;
                case 'crash':
                  world.crashIn = e.after;
                  break;
                case 'flaky':
                  world.channelFailures = e.calls;
                  break;
              }
            }
          })();
          const workers$ = drain(world, deps).finally(() => (draining = false));
          await Promise.all([events$, workers$]);

          // Everything mended and lifted: what is left must finish.
          world.crashIn = undefined;
          world.registryDown = false;
          world.channelFailures = 0;
          if (paused || halted) {
            lift(true);
            lift(false);
            world.project = { ...world.project, status: 'approved' };
            world.halted = false;
          }
          if (world.round.status === 'dispatching') await control.continue(world.round);
          if (world.round.status === 'cancelled') await control.cancelRemaining(world.round);
          await drain(world, deps);

          // 1. Nothing delivered while a pause or halt stood acknowledged.
          for (const d of world.deliveries) for (const q of quiet) expect(d.seq > q.from && d.seq < q.until, `delivery at ${d.seq} inside a stop [${q.from}, ${q.until})`).toBe(false);
          // 2. At most one letter per citizen.
          expect(new Set(world.deliveries.map((d) => d.nin)).size).toBe(world.deliveries.length);
          // 3. The counters say what the batches say, and every letter delivered is counted sent.
          const outcomes = world.outcomes();
          const counts = world.counts();
          expect(counts.sent).toBe(outcomes.filter((o) => o.kind === 'sent').length);
          expect(counts.cancelled).toBe(outcomes.filter((o) => o.kind === 'cancelled').length);
          expect(counts.failed).toBe(outcomes.filter((o) => o.kind === 'failed').length);
          const delivered = new Set(world.deliveries.map((d) => d.nin));
          world.nins.forEach((nin, i) => {
            // A letter handed to ePROM whose worker died before the hand-over was recorded may have left: in doubt, never re-sent.
            const o = outcomes[i]!;
            if (delivered.has(nin) && !(o.kind === 'failed' && o.reason === 'in_doubt')) expect(o.kind).toBe('sent');
            if (outcomes[i]!.kind === 'sent') expect(delivered.has(nin)).toBe(true);
          });
          // 4. Nobody lost: every recipient ends in a terminal state, and a round not cancelled completes.
          expect(counts.pending).toBe(0);
          if (world.round.status !== 'cancelled') expect(world.round.status).toBe('completed');
        },
      ),
      // A fixed seed: the same 150 interleavings on every run, so the suite is reliably green or red.
      { numRuns: Number(process.env.PROP_RUNS ?? 150), seed: Number(process.env.PROP_SEED ?? 20_261_205) },
    );
  }, 120_000);

  it('test_should_hold_every_gate_through_crashes_at_every_step_changed_facts_guardians_redrive_and_pause_at_every_point', async () => {
    const ruleOf = fc.constantFrom<'helsenorge-then-paper' | 'helsenorge-only' | 'digital-mailbox-then-paper'>('helsenorge-then-paper', 'helsenorge-only', 'digital-mailbox-then-paper');
    const people = fc.array(fc.constantFrom('adult', 'adult', 'adult', 'reserved', 'withdrawn', 'unknown', 'child', 'child', 'orphan', 'offline'), { minLength: 6, maxLength: 40 });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        people,
        fc.integer({ min: 2, max: 8 }),
        ruleOf,
        fc.array(richEvent, { maxLength: 16 }),
        async (seed, kinds, batchSize, rule, events) => {
          const world = new World({ recipients: kinds.length, batchSize, seed });
          /** Nobody of these may ever get a letter: reserved or withdrawn before the round, unknown, under 16. */
          const never = new Set<string>();
          const children: string[] = [];
          kinds.forEach((kind, i) => {
            const nin = world.nins[i]!;
            switch (kind) {
              case 'reserved':
                world.reserve(nin);
                never.add(nin);
                break;
              case 'withdrawn':
                world.withdraw(nin);
                never.add(nin);
                break;
              case 'unknown':
                world.facts.set(nin, { known: false });
                never.add(nin);
                break;
              case 'offline':
                world.facts.set(nin, { digitallyActive: false, digitalMailbox: false });
                break;
              case 'child':
              case 'orphan': {
                const child = ninBornOn('2015-03-0' + String(1 + (i % 9)), i);
                world.nins[i] = child;
                never.add(child);
                children.push(child);
                const guardians = kind === 'orphan' ? [] : [ninBornOn('1980-02-03', 2 * i), ...(i % 2 ? [ninBornOn('1982-06-07', 2 * i + 1)] : [])];
                for (const g of guardians) {
                  world.childOf.set(g, child);
                  if (i % 3 === 0) world.facts.set(g, { digitallyActive: false });
                }
                world.facts.set(child, { guardians });
                break;
              }
            }
          });
          world.project = {
            ...world.project,
            settings: { ...world.project.settings, distributionRule: rule, minors: 'guardians' },
            minorsApproval: { policy: 'guardians', by: 'sara', at: 'then' },
          } as unknown as typeof world.project;
          const deps = world.deps();
          const control = world.control();
          const quiet: { from: number; until: number }[] = [];
          let stopped: 'pause' | 'halt' | undefined;
          const ack = async () => {
            const ops = { batches: deps.batches, clock: () => world.now, sleep: () => new Promise<void>((r) => setImmediate(r)) };
            for (let i = 0; i < 10_000; i++) {
              if ((await awaitQuiet(ops, stopped === 'pause' ? 'prj' : undefined, 0)) === 0) {
                quiet.push({ from: world.seq, until: Number.POSITIVE_INFINITY });
                return;
              }
              await new Promise<void>((r) => setImmediate(r));
            }
          };
          const lift = () => {
            for (const q of quiet) if (q.until === Number.POSITIVE_INFINITY) q.until = world.seq;
            stopped = undefined;
            world.halted = false;
            world.project = { ...world.project, status: 'approved' };
          };
          /** As operations' redrive does: refused while paused or halted; failed (never in doubt) back to work. */
          const redriveNow = async () => {
            if (stopped) return;
            const failing = await deps.batches.batchesWithFailures(world.round.roundId);
            let moved = 0;
            for (const batchNo of failing) moved += await deps.batches.redrive({ projectId: 'prj', roundId: 'rnd', batchNo }, { canary: false });
            if (moved === 0) return;
            if (world.round.status === 'completed') world.round = { ...(world.round as ReleasedRound), status: 'dispatching' };
            for (const batchNo of failing) world.queue.push({ projectId: 'prj', roundId: 'rnd', batchNo });
          };
          await start(world);
          let draining = true;
          const events$ = (async () => {
            for (const e of [...events].sort((a, b) => a.at - b.at)) {
              while (world.seq < e.at && world.queue.length > 0 && draining) await new Promise<void>((r) => setImmediate(r));
              switch (e.kind) {
                case 'pause':
                case 'halt':
                  if (!stopped) {
                    stopped = e.kind;
                    if (e.kind === 'pause') world.project = { ...world.project, status: 'paused' };
                    else world.halted = true;
                    await ack();
                  }
                  break;
                case 'go-on':
                  if (stopped) {
                    lift();
                    if (world.round.status === 'dispatching') await control.continue(world.round);
                  }
                  break;
                case 'duplicate':
                  if (world.queue.length > 0) world.queue.push({ ...world.queue[world.random(world.queue.length)]! });
                  break;
                case 'registry-down':
                  world.registryDown = true;
                  break;
                case 'registry-up':
                  world.registryDown = false;
                  break;
                case 'reserve':
                  world.reserve(world.nins[e.who % kinds.length]!);
                  break;
                case 'withdraw':
                  world.withdraw(world.nins[e.who % kinds.length]!);
                  break;
                case 'unlist-guardian': {
                  // The register stops listing a child's first guardian (parental responsibility
                  // moved): a letter that reached them must still be recorded for them.
                  const child = children[e.who % Math.max(1, children.length)];
                  const listed = child ? world.facts.get(child)?.guardians : undefined;
                  if (child && listed && listed.length > 0) world.facts.set(child, { ...world.facts.get(child), guardians: listed.slice(1) });
                  break;
                }
                case 'crash':
                  world.crashIn = e.after;
                  break;
                case 'flaky':
                  world.channelFailures = e.calls;
                  break;
                case 'doubt':
                  world.channelDoubts = e.calls;
                  break;
                case 'redrive':
                  await redriveNow();
                  break;
              }
            }
          })();
          const workers$ = drain(world, deps).finally(() => (draining = false));
          await Promise.all([events$, workers$]);

          world.crashIn = undefined;
          world.registryDown = false;
          world.channelFailures = 0;
          world.channelDoubts = 0;
          if (stopped) lift();
          if (world.round.status === 'dispatching') await control.continue(world.round);
          await drain(world, deps);
          await redriveNow();
          await drain(world, deps);

          // 1. Nothing delivered while a pause or halt stood acknowledged.
          for (const d of world.deliveries) for (const q of quiet) expect(d.seq > q.from && d.seq < q.until, `delivery at ${d.seq} inside a stop [${q.from}, ${q.until})`).toBe(false);
          // 2. Nobody reserved, withdrawn, unknown or under 16 written to; every letter on facts read for its attempt, before any reservation or withdrawal.
          expect(world.deliveries.filter((d) => never.has(d.nin))).toEqual([]);
          expect(world.staleLetters).toEqual([]);
          // 3. At most one letter per addressee (guardians included).
          expect(new Set(world.deliveries.map((d) => d.nin)).size).toBe(world.deliveries.length);
          // 4. Counts add up, and say what the channel saw: a child is sent when a guardian got the letter.
          const outcomes = world.outcomes();
          const counts = world.counts();
          const { planned, pending, ...rest } = counts;
          expect(Object.values(rest).reduce((s, n) => s + n, 0) + pending).toBe(planned);
          expect(counts.sent).toBe(outcomes.filter((o) => o.kind === 'sent').length);
          expect(counts.failed).toBe(outcomes.filter((o) => o.kind === 'failed').length);
          const delivered = new Set(world.deliveries.map((d) => world.childOf.get(d.nin) ?? d.nin));
          world.nins.forEach((nin, i) => {
            const o = outcomes[i]!;
            // Sent means it left; a letter in doubt (ePROM, no answer) may have left and is never sent again.
            if (o.kind === 'sent') expect(delivered.has(nin), `recipient ${i} counted sent`).toBe(true);
            else if (!(o.kind === 'failed' && o.reason === 'in_doubt')) expect(delivered.has(nin), `recipient ${i} (${o.kind}) got a letter`).toBe(false);
          });
          // 5. A child counted sent through guardians has each of those guardians' ledger entries about them, however the attempt died.
          world.nins.forEach((nin, i) => {
            const o = outcomes[i]!;
            if (o.kind !== 'sent' || !o.guardians) return;
            const about = [...world.ledger.values()].filter((e) => e.aboutChild !== undefined && e.outcome === 'sent' && world.childOf.get(e.nin) === nin);
            expect(about, `guardians' entries about recipient ${i}`).toHaveLength(o.guardians);
          });
          // 6. Every guardian a letter about a child reached has their own entry about it, even one the register no longer
          //    lists by the retry: `sent` when it is known to have left, else `failed` in doubt (never tried again).
          const aboutChildren = new Map([...world.ledger.values()].filter((e) => e.aboutChild !== undefined).map((e) => [e.nin, e] as const));
          for (const d of world.deliveries) {
            if (!world.childOf.has(d.nin)) continue;
            const e = aboutChildren.get(d.nin);
            expect(e && (e.outcome === 'sent' || (e.outcome === 'failed' && e.reason === 'in_doubt')), `the entry of a guardian a letter reached: ${JSON.stringify(e?.outcome)}`).toBe(true);
            if (!world.unanswered.has(d.deliveryId)) expect(e!.outcome).toBe('sent');
          }
          expect(pending).toBe(0);
          expect(world.round.status).toBe('completed');
        },
      ),
      {
        numRuns: Number(process.env.PROP_RUNS ?? 120),
        seed: Number(process.env.PROP_SEED ?? 20_261_205),
        // Found by this property: a Digipost letter that timed out yet left, its citizen reserved
        // before the retry — it was counted skipped although it reached them.
        // And: a child's guardian letters left, the worker died before the ledger write, and the
        // recovery recorded the child as sent with none of the guardians' entries about them.
        // And: one guardian's ePROM letter in doubt beside the other's that was handed over — the
        // child counted sent, and the first guardian, whom the letter may have reached, had no entry.
        examples: [
          [
            1,
            ['adult', 'withdrawn', 'adult', 'adult', 'adult', 'adult'],
            2,
            'digital-mailbox-then-paper',
            [
              { at: 27, kind: 'reserve', who: 32 },
              { at: 1, kind: 'go-on' },
              { at: 0, kind: 'doubt', calls: 4 },
              { at: 0, kind: 'crash', after: 0 },
              { at: 0, kind: 'pause' },
            ],
          ],
          [
            1,
            ['adult', 'adult', 'adult', 'child', 'adult', 'adult', 'adult', 'adult', 'adult', 'adult'],
            7,
            'helsenorge-then-paper',
            [
              { at: 0, kind: 'doubt', calls: 3 },
              { at: 0, kind: 'flaky', calls: 7 },
              { at: 0, kind: 'crash', after: 0 },
            ],
          ],
          [
            1,
            ['adult', 'adult', 'adult', 'adult', 'child', 'adult'],
            2,
            'helsenorge-then-paper',
            [
              { at: 0, kind: 'doubt', calls: 4 },
              { at: 0, kind: 'reserve', who: 0 },
            ],
          ],
        ],
      },
    );
  }, 120_000);
});

type RichEvent =
  | { at: number; kind: 'pause' | 'halt' | 'go-on' | 'duplicate' | 'registry-down' | 'registry-up' | 'redrive' }
  | { at: number; kind: 'reserve' | 'withdraw' | 'unlist-guardian'; who: number }
  | { at: number; kind: 'crash'; after: number }
  | { at: number; kind: 'flaky' | 'doubt'; calls: number };

/** Events at any logical time; a crash after any number of further port calls, i.e. at every step of an attempt. */
const richEvent: fc.Arbitrary<RichEvent> = fc.oneof(
  fc.record({ at: fc.nat(200), kind: fc.constantFrom('pause', 'halt', 'go-on', 'duplicate', 'registry-down', 'registry-up', 'redrive') }),
  fc.record({ at: fc.nat(200), kind: fc.constantFrom('reserve', 'withdraw', 'unlist-guardian'), who: fc.nat(39) }),
  fc.record({ at: fc.nat(200), kind: fc.constant('crash' as const), after: fc.nat(25) }),
  fc.record({ at: fc.nat(200), kind: fc.constantFrom('flaky', 'doubt'), calls: fc.integer({ min: 1, max: 12 }) }),
);
