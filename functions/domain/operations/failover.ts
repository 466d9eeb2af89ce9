import { auditEvent, OPERATIONS_SCOPE, type AuditLog } from '../shared/audit.js';
import { FourEyesError } from '../rounds/round.js';
import { ConflictError, NotFoundError, ValidationError } from '../../shared/errors.js';
import type { Principal } from '../../shared/principal.js';

/**
 * Failover of a georedundant stage (issue 25, docs/georedundancy.md): an operation, never
 * automatic, and four-eyes — one operations user asks, a second operations user or a superuser
 * confirms. Confirming moves the home of each affected round to region `to` by a compare-and-set
 * on its fencing epoch, so two confirmations (or a confirmation racing a fail-back) move a round
 * at most once per epoch. Repeating a confirmation that stopped half-way is safe: rounds already
 * homed in `to` are left alone.
 */
export interface Failover {
  readonly failoverId: string;
  readonly to: string;
  /** One round; absent: every round not yet homed in `to`. */
  readonly roundId?: string;
  readonly reason: string;
  readonly requestedBy: string;
  /** Names as the people's sign-in gave them: the second person sees who asked by name. */
  readonly requestedByName?: string;
  readonly requestedAt: string;
  readonly status: 'pending' | 'executed';
  readonly confirmedBy?: string;
  readonly confirmedByName?: string;
  readonly confirmedAt?: string;
  readonly moved?: number;
}

/** A released, unfinished round's home as the control table holds it. */
export interface RoundHome {
  readonly projectId: string;
  readonly roundId: string;
  readonly homeRegion: string;
  readonly epoch: number;
  /** Moved by a failover and held until its ledger is rebuilt in the new home (round.ts `ledgerRebuild`). */
  readonly ledgerRebuild?: true;
}

export interface FailoverPorts {
  readonly failovers: {
    create(f: Failover): Promise<void>;
    get(failoverId: string): Promise<Failover | undefined>;
    /** Every failover still waiting for its second person, in no particular order. */
    listPending(): Promise<Failover[]>;
    /** Conditional on the failover still being pending; false when someone else confirmed it. */
    markExecuted(failoverId: string, by: { readonly sub: string; readonly name?: string | undefined }, at: string, moved: number): Promise<boolean>;
  };
  readonly homes: {
    /** Homes of the rounds a failover may move: the active ones (or the one named). */
    activeHomes(roundId?: string): Promise<RoundHome[]>;
    /** Sets homeRegion = to and epoch = fromEpoch + 1 if the epoch is still fromEpoch, and holds the round until its ledger is rebuilt. */
    moveHome(home: RoundHome, to: string): Promise<boolean>;
    /** Rounds homed in `region` that completed at or after `since` (every one, without it). */
    completedIn(region: string, since?: string): Promise<RoundHome[]>;
    /**
     * Puts the ledger rebuild of the moved rounds, and of `completedToo` (rounds an old home
     * completed in its last minutes, not moved), on the queue of the region this runs in (the new
     * home); the rebuild's last step puts the moved rounds' batches back to work.
     */
    requeue(moved: readonly RoundHome[], completedToo: readonly RoundHome[]): Promise<number>;
  };
  readonly audit: AuditLog;
  /** The stage's regions; empty on a single-region stage, which has no failover. */
  readonly regions: readonly string[];
  /** The region this runs in: a failover is confirmed in the region it moves to (its queue gets the work). */
  readonly here: string;
  /** Each region's round watch beats once a minute (in the replicated main table); status reads the last beat. */
  readonly heartbeats: {
    beat(region: string, at: string): Promise<void>;
    last(region: string): Promise<string | undefined>;
  };
  readonly clock: () => Date;
  readonly newId: () => string;
}

const notGeoredundant = () => new ConflictError('NOT_GEOREDUNDANT', 'This stage runs in one region: there is nothing to fail over to');

export const requestFailover = async (deps: FailoverPorts, principal: Principal, input: { to: string; roundId?: string; reason: string }): Promise<Failover> => {
  if (deps.regions.length === 0) throw notGeoredundant();
  if (!deps.regions.includes(input.to)) throw new ValidationError(`to must be one of the stage's regions: ${deps.regions.join(', ')}`);
  const failover: Failover = {
    failoverId: deps.newId(),
    to: input.to,
    ...(input.roundId ? { roundId: input.roundId } : {}),
    reason: input.reason,
    requestedBy: principal.sub,
    ...(principal.name ? { requestedByName: principal.name } : {}),
    requestedAt: deps.clock().toISOString(),
    status: 'pending',
  };
  await deps.failovers.create(failover);
  await deps.audit.append(OPERATIONS_SCOPE, auditEvent(principal, 'failover.requested', { failoverId: failover.failoverId, to: failover.to, roundId: failover.roundId, reason: failover.reason }));
  return failover;
};

/**
 * The requests waiting for a second person, oldest first: whoever confirms picks one here instead
 * of being handed its reference by the person who asked.
 */
export const listPendingFailovers = async (deps: Pick<FailoverPorts, 'failovers' | 'regions'>): Promise<Failover[]> => {
  if (deps.regions.length === 0) throw notGeoredundant();
  const pending = await deps.failovers.listPending();
  return [...pending].sort((a, b) => a.requestedAt.localeCompare(b.requestedAt) || a.failoverId.localeCompare(b.failoverId));
};

export const confirmFailover = async (deps: FailoverPorts, principal: Principal, failoverId: string): Promise<Failover & { moved: number }> => {
  if (deps.regions.length === 0) throw notGeoredundant();
  const failover = await deps.failovers.get(failoverId);
  if (!failover) throw new NotFoundError('Failover');
  if (failover.status !== 'pending') throw new ConflictError('FAILOVER_DONE', 'This failover has already been confirmed');
  if (principal.role !== 'operations' && principal.role !== 'superuser') throw new FourEyesError('A failover is confirmed by an operations user or a superuser');
  if (principal.sub === failover.requestedBy) throw new FourEyesError('The person who asked for the failover cannot confirm it');
  // The moved rounds' work is requeued on this region's queue: confirming elsewhere would strand it.
  if (deps.here !== failover.to) throw new ConflictError('CONFIRM_IN_TARGET_REGION', `Confirm this failover through the API of ${failover.to}, the region it moves to`);

  const homes = await deps.homes.activeHomes(failover.roundId);
  const moved: RoundHome[] = [];
  for (const home of homes.filter((h) => h.homeRegion !== failover.to)) {
    if (await deps.homes.moveHome(home, failover.to)) moved.push({ ...home, homeRegion: failover.to, epoch: home.epoch + 1 });
  }
  // Rounds already here but still held for their rebuild: an earlier try of this confirmation moved
  // them and failed before their job reached the queue. Without it they would hold for good; a
  // second job for a round whose first one runs is harmless (the rebuild writes nothing twice).
  const stillHeld = homes.filter((h) => h.homeRegion === failover.to && h.ledgerRebuild);
  // A failover of every round also rebuilds the ledger of those an old home completed lately: their
  // last entries may be lost as well, and nothing else would bring them back.
  const completedToo = failover.roundId ? [] : await completedLately(deps, failover.to);
  // Before marking it executed: a confirmation racing this one moves the rest and requeues its own.
  await deps.homes.requeue([...moved, ...stillHeld], completedToo);
  const at = deps.clock().toISOString();
  if (!(await deps.failovers.markExecuted(failoverId, principal, at, moved.length))) {
    throw new ConflictError('FAILOVER_DONE', 'This failover has already been confirmed');
  }
  await deps.audit.append(
    OPERATIONS_SCOPE,
    auditEvent(principal, 'failover.executed', {
      failoverId,
      to: failover.to,
      roundId: failover.roundId,
      moved: moved.map((h) => ({ roundId: h.roundId, epoch: h.epoch })),
      ...(stillHeld.length > 0 ? { rebuildEnqueuedAgain: stillHeld.map((h) => h.roundId) } : {}),
      ledgerRebuiltToo: completedToo.map((h) => h.roundId),
    }),
  );
  return { ...failover, status: 'executed', confirmedBy: principal.sub, ...(principal.name ? { confirmedByName: principal.name } : {}), confirmedAt: at, moved: moved.length };
};

/**
 * How long before an old home's last heartbeat a round it completed still has its ledger rebuilt:
 * its writes of the minutes before it went quiet may not have replicated (no SLA on the lag), and it
 * beats once a minute.
 */
export const REBUILD_BEFORE_LAST_BEAT_MS = 15 * 60_000;

/** Rounds the other regions completed since their last heartbeat less the margin; all of them for a region that never beat. */
const completedLately = async (deps: Pick<FailoverPorts, 'regions' | 'heartbeats' | 'homes'>, to: string): Promise<RoundHome[]> =>
  (
    await Promise.all(
      deps.regions
        .filter((r) => r !== to)
        .map(async (region) => {
          const last = await deps.heartbeats.last(region);
          return deps.homes.completedIn(region, last ? new Date(Date.parse(last) - REBUILD_BEFORE_LAST_BEAT_MS).toISOString() : undefined);
        }),
    )
  ).flat();

/**
 * A region is healthy while its round watch (once a minute) has beaten within this window: three
 * missed beats, or a region whose beats stopped replicating, reads as unhealthy. A signal for the
 * humans who decide a failover, never a trigger.
 */
export const HEARTBEAT_STALE_MS = 3 * 60_000;

/** `GET /operations/status`'s `regions` on a georedundant stage: health and which rounds each region is home of. */
export const regionsStatus = async (deps: Pick<FailoverPorts, 'homes' | 'regions' | 'heartbeats' | 'clock'>) => {
  if (deps.regions.length === 0) return undefined;
  const homes = await deps.homes.activeHomes();
  const now = deps.clock().getTime();
  return Promise.all(
    deps.regions.map(async (name) => {
      const last = await deps.heartbeats.last(name);
      return { name, healthy: last !== undefined && now - Date.parse(last) <= HEARTBEAT_STALE_MS, homeOf: homes.filter((h) => h.homeRegion === name).map((h) => h.roundId) };
    }),
  );
};
