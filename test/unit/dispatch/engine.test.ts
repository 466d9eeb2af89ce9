import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { processBatch } from '../../../functions/domain/dispatch/engine.js';
import { awaitQuiet } from '../../../functions/domain/dispatch/operations.js';
import type { EngineDeps } from '../../../functions/domain/dispatch/ports.js';
import type { ReleasedRound } from '../../../functions/domain/rounds/round.js';
import { Crash, work, World } from '../../fixtures/engine-world.js';

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

const start = (world: World) => world.control().start(world.round as ReleasedRound);

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

  it('a worker that dies after marking letters in flight binds the retry to the same letters: none lost, none doubled, even if the citizen reserves meanwhile', async () => {
    const world = new World({ recipients: 10, batchSize: 10, seed: 6 });
    const deps = world.deps();
    await start(world);
    // gate, claim, facts+ledger+…: die right after the channel hand-over (before anything is recorded).
    const original = deps.ledger.record.bind(deps.ledger);
    let died = false;
    const dying: EngineDeps = {
      ...deps,
      ledger: {
        ...deps.ledger,
        record: async (e) => {
          if (!died) {
            died = true;
            throw new Crash('died after the channel');
          }
          return original(e);
        },
      },
    };
    expect(await work(world, dying, world.queue.shift()!)).toBe('crashed');
    expect(world.deliveries).toHaveLength(10);
    world.reserved.add(world.nins[0]!);
    world.now += 61_000;
    await drain(world, dying);
    expect(world.counts()).toMatchObject({ sent: 10, pending: 0 });
    expect(world.deliveries).toHaveLength(10);
  });

  it('the pause handshake: once no marker is left nothing more is delivered, and a call that timed out keeps its marker until it settles', async () => {
    const world = new World({ recipients: 10, batchSize: 10, seed: 7 });
    let release!: () => void;
    const hung = new Promise<void>((r) => (release = r));
    const base = world.deps();
    const deps: EngineDeps = {
      ...base,
      settings: { ...base.settings, channelTimeoutMs: 5 },
      channels: { deliver: async (channel, items) => (await hung, base.channels.deliver(channel, items)) },
    };
    await start(world);
    const result = await processBatch(deps, world.queue.shift()!);
    expect(result).toMatchObject({ kind: 'committed', sent: 0 });
    const ops = { batches: deps.batches, clock: () => world.now, sleep: async () => undefined };
    // Timed out from the worker's side, but the call may still deliver: not quiet.
    expect(await awaitQuiet(ops, 'prj', 0)).toBe(10);
    release();
    await new Promise((r) => setTimeout(r, 10));
    expect(await awaitQuiet(ops, 'prj', 0)).toBe(0);
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
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 120 }), fc.integer({ min: 3, max: 15 }), fc.array(event, { maxLength: 12 }), async (seed, recipients, batchSize, events) => {
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
                  if (!halted && world.round.status === 'dispatching') await control.continue(world.round as ReleasedRound);
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
                  if (!paused && world.round.status === 'dispatching') await control.continue(world.round as ReleasedRound);
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
        if (world.round.status === 'dispatching') await control.continue(world.round as ReleasedRound);
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
          if (delivered.has(nin)) expect(outcomes[i]!.kind).toBe('sent');
          if (outcomes[i]!.kind === 'sent') expect(delivered.has(nin)).toBe(true);
        });
        // 4. Nobody lost: every recipient ends in a terminal state, and a round not cancelled completes.
        expect(counts.pending).toBe(0);
        if (world.round.status !== 'cancelled') expect(world.round.status).toBe('completed');
      }),
      { numRuns: Number(process.env.PROP_RUNS ?? 150) },
    );
  }, 120_000);
});
