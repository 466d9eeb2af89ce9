import { describe, expect, it } from 'vitest';
import type { EngineDeps } from '../../../functions/domain/dispatch/ports.js';
import { countsOf, judge, windowOf } from '../../../functions/domain/dispatch/stages/brake.js';
import { resumeProject } from '../../../functions/domain/projects/lifecycle.js';
import { canaryFor, DEFAULT_BRAKE, type BrakeSettings, type Project } from '../../../functions/domain/projects/project.js';
import { roundLifecycle } from '../../../functions/domain/rounds/lifecycle.js';
import type { ReleasedRound } from '../../../functions/domain/rounds/round.js';
import { chainEvent, EMPTY_HEAD, type AuditEvent, type AuditLog, type ChainedAuditEvent } from '../../../functions/domain/shared/audit.js';
import { ConflictError } from '../../../functions/shared/errors.js';
import { Crash, work, World } from '../../fixtures/engine-world.js';

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

/**
 * The project item and the project's audit trail as the DynamoDB adapters keep them: a project
 * write is conditional on the revision it read; the trail is append-only, and an append under a
 * key happens once in the scope whoever repeats it. Each call may interleave with the workers.
 */
class ProjectAndAudit {
  readonly trail: ChainedAuditEvent[] = [];
  private readonly onceKeys = new Set<string>();
  /** The next audit write dies (the worker with it) before anything of it is stored. */
  dieAtNextAuditWrite = false;
  /** Whether the project was already paused when that write died. */
  pausedWhenItDied: boolean | undefined;

  constructor(private readonly world: World) {
    world.project = { ...world.project, revision: 0 };
  }

  readonly projects = {
    getProject: async () => {
      await this.world.step();
      return { ...this.world.project };
    },
    saveProject: async (p: Project, expectedRevision: number) => {
      await this.world.step();
      if (this.world.project.revision !== expectedRevision) throw new ConflictError('CONCURRENT_UPDATE', 'changed meanwhile');
      this.world.project = { ...p, revision: expectedRevision + 1 };
    },
    isMember: async () => false,
  };

  private async write(scope: string, event: AuditEvent, key?: string): Promise<ChainedAuditEvent | undefined> {
    await this.world.step();
    if (this.dieAtNextAuditWrite) {
      this.dieAtNextAuditWrite = false;
      this.pausedWhenItDied = this.world.project.status === 'paused';
      throw new Crash('died between the pause and its audit entry');
    }
    if (key !== undefined && this.onceKeys.has(`${scope}#${key}`)) return undefined;
    if (key !== undefined) this.onceKeys.add(`${scope}#${key}`);
    const last = this.trail.at(-1);
    const chained = chainEvent(scope, event, last ? { events: last.seq, head: last.hash } : EMPTY_HEAD);
    this.trail.push(chained);
    return chained;
  }

  readonly audit = {
    append: async (scope: string, event: AuditEvent) => (await this.write(scope, event))!,
    appendOnce: async (scope: string, key: string, event: AuditEvent) => this.write(scope, event, key),
    list: async () => [...this.trail],
    head: async () => EMPTY_HEAD,
  } as unknown as AuditLog;

  actions(action: string): ChainedAuditEvent[] {
    return this.trail.filter((e) => e.action === action);
  }

  /** Pauses recorded in the fence (a georedundant stage's): how many, by project. */
  readonly fence = new Map<string, number>();

  /** The engine's deps with the rounds module's own brake (rounds/lifecycle.ts) on this store and trail; `georedundant`: with a fence. */
  deps(georedundant = false): EngineDeps {
    const base = this.world.deps();
    // As the fence table keeps it: a count (round-repository.ts notePause).
    const fence = {
      noteApprovalReset: async () => undefined,
      notePause: async (projectId: string) => void this.fence.set(projectId, (this.fence.get(projectId) ?? 0) + 1),
    };
    const lifecycle = roundLifecycle({ projects: this.projects, audit: this.audit, ...(georedundant ? { fence } : {}) } as unknown as Parameters<typeof roundLifecycle>[0]);
    return { ...base, rounds: { ...base.rounds, brake: lifecycle.brake, finishPause: lifecycle.finishPause } };
  }
}

/** A watched round whose second half turns out reserved far beyond its pre-flight: the brake trips in window 2. */
const trippingWorld = (seed: number) => {
  const world = new World({ recipients: 400, batchSize: 20, seed });
  watched(world, {});
  for (let i = 200; i < 400; i += 2) world.reserved.add(world.nins[i]!);
  return world;
};

/** A tripping world whose brake-tripping worker dies between the pause and its audit entry, run until it has. */
const tripWithLostAudit = async (seed: number) => {
  const world = trippingWorld(seed);
  const store = new ProjectAndAudit(world);
  store.dieAtNextAuditWrite = true;
  const deps = store.deps();
  await world.control().start(world.round as ReleasedRound);
  for (let i = 0; i < 200 && store.pausedWhenItDied === undefined && world.queue.length > 0; i++) await work(world, deps, world.queue.shift()!);
  expect(store.pausedWhenItDied).toBe(true);
  return { world, store, deps };
};

describe('the brake and its audit entry', () => {
  it('test_should_audit_the_trip_exactly_once_when_the_worker_dies_between_the_pause_and_its_audit_entry', async () => {
    // One worker, until the one that trips the brake dies: the project paused, nothing audited.
    const { world, store, deps } = await tripWithLostAudit(36);
    expect(world.project).toMatchObject({ status: 'paused', pausedBy: 'system:brake' });
    expect(world.project.pauseReason).toMatch(/^Automatisk brems: /);
    expect(store.trail).toEqual([]);

    // Its message comes back after the visibility timeout: the retry meets the pause without its
    // entries, writes them, and sends nothing.
    world.now += 61_000;
    const retry = world.queue.pop()!;
    const sent = world.deliveries.length;
    expect(await work(world, deps, retry)).toMatchObject({ kind: 'parked', why: 'paused' });
    expect(world.deliveries).toHaveLength(sent);
    expect(store.trail.map((e) => e.action)).toEqual(['project.paused', 'round.brake_tripped']);
    expect(store.actions('round.brake_tripped')[0]).toMatchObject({ actor: 'system:brake', details: { roundId: 'rnd', rule: 'reserved', window: 2 } });
    expect(store.actions('project.paused')[0]).toMatchObject({ actor: 'system:brake', details: { statusBeforePause: 'approved' } });
    expect(world.project.pauseAudit).toBeUndefined();

    // Whatever else comes back (the other batches, that one again) adds nothing, and the project stays paused.
    world.queue.push(retry);
    await drain(world, deps);
    expect(store.trail.map((e) => e.action)).toEqual(['project.paused', 'round.brake_tripped']);
    expect(world.project).toMatchObject({ status: 'paused', pausedBy: 'system:brake' });
    expect(world.counts().pending).toBeGreaterThan(0);
  });

  it('test_should_audit_a_trip_whose_audit_entry_was_lost_before_a_person_resumes_the_project', async () => {
    // Only the worker that trips the brake runs: it dies, and its message is not seen again before a person resumes.
    const { world, store } = await tripWithLostAudit(37);
    expect(store.trail).toEqual([]);

    await resumeProject({ projects: store.projects, audit: store.audit } as unknown as Parameters<typeof resumeProject>[0], { sub: 'ola', role: 'operations' }, 'prj');
    expect(world.project.status).toBe('approved');
    expect(store.trail.map((e) => e.action)).toEqual(['project.paused', 'round.brake_tripped', 'project.resumed']);
  });

  it('test_should_record_the_brakes_pause_in_the_fence_on_a_georedundant_stage_so_every_region_holds_the_project', async () => {
    const world = trippingWorld(39);
    const store = new ProjectAndAudit(world);
    const deps = store.deps(true);
    await world.control().start(world.round as ReleasedRound);
    await drain(world, deps, 4);
    expect(world.project).toMatchObject({ status: 'paused', pausedBy: 'system:brake' });
    // The brake's pause, and one more for each batch of the window that tripped it again and found
    // the project paused (pauseProject): held in the fence until a resume ends them all.
    expect(store.fence.get('prj')).toBeGreaterThanOrEqual(1);
  });

  it('test_should_audit_one_trip_once_when_the_batches_of_its_window_trip_it_together', async () => {
    const world = trippingWorld(38);
    const store = new ProjectAndAudit(world);
    const deps = store.deps();
    await world.control().start(world.round as ReleasedRound);
    await drain(world, deps, 4);
    expect(world.project).toMatchObject({ status: 'paused', pausedBy: 'system:brake' });
    expect(store.trail.map((e) => e.action)).toEqual(['project.paused', 'round.brake_tripped']);
  });
});
