import { describe, expect, it } from 'vitest';
import type { EngineDeps } from '../../../functions/domain/dispatch/ports.js';
import { countsOf, judge, windowOf } from '../../../functions/domain/dispatch/stages/brake.js';
import { canaryFor, DEFAULT_BRAKE, type BrakeSettings } from '../../../functions/domain/projects/project.js';
import type { ReleasedRound } from '../../../functions/domain/rounds/round.js';
import { work, World } from '../../fixtures/engine-world.js';

/**
 * The automatic brake (issue 27): a watched round pauses its project by itself when, in a window
 * of its recipients, too many letters fail or far more recipients are reserved than the pre-flight
 * found — and only then.
 */
const drain = async (world: World, deps: EngineDeps, workers = 2) => {
  for (let i = 0; i < 2_000 && world.queue.length > 0; i++) {
    const taken = world.queue.splice(0, workers);
    const results = await Promise.all(taken.map((m) => work(world, deps, m)));
    if (results.every((r) => r === 'crashed' || r.kind === 'busy' || r.kind === 'waiting' || r.kind === 'parked')) world.now += 61_000;
  }
};

const watched = (world: World, brake: Partial<BrakeSettings>) => {
  world.project = { ...world.project, settings: { ...world.project.settings, brake: { ...DEFAULT_BRAKE, fromRecipients: 100, windowRecipients: 100, ...brake } } };
};

describe('judging a window', () => {
  const s: BrakeSettings = { fromRecipients: 1, windowRecipients: 1_000, maxFailedPercent: 10, maxReservedExcessPoints: 20, canaryRecipients: 0 };
  const pre = { total: 10_000, reserved: 1_000 };

  it('waits until half a window is decided', () => {
    expect(judge(0, { decided: 499, failed: 499, reserved: 0 }, s, pre)).toBeUndefined();
    expect(judge(0, { decided: 500, failed: 499, reserved: 0 }, s, pre)).toMatchObject({ rule: 'failed', percent: 99.8, limitPercent: 10 });
  });

  it('trips on failures above the limit, not at it', () => {
    expect(judge(3, { decided: 1_000, failed: 100, reserved: 0 }, s, pre)).toBeUndefined();
    expect(judge(3, { decided: 1_000, failed: 101, reserved: 0 }, s, pre)).toEqual({
      window: 3,
      counts: { decided: 1_000, failed: 101, reserved: 0 },
      rule: 'failed',
      percent: 10.1,
      limitPercent: 10,
    });
  });

  it('measures reservations against what the pre-flight found', () => {
    // 10 % found before release, 20 points allowed on top: 30 % is fine, 30.1 % is not.
    expect(judge(0, { decided: 1_000, failed: 0, reserved: 300 }, s, pre)).toBeUndefined();
    expect(judge(0, { decided: 1_000, failed: 0, reserved: 301 }, s, pre)).toMatchObject({ rule: 'reserved', percent: 30.1, limitPercent: 30 });
  });

  it('counts failures and refusals as failed, reservations as reserved, and neither guardian letters nor test sends', () => {
    const e = (outcome: 'sent' | 'skipped' | 'failed', extra: object = {}) => ({ outcome, ...extra }) as Parameters<typeof countsOf>[1][number];
    const entries = [
      e('failed'),
      e('skipped', { reason: 'channel_refused' }),
      e('skipped', { reason: 'reserved' }),
      e('skipped', { reason: 'withdrawn' }),
      e('failed', { aboutChild: 'c' }),
      e('failed', { test: true }),
      e('sent'),
    ];
    expect(countsOf(7, entries)).toEqual({ decided: 7, failed: 2, reserved: 1 });
  });

  it('groups whole batches into windows', () => {
    expect([0, 9, 10, 25].map((b) => windowOf(b, { batchSize: 100 }, { windowRecipients: 1_000 }))).toEqual([0, 0, 1, 2]);
    expect(windowOf(7, { batchSize: 500 }, { windowRecipients: 100 })).toBe(7);
  });
});

describe('the automatic canary', () => {
  const project = (brake: Partial<BrakeSettings>) => ({
    settings: { frequencyCap: 3, distributionRule: 'helsenorge-only' as const, minors: 'exclude' as const, brake: { ...DEFAULT_BRAKE, ...brake } },
  });

  it('is off unless a superuser sets a size; then a watched round created without a canary starts with one', () => {
    expect(canaryFor(project({}), undefined, 1_000_000)).toBeUndefined();
    expect(canaryFor(project({ canaryRecipients: 500 }), undefined, 4_999)).toBeUndefined();
    expect(canaryFor(project({ canaryRecipients: 500 }), undefined, 5_000)).toEqual({ size: 500, automatic: true });
    expect(canaryFor(project({ canaryRecipients: 500, fromRecipients: 100 }), undefined, 300)).toEqual({ size: 300, automatic: true });
  });

  it('the canary asked for at creation wins', () => {
    expect(canaryFor(project({ canaryRecipients: 500 }), { size: 20 }, 30_000)).toEqual({ size: 20 });
  });
});

describe('the brake in the engine', () => {
  it('pauses the project when a window holds far more reserved recipients than the pre-flight found, and says why', async () => {
    const world = new World({ recipients: 400, batchSize: 20, seed: 31 });
    watched(world, {});
    // From recipient 200 on, every other one reserved since the pre-flight (which found none).
    for (let i = 200; i < 400; i += 2) world.reserved.add(world.nins[i]!);
    const deps = world.deps();
    await world.control().start(world.round as ReleasedRound);
    await drain(world, deps);
    expect(world.brakeTrips.length).toBeGreaterThan(0);
    expect(world.brakeTrips[0]).toMatchObject({ rule: 'reserved', window: 2 });
    expect(world.project).toMatchObject({ status: 'paused', pausedBy: 'system:brake' });
    expect(world.project.pauseReason).toMatch(/^Automatisk brems: \d+ av \d+ mottakere \(50 %\) i et utsnitt av runden var reservert/);
    // Sending stopped: the rest of the round waits for a person.
    expect(world.counts().pending).toBeGreaterThan(0);
    expect(world.round.status).toBe('dispatching');
  });

  it('pauses the project when letters fail in a window', async () => {
    const world = new World({ recipients: 400, batchSize: 20, seed: 32 });
    watched(world, { maxFailedPercent: 10 });
    // The portal gives no answer for 40 letters in a row: each one in doubt, counted failed.
    world.channelDoubts = 40;
    await world.control().start(world.round as ReleasedRound);
    await drain(world, world.deps());
    expect(world.brakeTrips[0]).toMatchObject({ rule: 'failed', window: 0 });
    expect(world.project.status).toBe('paused');
    expect(world.counts().pending).toBeGreaterThan(0);
  });

  it('counts afresh after a person resumes: the window that tripped it does not trip it again', async () => {
    const world = new World({ recipients: 400, batchSize: 20, seed: 35 });
    watched(world, { maxFailedPercent: 10 });
    world.channelDoubts = 40;
    await world.control().start(world.round as ReleasedRound);
    await drain(world, world.deps());
    expect(world.brakeTrips).toHaveLength(1);
    expect(world.counts().pending).toBeGreaterThan(0);
    // The channel is mended; operations resume the project, and the round goes on.
    world.project = { ...world.project, status: 'approved', resumedAt: '2026-12-06T23:00:00.000Z' };
    await world.control().continue(world.round as ReleasedRound);
    await drain(world, world.deps());
    expect(world.brakeTrips).toHaveLength(1);
    expect(world.project.status).toBe('approved');
    expect(world.round.status).toBe('completed');
  });

  it('lets a round run whose reservations are what the pre-flight found, and rounds below its size', async () => {
    const expected = new World({ recipients: 400, batchSize: 20, seed: 33 });
    watched(expected, {});
    for (let i = 0; i < 400; i += 2) expected.reserved.add(expected.nins[i]!);
    expected.round = { ...(expected.round as ReleasedRound), preflight: { ...expected.round.preflight, reserved: 200 } };
    await expected.control().start(expected.round);
    await drain(expected, expected.deps());
    expect(expected.brakeTrips).toEqual([]);
    expect(expected.round.status).toBe('completed');

    const small = new World({ recipients: 400, batchSize: 20, seed: 34 });
    watched(small, { fromRecipients: 401 });
    small.channelDoubts = 100;
    await small.control().start(small.round as ReleasedRound);
    await drain(small, small.deps());
    expect(small.brakeTrips).toEqual([]);
    expect(small.round.status).toBe('completed');
    expect(small.windows.size).toBe(0);
  });
});
