import { auditPendingPause, pauseProject } from '../projects/lifecycle.js';
import { auditScope } from '../projects/use-cases.js';
import { auditEvent, sealAuditHead, type AuditSeal } from '../shared/audit.js';
import type { ProjectFence } from '../projects/ports.js';
import type { RoundDeps } from './ports.js';
import { brakeReason, type BrakeTrip } from './brake.js';
import { keepListFrom, roundKeptUntil } from './retention.js';
import { isReleased, type Round, type Waiting } from './round.js';

/** The rounds module's side of the engine: it owns these status changes. */
export const roundLifecycle = (
  deps: Pick<RoundDeps, 'rounds' | 'audit' | 'lists' | 'progress' | 'retention' | 'projects' | 'citizens'> & {
    readonly auditSeal: AuditSeal;
    /** Georedundant stages: the brake's pause recorded in the fence too (pauseProject), so every region holds the project at once. */
    readonly fence?: ProjectFence;
  },
) => ({
  /**
   * dispatching → completed, once, with its final counts and the long retention of its record;
   * its list is kept the retention period from now (before the status changes). Then the
   * project's audit head — now including the completion — is sealed in the write-once store, and
   * kept on the round for its report.
   * Sealing the same head again is harmless, so a retry after a failed seal is safe.
   */
  async complete(projectId: string, roundId: string, at: string): Promise<boolean> {
    const round = await deps.rounds.getRound(projectId, roundId, { consistent: true });
    if (!round || !isReleased(round)) return false;
    const finalCounts = await deps.progress.progress(roundId, round.release.layout.total);
    // The list first: whoever sees the round completed finds its list kept from the completion, and
    // a crash between the two only keeps the list longer (an extension never shortens).
    await keepListFrom(deps, projectId, round.listId, at);
    const moved = await deps.rounds.transitionRound(projectId, roundId, ['dispatching'], 'completed', {
      completedAt: at,
      expiresAt: roundKeptUntil(deps, at),
      finalCounts: { counts: finalCounts.counts, skipReasons: finalCounts.skipReasons, ...(finalCounts.failureReasons ? { failureReasons: finalCounts.failureReasons } : {}) },
    });
    if (!moved) return false;
    await deps.audit.append(auditScope(projectId), { at, actor: 'dispatch', role: 'system', action: 'round.completed', details: { roundId } });
    const sealed = await sealAuditHead(deps, projectId, `round ${roundId} completed`, at);
    await deps.rounds.setAuditHead(projectId, roundId, sealed.head);
    return true;
  },
  async holdForCanary(projectId: string, roundId: string, at: string): Promise<boolean> {
    const moved = await deps.rounds.transitionRound(projectId, roundId, ['dispatching'], 'canary_hold');
    if (moved) await deps.audit.append(auditScope(projectId), { at, actor: 'dispatch', role: 'system', action: 'round.canary_done', details: { roundId } });
    return moved;
  },
  /**
   * The automatic brake tripped: the project is paused by the brake with why, in words a
   * researcher and operations read; the trip's figures are audited with the pause, written in the
   * same project write and appended once after it (pauseProject). Once paused, a second trip
   * (another batch of the same window) changes nothing and is not audited again.
   */
  async brake(projectId: string, roundId: string, trip: BrakeTrip): Promise<void> {
    await pauseProject(deps, BRAKE, projectId, brakeReason(trip), undefined, [auditEvent(BRAKE, 'round.brake_tripped', { roundId, ...trip })]);
  },
  /** A pause met with its audit entries still on the project (its pauser died before writing them): they are written, once. */
  finishPause: (projectId: string): Promise<void> => auditPendingPause(deps, projectId),
  noteWaiting: (projectId: string, roundId: string, waiting: Waiting | undefined) => deps.rounds.setWaiting(projectId, roundId, waiting),
  /** The project's released rounds (the sequence says which; a read per call: the composition root keeps answers per sequence). */
  projectRounds: async (projectId: string, _releaseSeq: number): Promise<Round[]> => (await deps.rounds.listRounds(projectId)).filter(isReleased),
});

/** Who pauses a project when the brake trips (audited as such; operations resume it). */
export const BRAKE = { sub: 'system:brake', role: 'operations' as const, name: 'Automatisk brems' };
