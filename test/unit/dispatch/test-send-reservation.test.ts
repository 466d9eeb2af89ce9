import { describe, expect, it } from 'vitest';
import type { EngineDeps } from '../../../functions/domain/dispatch/ports.js';
import type { ReleasedRound } from '../../../functions/domain/rounds/round.js';
import { work, World } from '../../fixtures/engine-world.js';

const drain = async (world: World, deps: EngineDeps) => {
  for (let i = 0; i < 200 && world.queue.length > 0; i++) {
    const results = await Promise.all(world.queue.splice(0, 3).map((m) => work(world, deps, m)));
    if (results.every((r) => r === 'crashed' || r.kind === 'busy' || r.kind === 'waiting')) world.now += 61_000;
  }
};

/**
 * A test send runs through the same engine as a real round (dispatch/test-send.ts), so the same
 * gate must hold for it: a test round ignores contact history, never the research reservation.
 */
describe('test sends and the general research reservation (issue 21, finding 6)', () => {
  it('test_should_not_send_a_research_test_letter_by_paper_or_mailbox_where_the_reservation_cannot_be_read', async () => {
    const world = new World({ recipients: 4, batchSize: 10, seed: 31 });
    world.reservationReadable = false;
    const round: ReleasedRound = { ...(world.round as ReleasedRound), test: true };
    world.round = round;
    world.project = { ...world.project, settings: { ...world.project.settings, distributionRule: 'digital-mailbox-then-paper' } };
    world.facts.set(world.nins[0]!, { digitallyActive: false, digitalMailbox: false });
    await world.control().start(round);
    await drain(world, world.deps());
    expect(world.deliveries.filter((d) => d.channel !== 'helsenorge')).toEqual([]);
    expect(world.skipReasons()).toMatchObject({ reservation_unreadable: 4 });
  });
});
