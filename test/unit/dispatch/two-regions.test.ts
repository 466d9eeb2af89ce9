import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChannelGateway, ChannelResult } from '../../../functions/domain/dispatch/channels.js';
import { processBatch, type BatchResult } from '../../../functions/domain/dispatch/engine.js';
import { awaitQuiet, dispatchControl } from '../../../functions/domain/dispatch/operations.js';
import type { BatchRef, DispatchMessage, EngineDeps, LedgerRebuild } from '../../../functions/domain/dispatch/ports.js';
import { rebuildAfterFailover, rebuildLedger, type RebuildDeps } from '../../../functions/domain/dispatch/rebuild-ledger.js';
import type { ReleasedRound } from '../../../functions/domain/rounds/round.js';
import { Crash, World } from '../../fixtures/engine-world.js';

/**
 * Issue 25's scenarios on the engine's in-memory world (test/fixtures/engine-world.ts): two
 * regions, each with its own queue and workers, one round homed in the first. Mid-round a
 * failover moves the home to the second (the epoch moves; the work is put on the second region's
 * queue), either cleanly — the first region still runs and must stop by itself — or after the
 * first region is lost outright (every call of its workers dies, its queue with it; its leases
 * and wave deadlines must pass before the second region takes its batches, whose marked plans
 * bind). A pause given meanwhile is seen by both. A loss also takes the contact-ledger entries and
 * the counter-shard updates the first region wrote in its last steps (written, never replicated),
 * while the batch items that record the same outcomes survive: the failover's ledger rebuild must
 * bring the entries back, and recount the shards, before the round sends again in its new home.
 *
 * Or the first region is cut off from the others but keeps running (a network partition): its
 * replicated tables stop receiving the other region's writes, so it still reads the round as homed
 * there and the project as it was, while the round's fence (home and epoch in the MRSC fence table,
 * strongly consistent across regions) cannot be read from a region without quorum. Its workers must
 * stop by themselves within the waves they had in flight.
 *
 * The batch items replicate eventually (MREC): a loss also undoes the lost region's last writes to
 * them — a wave's plan marked, a wave committed — while the fence's (MRSC) survive. On a partition
 * (cut-off) both regions still see one store here; docs/georedundancy.md says what that leaves.
 */
type BatchItem = World['batches'] extends Map<number, infer I> ? I : never;

const HOME = 'eu-central-1';
const SECOND = 'eu-west-1';
type Region = typeof HOME | typeof SECOND;
const WORKERS = 3;

class TwoRegions {
  readonly queues: Record<Region, (DispatchMessage | LedgerRebuild)[]> = { [HOME]: [], [SECOND]: [] };
  /** Ledger entries each region wrote, with the logical time it wrote them (world.seq). */
  private readonly ledgerWrites: { region: Region; seq: number; key: string }[] = [];
  /** Batch items as each region's writes found them (the item replicates as a whole, last write wins): a loss undoes its region's last ones. */
  private readonly batchWrites: { region: Region; seq: number; batchNo: number; before: BatchItem | undefined }[] = [];
  /** The round's status as each region's completion or canary hold found it (the round item replicates apart from the batches'). */
  private readonly roundWrites: { region: Region; seq: number; before: World['round'] }[] = [];
  /** Counter-shard updates each region's commits made (the shard item replicates apart from the batch item it counts). */
  private readonly shardWrites: { region: Region; seq: number; shard: string; counters: Record<string, number> }[] = [];
  readonly lost = new Set<Region>();
  /** Regions cut off from the others (alive, stale, no quorum), with what they last saw of the round and project, and when. */
  readonly cutOff = new Map<Region, { round: World['round']; project: World['project']; seq: number }>();
  /** The round's fence (the MRSC fence table): moved only by a failover, unreadable from a region cut off. */
  fence = { homeRegion: HOME as Region, epoch: 1 };
  private readonly losses: Record<Region, AbortController> = { [HOME]: new AbortController(), [SECOND]: new AbortController() };
  /** Letters each region handed to a channel, with the logical time (world.seq) they reached it. */
  readonly handed: { region: Region; seq: number }[] = [];

  constructor(readonly world: World) {}

  /**
   * The region stops existing: every call of its workers dies from now on, its queue is gone, and
   * the ledger entries, counter-shard updates and batch-item writes it made in its last `lag` steps
   * never reach the other region (the batch items are MREC: a plan marked or a wave committed there
   * just before the loss may be gone; the fence table's writes, MRSC, are not).
   */
  lose(region: Region, lag: number): void {
    this.lost.add(region);
    this.losses[region].abort();
    this.queues[region].length = 0;
    for (const w of [...this.batchWrites].reverse()) {
      if (w.region !== region || w.seq < this.world.seq - lag) continue;
      if (w.before) this.world.batches.set(w.batchNo, w.before);
      else this.world.batches.delete(w.batchNo);
    }
    // A completion (or canary hold) written in those last steps is lost with them: the region's writes are taken to replicate in order.
    const lostRound = this.roundWrites.find((w) => w.region === region && w.seq >= this.world.seq - lag);
    if (lostRound) this.world.round = lostRound.before;
    for (const w of this.ledgerWrites) if (w.region === region && w.seq >= this.world.seq - lag) this.world.ledger.delete(w.key);
    for (const w of this.shardWrites) {
      if (w.region !== region || w.seq < this.world.seq - lag) continue;
      const shard = this.world.shards.get(w.shard) ?? {};
      for (const [c, n] of Object.entries(w.counters)) shard[c] = (shard[c] ?? 0) - n;
      this.world.shards.set(w.shard, shard);
    }
  }

  /** The region is cut off but runs on: it keeps its stale view of the round and project, and cannot read the fence. */
  cut(region: Region): void {
    this.cutOff.set(region, { round: this.world.round, project: this.world.project, seq: this.world.seq });
  }

  /** A port whose every call dies once its region is lost (before the call, or after it, its effect made). */
  private dying<T extends object>(region: Region, port: T): T {
    const dead = () => {
      if (this.lost.has(region)) throw new Crash(`${region} lost`);
    };
    return new Proxy(port, {
      get: (target, key) => {
        const value: unknown = Reflect.get(target, key);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          dead();
          const out: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
          // Whatever the call answered, a region lost meanwhile hears nothing back.
          return out instanceof Promise
            ? out.then(
                (r: unknown) => (dead(), r),
                (e: unknown) => {
                  dead();
                  throw e;
                },
              )
            : out;
        };
      },
    });
  }

  deps(region: Region): EngineDeps {
    const base = this.world.deps();
    const world = this.world;
    const channels: ChannelGateway = {
      // Letter by letter (as the gateway's calls are made), so that each letter that reached the
      // channel is known by the region that handed it; a lost region's calls are cut off.
      handOver: async (channel, items, opts) => {
        const signal = AbortSignal.any([opts.signal, this.losses[region].signal]);
        const out = new Map<string, ChannelResult>();
        for (const item of items) {
          const ofItem = () => world.deliveries.filter((d) => d.roundId === item.roundId && d.deliveryId === item.deliveryId);
          const before = ofItem().length;
          for (const [id, r] of await base.channels.handOver(channel, [item], { ...opts, signal })) out.set(id, r);
          for (const d of ofItem().slice(before)) {
            this.handed.push({ region, seq: d.seq });
            // Lost while this letter was out: the region may have died before its hand-over was recorded.
            if (this.lost.has(region) && world.random(2) === 0) world.receipts.delete(`${d.roundId}/${d.deliveryId}`);
          }
        }
        return out;
      },
      fateOf: (...args) => base.channels.fateOf(...args),
    };
    // Each write of a batch item remembers the item as it found it, so that a loss can undo it.
    const written =
      <A extends unknown[], R>(write: (ref: BatchRef, ...rest: A) => Promise<R>) =>
      async (ref: BatchRef, ...rest: A): Promise<R> => {
        const found = world.batches.get(ref.batchNo);
        const before = found ? { ...found } : undefined;
        const out = await write(ref, ...rest);
        this.batchWrites.push({ region, seq: world.seq, batchNo: ref.batchNo, before });
        return out;
      };
    const batches: EngineDeps['batches'] = {
      ...base.batches,
      claim: written(base.batches.claim),
      bindPlan: written(base.batches.bindPlan),
      unclaim: written(base.batches.unclaim),
      commit: written(async (ref, leaseId, next, delta, opts) => {
        await base.batches.commit(ref, leaseId, next, delta, opts);
        this.shardWrites.push({ region, seq: world.seq, shard: opts.canary ? 'K' : String(ref.batchNo % 16), counters: { ...delta.counters } });
      }),
    };
    const ledger = {
      ...base.ledger,
      record: async (entries: readonly Parameters<EngineDeps['ledger']['record']>[0][number][]) => {
        await base.ledger.record(entries);
        for (const e of entries) this.ledgerWrites.push({ region, seq: world.seq, key: `${e.nin}#${e.roundId}#${e.aboutChild ?? ''}` });
      },
    };
    // A region cut off reads its own replicas: the round and project as they were when it was cut off.
    const gate: EngineDeps['gate'] = {
      read: async (...args) => {
        const seen = await base.gate.read(...args);
        const stale = this.cutOff.get(region);
        return stale ? { ...seen, round: { ...stale.round }, project: { ...stale.project } } : seen;
      },
    };
    const fence: EngineDeps['fence'] = {
      homeOf: async () => {
        if (this.cutOff.has(region)) throw new Crash(`${region} cut off: no quorum for a strongly consistent read`);
        return { ...this.fence };
      },
      stopsOf: async () => {
        if (this.cutOff.has(region)) throw new Crash(`${region} cut off: no quorum for a strongly consistent read`);
        return { halted: this.world.halted };
      },
    };
    // A change of the round's status remembers the round as it found it, likewise.
    const roundWrite =
      (change: (projectId: string, roundId: string, at: string) => Promise<boolean>) =>
      async (projectId: string, roundId: string, at: string): Promise<boolean> => {
        const before = world.round;
        const changed = await change(projectId, roundId, at);
        if (changed) this.roundWrites.push({ region, seq: world.seq, before });
        return changed;
      };
    const rounds: EngineDeps['rounds'] = { ...base.rounds, complete: roundWrite(base.rounds.complete), holdForCanary: roundWrite(base.rounds.holdForCanary) };
    const ports = { ...base, gate, fence, batches, channels, ledger, rounds, queue: { enqueue: async (m: readonly DispatchMessage[]) => void this.queues[region].push(...m) } };
    const wrapped = Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, typeof v === 'object' && v !== null && k !== 'settings' ? this.dying(region, v) : v])) as unknown as EngineDeps;
    return { ...wrapped, settings: { ...base.settings, region } };
  }

  private control(region: Region) {
    const w = this.world;
    return dispatchControl({ batches: w.deps().batches, queue: { enqueue: async (m) => void this.queues[region].push(...m) }, batchSize: w.round.release!.layout.batchSize, window: 2 });
  }

  /** Puts the round's unfinished work on a region's queue (a resume). */
  requeue(region: Region): Promise<number> {
    return this.control(region).continue(this.world.round as ReleasedRound);
  }

  /**
   * A failover confirmed in `to`, as the composition root's `homes` do it: the home and epoch move
   * with the ledger hold (one compare-and-set), and the ledger rebuild goes on the new home's
   * queue; its last step puts the round back to work.
   */
  failover(to: Region): void {
    const epoch = (this.world.round.epoch ?? 1) + 1;
    this.fence = { homeRegion: to, epoch };
    this.world.round = { ...(this.world.round as ReleasedRound), homeRegion: to, epoch, ledgerRebuild: true };
    // As the composition root does it: the rebuild starts a lease after the fence moved (the old home's last waves end first).
    this.queues[to].push(rebuildAfterFailover([{ projectId: 'prj', roundId: 'rnd', epoch }], this.world.now, this.world.deps().settings.leaseMs));
  }

  private rebuildDeps(region: Region, engine: EngineDeps): RebuildDeps {
    const w = this.world;
    return {
      rounds: this.dying(region, w.rebuildRounds()),
      batches: engine.batches,
      recipients: engine.recipients,
      ledger: engine.ledger,
      control: this.dying(region, this.control(region)),
      queue: { enqueue: async (jobs) => void this.queues[region].push(...jobs) },
      clock: () => new Date(w.now),
    };
  }

  /** One worker of a region, as its SQS handler: work that must come back goes on its own queue; a dead one's message is lost with its region or comes back. */
  private async work(region: Region, deps: EngineDeps, message: DispatchMessage | LedgerRebuild): Promise<BatchResult | 'crashed' | 'rebuilt' | 'not-due'> {
    try {
      if ('kind' in message) {
        const next = await rebuildLedger(this.rebuildDeps(region, deps), message, Number.POSITIVE_INFINITY);
        if (next) this.queues[region].push(next);
        return next === message ? 'not-due' : 'rebuilt';
      }
      const result = await processBatch(deps, message);
      const retry = (message.retry ?? 0) + 1;
      if (result.kind === 'waiting' || result.kind === 'busy') this.queues[region].push({ ...message, retry });
      if (result.kind === 'committed' && result.retryInMs !== undefined) this.queues[region].push({ ...message, chain: false, retry });
      return result;
    } catch (error) {
      if (!(error instanceof Crash)) throw error;
      // A lost region's message is gone with it; a cut-off one's fails at each delivery until its dead-letter queue.
      if (!this.lost.has(region) && !this.cutOff.has(region)) this.queues[region].push(message);
      return 'crashed';
    }
  }

  /** Both regions' workers until both queues are empty; when none gets anywhere, time passes (leases and deadlines expire). */
  async drain(deps: Record<Region, EngineDeps>, maxRounds = 3_000): Promise<void> {
    for (let i = 0; i < maxRounds && (this.queues[HOME].length > 0 || this.queues[SECOND].length > 0); i++) {
      const runs = ([HOME, SECOND] as const).flatMap((r) => this.queues[r].splice(0, WORKERS).map((m) => this.work(r, deps[r], m)));
      const results = await Promise.all(runs);
      if (results.every((r) => r === 'crashed' || r === 'not-due' || (r !== 'rebuilt' && (r.kind === 'busy' || r.kind === 'waiting')))) this.world.now += 61_000;
    }
  }
}

const sleepTurn = () => new Promise<void>((r) => setImmediate(r));

describe('a round failed over between two regions', () => {
  it('test_should_send_every_letter_once_complete_in_the_new_home_and_hold_a_pause_when_the_home_fails_over_cleanly_or_after_a_region_loss', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 3, max: 12 }),
        fc.constantFrom<'helsenorge-only' | 'digital-mailbox-then-paper' | 'helsenorge-then-paper'>('helsenorge-only', 'digital-mailbox-then-paper', 'helsenorge-then-paper'),
        // When, in hundredths of the round (a round of n recipients takes some 5n steps of world.seq).
        // `lag`: how many steps of the lost region's ledger writes never replicated.
        fc.record({ mode: fc.constantFrom<'clean' | 'loss' | 'cut-off'>('clean', 'loss', 'cut-off'), at: fc.nat(100), lossBefore: fc.nat(20), lag: fc.nat(200) }),
        fc.option(fc.record({ at: fc.nat(110), lasts: fc.nat(30) }), { nil: undefined }),
        fc.nat(3),
        async (seed, recipients, batchSize, rule, failover, pause, doubts) => {
          const world = new World({ recipients, batchSize, seed });
          world.planFence = new Map();
          world.project = { ...world.project, settings: { ...world.project.settings, distributionRule: rule } };
          world.round = { ...(world.round as ReleasedRound), homeRegion: HOME, epoch: 1 };
          world.channelDoubts = doubts;
          const regions = new TwoRegions(world);
          const deps = { [HOME]: regions.deps(HOME), [SECOND]: regions.deps(SECOND) };
          await dispatchControl({ batches: world.deps().batches, queue: { enqueue: async (m) => void regions.queues[HOME].push(...m) }, batchSize, window: 2 }).start(world.round);

          // Events wait for their logical time while the workers run (a message being worked on is off its queue).
          let running = true;
          const until = async (seq: number) => {
            while (world.seq < seq && running) await sleepTurn();
          };
          const stepOf = (hundredths: number) => Math.floor((hundredths * (5 * recipients + 10)) / 100);
          let failedOverAt: number | undefined;
          /** A pause's acknowledgement (nothing of the project in flight in either region) and its resume. */
          let quiet: { from: number; until: number } | undefined;
          const failover$ = (async () => {
            if (failover.mode !== 'clean') {
              await until(stepOf(Math.max(0, failover.at - failover.lossBefore)));
              if (failover.mode === 'loss') regions.lose(HOME, failover.lag);
              else regions.cut(HOME);
            }
            await until(stepOf(failover.at));
            // Confirmed in the new home: the home moves with its epoch, and the work goes on its queue.
            regions.failover(SECOND);
            failedOverAt = world.seq;
          })();
          const pause$ = (async () => {
            if (!pause) return;
            await until(stepOf(pause.at));
            world.project = { ...world.project, status: 'paused' };
            const ops = { batches: world.deps().batches, clock: () => world.now, sleep: sleepTurn };
            for (let i = 0; i < 10_000 && !quiet; i++) {
              if ((await awaitQuiet(ops, 'prj', 0)) === 0) quiet = { from: world.seq, until: Number.POSITIVE_INFINITY };
              else await sleepTurn();
            }
            await until(world.seq + stepOf(pause.lasts));
            if (quiet) quiet.until = world.seq;
            world.project = { ...world.project, status: 'approved' };
            if (world.round.status === 'dispatching') await regions.requeue(world.round.homeRegion === SECOND ? SECOND : HOME);
          })();
          const workers$ = regions.drain(deps).finally(() => (running = false));
          await Promise.all([workers$, failover$, pause$]);
          // Whatever the interleaving left (the failover or the resume after the workers had stopped): the new home finishes it.
          world.channelDoubts = 0;
          if (world.round.status === 'dispatching') await regions.requeue(SECOND);
          await regions.drain(deps);

          // 1. No letter reached a channel twice, nor anyone twice (Digipost deduplicates a re-send under its message-id; ePROM would not).
          const keys = world.deliveries.map((d) => `${d.roundId}/${d.deliveryId}`);
          expect(new Set(keys).size).toBe(keys.length);
          expect(new Set(world.deliveries.map((d) => d.nin)).size).toBe(world.deliveries.length);
          // 2. Nothing reached a channel while the pause stood acknowledged.
          if (quiet) for (const h of regions.handed) expect(h.seq > quiet.from && h.seq < quiet.until, `letter at ${h.seq} inside the pause [${quiet.from}, ${quiet.until})`).toBe(false);
          // 3. The old home stops by itself: after the failover it finishes at most the wave each of its workers had in flight.
          const lateInOldHome = regions.handed.filter((h) => h.region === HOME && failedOverAt !== undefined && h.seq > failedOverAt).length;
          expect(lateInOldHome).toBeLessThanOrEqual(WORKERS * world.deps().settings.waveWidth);
          if (failover.mode === 'loss') expect(lateInOldHome).toBe(0);
          // 3b. Cut off, it stops by itself too: it finishes the waves it had in flight, and never starts another.
          const cut = regions.cutOff.get(HOME);
          if (cut)
            expect(regions.handed.filter((h) => h.region === HOME && h.seq > cut.seq).length, 'letters the cut-off home handed over after the cut').toBeLessThanOrEqual(
              WORKERS * world.deps().settings.waveWidth,
            );
          // 4. Counts add up to the batches (a loss's lost shard updates recounted), everyone is decided, and the round completes in its new home.
          const outcomes = world.outcomes();
          const counts = world.counts();
          expect(counts.sent).toBe(outcomes.filter((o) => o.kind === 'sent').length);
          expect(counts.failed).toBe(outcomes.filter((o) => o.kind === 'failed').length);
          expect(counts.pending).toBe(0);
          expect(world.round).toMatchObject({ status: 'completed', homeRegion: SECOND, epoch: 2 });
          // 5. Every letter that reached a channel is counted sent, or failed in doubt (an ePROM call whose answer was lost, never re-sent).
          const delivered = new Set(world.deliveries.map((d) => d.nin));
          world.nins.forEach((nin, i) => {
            const o = outcomes[i]!;
            if (delivered.has(nin) && !(o.kind === 'failed' && o.reason === 'in_doubt')) expect(o.kind).toBe('sent');
            if (o.kind === 'sent') expect(delivered.has(nin)).toBe(true);
          });
          // 6. The ledger holds every decision the batches record, what a later round's duplicate checks read, the loss's included; the hold is gone.
          world.nins.forEach((nin, i) => {
            const o = outcomes[i]!;
            if (o.kind === 'sent' || o.kind === 'skipped' || o.kind === 'failed') expect(world.ledger.get(`${nin}#rnd#`)?.outcome, `ledger entry of recipient ${i}`).toBe(o.kind);
          });
          expect(world.round.ledgerRebuild).toBeUndefined();
        },
      ),
      { numRuns: Number(process.env.PROP_RUNS ?? 120), seed: Number(process.env.PROP_SEED ?? 20_261_207) },
    );
  }, 120_000);
});
