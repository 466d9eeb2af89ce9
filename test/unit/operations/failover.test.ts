import { describe, expect, it } from 'vitest';
import { confirmFailover, listPendingFailovers, regionsStatus, requestFailover, type Failover, type FailoverPorts, type RoundHome } from '../../../functions/domain/operations/failover.js';
import { dispatchesIn } from '../../../functions/domain/rounds/round.js';
import type { AuditEvent, AuditLog } from '../../../functions/domain/shared/audit.js';
import type { Principal } from '../../../functions/shared/principal.js';

const ops1: Principal = { sub: 'ops-1', role: 'operations' };
const ops2: Principal = { sub: 'ops-2', role: 'operations' };
const su: Principal = { sub: 'su-1', role: 'superuser' };
const researcher: Principal = { sub: 'r-1', role: 'researcher' };

/** In-memory ports with the same conditions the DynamoDB adapter writes (epoch CAS, pending → executed). */
const world = (homes: RoundHome[], regions = ['eu-central-1', 'eu-west-1'], completed: (RoundHome & { completedAt: string })[] = []) => {
  const failovers = new Map<string, Failover>();
  const rounds = new Map(homes.map((h) => [h.roundId, { ...h }]));
  const events: { action: string; details: unknown }[] = [];
  const requeued: RoundHome[] = [];
  const rebuiltOnly: RoundHome[] = [];
  const beats = new Map<string, string>();
  let n = 0;
  const deps: FailoverPorts = {
    failovers: {
      create: async (f) => void failovers.set(f.failoverId, f),
      get: async (id) => failovers.get(id),
      listPending: async () => [...failovers.values()].filter((f) => f.status === 'pending'),
      markExecuted: async (id, by, at, moved) => {
        const f = failovers.get(id);
        if (f?.status !== 'pending') return false;
        failovers.set(id, { ...f, status: 'executed', confirmedBy: by.sub, ...(by.name ? { confirmedByName: by.name } : {}), confirmedAt: at, moved });
        return true;
      },
    },
    homes: {
      activeHomes: async (roundId) => [...rounds.values()].filter((r) => !roundId || r.roundId === roundId).map((r) => ({ ...r })),
      moveHome: async (home, to) => {
        const r = rounds.get(home.roundId);
        if (r?.epoch !== home.epoch) return false;
        rounds.set(home.roundId, { ...r, homeRegion: to, epoch: r.epoch + 1, ledgerRebuild: true });
        return true;
      },
      completedIn: async (region, since) => completed.filter((c) => c.homeRegion === region && (since === undefined || c.completedAt >= since)).map(({ completedAt: _, ...h }) => h),
      requeue: async (moved, completedToo) => {
        requeued.push(...moved);
        rebuiltOnly.push(...completedToo);
        return moved.length;
      },
    },
    audit: { append: async (_scope: string, e: AuditEvent) => void events.push({ action: e.action, details: e.details }) } as unknown as AuditLog,
    regions,
    here: 'eu-west-1',
    heartbeats: {
      beat: async (region, at) => void beats.set(region, at),
      last: async (region) => beats.get(region),
    },
    clock: () => new Date(Date.parse('2026-12-05T14:00:00Z') + n * 60_000),
    newId: () => `fo-${++n}`,
  };
  return { deps, rounds, events, requeued, rebuiltOnly, failovers, beats };
};

const home = (roundId: string, homeRegion = 'eu-central-1', epoch = 1): RoundHome => ({ projectId: 'p1', roundId, homeRegion, epoch });

describe('failover (issue 25)', () => {
  it('test_should_put_the_ledger_rebuild_of_rounds_a_failed_confirmation_already_moved_on_the_queue_when_it_is_confirmed_again', async () => {
    const w = world([home('r1'), home('r2')]);
    const f = await requestFailover(w.deps, ops1, { to: 'eu-west-1', reason: 'Frankfurt lost' });
    // The first confirmation moves both rounds, then cannot reach the queue: it fails, still pending.
    const requeue = w.deps.homes.requeue;
    const failing: FailoverPorts = { ...w.deps, homes: { ...w.deps.homes, requeue: () => Promise.reject(new Error('SQS unavailable')) } };
    await expect(confirmFailover(failing, ops2, f.failoverId)).rejects.toThrow('SQS unavailable');
    expect(w.rounds.get('r1')).toMatchObject({ homeRegion: 'eu-west-1', epoch: 2, ledgerRebuild: true });
    expect(w.failovers.get(f.failoverId)?.status).toBe('pending');
    // Confirmed again: nothing moves twice, but both rounds, held for a rebuild nobody will run, get it.
    const done = await confirmFailover({ ...w.deps, homes: { ...w.deps.homes, requeue } }, ops2, f.failoverId);
    expect(done).toMatchObject({ status: 'executed', moved: 0 });
    expect(w.rounds.get('r1')).toMatchObject({ homeRegion: 'eu-west-1', epoch: 2 });
    expect(w.requeued.map((h) => [h.roundId, h.epoch]).sort()).toEqual([
      ['r1', 2],
      ['r2', 2],
    ]);
    expect(w.events.at(-1)).toMatchObject({ action: 'failover.executed', details: { moved: [], rebuildEnqueuedAgain: ['r1', 'r2'] } });
  });

  it('the one who asked cannot confirm (FOUR_EYES, 403); nothing moves', async () => {
    const w = world([home('r1')]);
    const f = await requestFailover(w.deps, ops1, { to: 'eu-west-1', reason: 'Frankfurt lost' });
    await expect(confirmFailover(w.deps, ops1, f.failoverId)).rejects.toMatchObject({ code: 'FOUR_EYES', status: 403 });
    await expect(confirmFailover(w.deps, researcher, f.failoverId)).rejects.toMatchObject({ code: 'FOUR_EYES' });
    expect(w.rounds.get('r1')).toMatchObject({ homeRegion: 'eu-central-1', epoch: 1 });
  });

  it('a second operations user confirms: every round moves home with its epoch raised by one, requeued, audited', async () => {
    const w = world([home('r1'), home('r2', 'eu-central-1', 4), home('r3', 'eu-west-1', 2)]);
    const f = await requestFailover(w.deps, ops1, { to: 'eu-west-1', reason: 'Frankfurt lost' });
    const done = await confirmFailover(w.deps, ops2, f.failoverId);
    expect(done).toMatchObject({ status: 'executed', confirmedBy: 'ops-2', moved: 2 });
    expect(w.rounds.get('r1')).toMatchObject({ homeRegion: 'eu-west-1', epoch: 2 });
    expect(w.rounds.get('r2')).toMatchObject({ homeRegion: 'eu-west-1', epoch: 5 });
    expect(w.rounds.get('r3')).toMatchObject({ homeRegion: 'eu-west-1', epoch: 2 });
    expect(w.requeued.map((h) => h.roundId).sort()).toEqual(['r1', 'r2']);
    expect(w.events.map((e) => e.action)).toEqual(['failover.requested', 'failover.executed']);
    await expect(confirmFailover(w.deps, su, f.failoverId)).rejects.toMatchObject({ code: 'FAILOVER_DONE', status: 409 });
  });

  it('test_should_rebuild_the_ledger_of_rounds_the_lost_home_completed_in_its_last_minutes_too_without_moving_them', async () => {
    const completedAt = (iso: string) => ({ ...home('done-late'), completedAt: iso });
    const w = world(
      [home('r1')],
      ['eu-central-1', 'eu-west-1'],
      [
        completedAt('2026-12-05T13:50:00.000Z'),
        { ...completedAt('2026-12-05T13:30:00.000Z'), roundId: 'done-before' },
        { ...completedAt('2026-12-05T13:55:00.000Z'), roundId: 'done-here', homeRegion: 'eu-west-1' },
      ],
    );
    // The lost home's round watch last beat at 13:58 (its beats replicate like every other write).
    w.beats.set('eu-central-1', '2026-12-05T13:58:00.000Z');
    const f = await requestFailover(w.deps, ops1, { to: 'eu-west-1', reason: 'Frankfurt lost' });
    expect(await confirmFailover(w.deps, ops2, f.failoverId)).toMatchObject({ moved: 1 });
    // Completed after its last beat less the margin, in the lost home: rebuilt, not moved.
    expect(w.rebuiltOnly.map((h) => h.roundId)).toEqual(['done-late']);
    expect(w.requeued.map((h) => h.roundId)).toEqual(['r1']);
    expect(w.events.at(-1)!.details).toMatchObject({ ledgerRebuiltToo: ['done-late'] });

    // A region that never beat: every round it completed is rebuilt (nothing says since when it is gone).
    const silent = world([], ['eu-central-1', 'eu-west-1'], [completedAt('2020-01-01T00:00:00.000Z')]);
    const g = await requestFailover(silent.deps, ops1, { to: 'eu-west-1', reason: 'Frankfurt lost' });
    await confirmFailover(silent.deps, ops2, g.failoverId);
    expect(silent.rebuiltOnly.map((h) => h.roundId)).toEqual(['done-late']);
  });

  it('a superuser may confirm; a failover of one round moves only that round', async () => {
    const w = world([home('r1'), home('r2')]);
    const f = await requestFailover(w.deps, ops1, { to: 'eu-west-1', roundId: 'r2', reason: 'drill' });
    await confirmFailover(w.deps, su, f.failoverId);
    expect(w.rounds.get('r1')?.homeRegion).toBe('eu-central-1');
    expect(w.rounds.get('r2')).toMatchObject({ homeRegion: 'eu-west-1', epoch: 2 });
  });

  it('the epoch fences: a round whose epoch moved since it was read is not moved again', async () => {
    const w = world([home('r1')]);
    const f = await requestFailover(w.deps, ops1, { to: 'eu-west-1', reason: 'Frankfurt lost' });
    const stale = { ...w.deps, homes: { ...w.deps.homes, activeHomes: async () => [home('r1')] } };
    // Someone failed r1 over and back in between: epoch 3 in eu-central-1.
    w.rounds.set('r1', home('r1', 'eu-central-1', 3));
    const done = await confirmFailover(stale, ops2, f.failoverId);
    expect(done.moved).toBe(0);
    expect(w.rounds.get('r1')).toMatchObject({ homeRegion: 'eu-central-1', epoch: 3 });
  });

  it('only to one of the stage’s regions, and not at all on a single-region stage', async () => {
    const w = world([home('r1')]);
    await expect(requestFailover(w.deps, ops1, { to: 'eu-north-1', reason: 'x'.repeat(5) })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const single = world([], []);
    await expect(requestFailover(single.deps, ops1, { to: 'eu-west-1', reason: 'xxxxx' })).rejects.toMatchObject({ code: 'NOT_GEOREDUNDANT' });
    expect(await regionsStatus(single.deps)).toBeUndefined();
  });

  it('status shows each region with the rounds it is home of; healthy = its heartbeat is under 3 minutes old', async () => {
    const w = world([home('r1'), home('r2', 'eu-west-1')]);
    // Frankfurt last beat 3 minutes and 1 second ago (stale); Ireland 2 minutes ago.
    await w.deps.heartbeats.beat('eu-central-1', '2026-12-05T13:56:59Z');
    await w.deps.heartbeats.beat('eu-west-1', '2026-12-05T13:58:00Z');
    expect(await regionsStatus(w.deps)).toEqual([
      { name: 'eu-central-1', healthy: false, homeOf: ['r1'] },
      { name: 'eu-west-1', healthy: true, homeOf: ['r2'] },
    ]);
    // A region that never beat is not healthy.
    const third = world([], ['eu-central-1', 'eu-west-1']);
    expect((await regionsStatus(third.deps))!.map((r) => r.healthy)).toEqual([false, false]);
  });

  it('is confirmed only in the region it moves to, whose queue the moved work goes on (409 CONFIRM_IN_TARGET_REGION)', async () => {
    const w = world([home('r1')]);
    const f = await requestFailover(w.deps, ops1, { to: 'eu-central-1', reason: 'fail back' });
    await expect(confirmFailover(w.deps, ops2, f.failoverId)).rejects.toMatchObject({ code: 'CONFIRM_IN_TARGET_REGION', status: 409 });
    expect(w.requeued).toEqual([]);
    expect(w.failovers.get(f.failoverId)?.status).toBe('pending');
  });

  it('lists the pending requests, oldest first, so the second person can pick one; a confirmed one leaves the list', async () => {
    const w = world([home('r1')]);
    const first = await requestFailover(w.deps, ops1, { to: 'eu-west-1', reason: 'Frankfurt lost' });
    const second = await requestFailover(w.deps, ops2, { to: 'eu-west-1', roundId: 'r1', reason: 'drill' });
    // The store answers in key order, not time order.
    const reversed = { ...w.deps, failovers: { ...w.deps.failovers, listPending: async () => [second, first] } };
    expect((await listPendingFailovers(reversed)).map((f) => f.failoverId)).toEqual([first.failoverId, second.failoverId]);
    await confirmFailover(w.deps, ops2, first.failoverId);
    expect(await listPendingFailovers(w.deps)).toEqual([second]);
  });

  it('has nothing to list on a single-region stage (NOT_GEOREDUNDANT)', async () => {
    await expect(listPendingFailovers(world([], []).deps)).rejects.toMatchObject({ code: 'NOT_GEOREDUNDANT', status: 409 });
  });

  it('a worker dispatches a round only in its home region; a round without one everywhere (single-region)', () => {
    expect(dispatchesIn({ homeRegion: 'eu-west-1' }, 'eu-west-1')).toBe(true);
    expect(dispatchesIn({ homeRegion: 'eu-west-1' }, 'eu-central-1')).toBe(false);
    expect(dispatchesIn({}, 'eu-north-1')).toBe(true);
  });
});
