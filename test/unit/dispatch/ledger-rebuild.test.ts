import { describe, expect, it } from 'vitest';
import { processBatch } from '../../../functions/domain/dispatch/engine.js';
import type { EngineDeps, LedgerRebuild } from '../../../functions/domain/dispatch/ports.js';
import { delaySecondsOf, rebuildAfterFailover, rebuildLedger, type RebuildDeps } from '../../../functions/domain/dispatch/rebuild-ledger.js';
import type { ReleasedRound } from '../../../functions/domain/rounds/round.js';
import { work, World } from '../../fixtures/engine-world.js';

/**
 * A failover's ledger rebuild (issue 25, functions/domain/dispatch/rebuild-ledger.ts) on the
 * engine's in-memory world: the entries the old home's last seconds lost come back from the batch
 * items, an entry that survived is never overwritten, the walk goes on from its cursor, and the
 * moved round sends nothing until the rebuild of its epoch is done.
 */
const HERE = 'eu-west-1';

const drain = async (world: World, deps: EngineDeps) => {
  for (let i = 0; i < 500 && world.queue.length > 0; i++) await Promise.all(world.queue.splice(0, 3).map((m) => work(world, deps, m)));
};

const rebuildDeps = (world: World, clock: () => Date = () => new Date(world.now)): RebuildDeps & { jobs: LedgerRebuild[] } => {
  const engine = world.deps();
  const jobs: LedgerRebuild[] = [];
  return {
    jobs,
    rounds: world.rebuildRounds(),
    batches: engine.batches,
    recipients: engine.recipients,
    ledger: engine.ledger,
    control: world.control(),
    queue: { enqueue: async (j) => void jobs.push(...j) },
    clock,
  };
};

const job = (epoch: number): LedgerRebuild => ({ kind: 'rebuild-ledger', rounds: [{ projectId: 'prj', roundId: 'rnd', epoch }], at: { round: 0, batch: 0 } });
const entryOf = (world: World, nin: string) => world.ledger.get(`${nin}#rnd#`);

describe("a failover's ledger rebuild", () => {
  it('test_should_start_a_whole_lease_after_the_fence_moved_doing_nothing_before_so_the_old_homes_last_waves_end_first', async () => {
    const world = new World({ recipients: 4, batchSize: 4, seed: 43 });
    await world.control().start(world.round as ReleasedRound);
    await drain(world, world.deps());
    world.ledger.clear();
    world.round = { ...(world.round as ReleasedRound), homeRegion: HERE, epoch: 2, ledgerRebuild: true };
    const lease = world.deps().settings.leaseMs;
    const due = rebuildAfterFailover([{ projectId: 'prj', roundId: 'rnd', epoch: 2 }], world.now, lease);
    expect(due).toEqual({ ...job(2), notBefore: world.now + lease });
    // On the queue until then, within SQS's 15 minutes.
    expect(delaySecondsOf(due, world.now)).toBe(lease / 1000);
    expect(delaySecondsOf({ ...due, notBefore: world.now + 3_600_000 }, world.now)).toBe(900);
    // A lease less a millisecond later: nothing written, the hold stays, the job comes back as it was.
    world.now += lease - 1;
    expect(await rebuildLedger(rebuildDeps(world), due, Number.POSITIVE_INFINITY)).toBe(due);
    expect([world.ledger.size, world.round.ledgerRebuild]).toEqual([0, true]);
    world.now += 1;
    expect(await rebuildLedger(rebuildDeps(world), due, Number.POSITIVE_INFINITY)).toBeUndefined();
    expect([world.ledger.size, world.round.ledgerRebuild]).toEqual([4, undefined]);
  });

  it('test_should_bring_back_every_lost_entry_from_the_batch_items_without_overwriting_one_that_survived_going_on_from_its_cursor', async () => {
    const world = new World({ recipients: 10, batchSize: 4, seed: 41 });
    world.reserved.add(world.nins[1]!);
    world.reserved.add(world.nins[6]!);
    await world.control().start(world.round as ReleasedRound);
    await drain(world, world.deps());
    expect(world.round.status).toBe('completed');
    const before = new Map(world.nins.map((nin) => [nin, entryOf(world, nin)!]));
    expect([...before.values()].map((e) => e.outcome).filter((o) => o === 'skipped')).toHaveLength(2);

    // The loss: the entries of batches 1 and 2 never replicated, but recipient 4's, which carries its letter's fingerprint.
    const lost = world.nins.slice(5);
    for (const nin of lost) world.ledger.delete(`${nin}#rnd#`);
    world.ledger.set(`${world.nins[4]!}#rnd#`, { ...before.get(world.nins[4]!)!, letterHash: 'the-original' });
    world.round = { ...(world.round as ReleasedRound), homeRegion: HERE, epoch: 2, ledgerRebuild: true };

    // An invocation that runs out of time after two batches hands on where it stopped.
    let t = world.now;
    const deps = rebuildDeps(world, () => new Date((t += 1_000)));
    const next = await rebuildLedger(deps, job(2), world.now + 2_500);
    expect(next).toEqual({ ...job(2), at: { round: 0, batch: 2 } });
    expect(world.round.ledgerRebuild).toBe(true);
    expect(await rebuildLedger(deps, next!, Number.POSITIVE_INFINITY)).toBeUndefined();

    for (const nin of world.nins) {
      const [was, now] = [before.get(nin)!, entryOf(world, nin)];
      expect(now, `entry of ${world.nins.indexOf(nin)}`).toMatchObject({
        outcome: was.outcome,
        projectId: 'prj',
        roundId: 'rnd',
        letterId: was.letterId,
        version: was.version,
        contentHash: was.contentHash,
      });
      if (was.outcome === 'sent') expect(now!.channel).toBe(was.channel);
      if (was.outcome === 'skipped') expect(now!.reason).toBe(was.reason);
    }
    expect(entryOf(world, world.nins[4]!)!.letterHash).toBe('the-original');
    // The rebuilt ones know what the batch item knows, never a fingerprint they cannot have.
    expect(lost.map((nin) => entryOf(world, nin)!.letterHash)).toEqual(lost.map(() => undefined));
    expect(world.round.ledgerRebuild).toBeUndefined();
  });

  it('test_should_send_nothing_of_a_moved_round_until_the_rebuild_of_its_epoch_has_run_and_then_resume_it', async () => {
    const world = new World({ recipients: 8, batchSize: 4, seed: 42 });
    world.round = { ...(world.round as ReleasedRound), homeRegion: HERE, epoch: 2, ledgerRebuild: true };
    const base = world.deps();
    const deps: EngineDeps = { ...base, settings: { ...base.settings, region: HERE } };
    await world.control().start(world.round);
    expect(await processBatch(deps, world.queue.shift()!)).toMatchObject({ kind: 'parked', why: 'rebuilding_ledger' });
    world.queue.length = 0;
    expect(world.deliveries).toHaveLength(0);

    // A job of an earlier failover (epoch 1) neither lifts the hold nor puts the round to work.
    expect(await rebuildLedger(rebuildDeps(world), job(1), Number.POSITIVE_INFINITY)).toBeUndefined();
    expect([world.round.ledgerRebuild, world.queue.length]).toEqual([true, 0]);

    expect(await rebuildLedger(rebuildDeps(world), job(2), Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(world.round.ledgerRebuild).toBeUndefined();
    expect(world.queue.length).toBeGreaterThan(0);
    await drain(world, deps);
    expect(world.counts()).toMatchObject({ sent: 8, pending: 0 });
    expect(world.round.status).toBe('completed');
  });
});
