import { ConflictError, NotFoundError } from '../../shared/errors.js';
import type { Principal } from '../../shared/principal.js';
import { checkLetterVersion } from '../letters/check.js';
import type { LetterRepository, LinkProber } from '../letters/ports.js';
import type { RecipientListRepository } from '../lists/ports.js';
import type { ProjectRepository } from '../projects/ports.js';
import type { Project } from '../projects/project.js';
import { auditScope, loadProject } from '../projects/use-cases.js';
import { auditEvent, OPERATIONS_SCOPE, type AuditLog } from '../shared/audit.js';
import { awaitQuiet, requeueRounds, requeueUnfinished, type OperationsDeps } from './operations.js';
import { releaseRound, type RoundDispatchState } from './release.js';
import type { DispatchRound, DispatchStore } from './store.js';

export interface DispatchUseCaseDeps {
  readonly projects: ProjectRepository;
  readonly letters: LetterRepository;
  readonly lists: RecipientListRepository;
  readonly prober: LinkProber;
  readonly audit: AuditLog;
  readonly store: DispatchStore;
  readonly rounds: RoundDispatchState;
  readonly ops: { read(): Promise<{ halted: boolean; reason?: string; at?: string; by?: string }>; write(s: { halted: boolean; reason?: string; at?: string; by?: string }): Promise<void> };
  readonly operations: OperationsDeps;
  readonly startPlanning: (projectId: string, roundId: string) => Promise<void>;
}

const LINK_CODES = new Set(['BROKEN_LINK', 'LINK_NOT_HTTPS', 'LINK_DOMAIN_NOT_ALLOWED', 'PERSONAL_DATA_IN_LINK']);

const loadRound = async (deps: DispatchUseCaseDeps, project: Project, roundId: string): Promise<DispatchRound> => {
  const round = (await deps.store.gateState(project.projectId, roundId)).round;
  if (!round) throw new NotFoundError('Round');
  return round;
};

export const release = async (deps: DispatchUseCaseDeps, principal: Principal, projectId: string, roundId: string) => {
  const project = await loadProject(deps, principal, projectId, 'edit');
  const round = await loadRound(deps, project, roundId);
  await releaseRound(
    {
      halted: async () => (await deps.ops.read()).halted,
      version: (p, l, v) => deps.letters.getVersion(p, l, v),
      liveLinkFindings: async (p, version) =>
        (await checkLetterVersion({ prober: deps.prober }, p, version, { live: true })).filter((f) => LINK_CODES.has(f.code)),
      plannedCount: async (p, listId) => {
        const list = await deps.lists.getList(p, listId);
        if (!list) throw new NotFoundError('Recipient list');
        return list.accepted;
      },
      rounds: deps.rounds,
      startPlanning: deps.startPlanning,
      audit: deps.audit,
    },
    principal,
    project,
    round,
  );
  return { roundId, status: 'dispatching' as const };
};

/** After the canary's letters went out and a person looked at them: send the rest. */
export const confirmCanary = async (deps: DispatchUseCaseDeps, principal: Principal, projectId: string, roundId: string) => {
  const project = await loadProject(deps, principal, projectId, principal.role === 'superuser' ? 'review' : 'edit');
  await loadRound(deps, project, roundId);
  if (!(await deps.rounds.transition(projectId, roundId, ['canary_hold'], 'dispatching', { canaryConfirmed: true, canaryConfirmedBy: principal.sub }))) {
    throw new ConflictError('ROUND_NOT_IN_CANARY_HOLD', 'The round is not waiting for a canary confirmation');
  }
  await deps.audit.append(auditScope(projectId), auditEvent(principal, 'round.canary_confirmed', { roundId }));
  if (project.status !== 'paused' && !(await deps.ops.read()).halted) {
    const round = (await deps.store.gateState(projectId, roundId)).round!;
    await requeueRounds(deps.operations, [{ ...round, planned: round.planned ?? 0 }]);
  }
  return { roundId, status: 'dispatching' as const };
};

/** The dispatch side of a pause: wait until nothing of the project is in flight. */
export const quietProject = (deps: DispatchUseCaseDeps, projectId: string) => awaitQuiet(deps.operations, projectId);

/** The dispatch side of a resume: parked batches go back on the queue. */
export const continueProject = (deps: DispatchUseCaseDeps, projectId: string) => requeueUnfinished(deps.operations, projectId);

export const halt = async (deps: DispatchUseCaseDeps, principal: Principal, reason: string) => {
  const at = new Date().toISOString();
  const before = await deps.ops.read();
  if (!before.halted) {
    await deps.ops.write({ halted: true, reason, at, by: principal.sub });
    await deps.audit.append(OPERATIONS_SCOPE, auditEvent(principal, 'dispatch.halted', { reason }));
  }
  const inFlight = await awaitQuiet(deps.operations, undefined);
  return { halted: true, inFlight, haltedAt: before.halted ? before.at : at };
};

export const resumeAll = async (deps: DispatchUseCaseDeps, principal: Principal) => {
  const before = await deps.ops.read();
  if (!before.halted) return { halted: false, requeued: 0 };
  await deps.ops.write({ halted: false, at: new Date().toISOString(), by: principal.sub });
  await deps.audit.append(OPERATIONS_SCOPE, auditEvent(principal, 'dispatch.resumed', {}));
  // Paused projects stay parked: their own resume re-enqueues them.
  const paused = new Set((await deps.projects.listAllProjects()).filter((p) => p.status === 'paused').map((p) => p.projectId));
  let requeued = 0;
  const active = await deps.operations.activeRounds();
  for (const projectId of new Set(active.map((r) => r.projectId))) {
    if (!paused.has(projectId)) requeued += await requeueUnfinished(deps.operations, projectId);
  }
  return { halted: false, requeued };
};

/**
 * Cancels a released round: no batch claims anything after this (each re-reads the round's status
 * after claiming), and the unfinished batches are put on the queue so that their pending
 * deliveries are marked cancelled and counted.
 */
export const cancelReleased = async (deps: DispatchUseCaseDeps, principal: Principal, projectId: string, roundId: string) => {
  const need = principal.role === 'researcher' ? 'edit' : principal.role === 'superuser' ? 'review' : 'pause';
  const project = await loadProject(deps, principal, projectId, need);
  const round = await loadRound(deps, project, roundId);
  const at = new Date().toISOString();
  if (!(await deps.rounds.transition(projectId, roundId, ['dispatching', 'canary_hold'], 'cancelled', { cancelledBy: principal.sub, cancelledAt: at }))) {
    throw new ConflictError('ROUND_NOT_CANCELLABLE', `A round that is ${round.status} cannot be cancelled`);
  }
  await deps.audit.append(auditScope(projectId), auditEvent(principal, 'round.cancelled', { roundId, from: round.status }));
  const progress = await deps.store.progress(roundId, round.planned ?? 0);
  // Every unfinished batch at once, not a window: cancelling is quick, and these messages do not chain.
  await deps.operations.queue.enqueue(progress.incompleteBatches.map((b) => ({ projectId, roundId, batchNo: b.batchNo, chain: false })));
};

/**
 * What a round's status and counts are now: released rounds are counted from the dispatch
 * store's per-batch counters (exact at any moment); a dispatching round of a paused project
 * shows as `paused`.
 */
export const liveCounts = async <R extends { roundId: string; projectId: string; status: string; counts: object; skipReasons: object }>(
  deps: Pick<DispatchUseCaseDeps, 'store'>,
  round: R,
  projectStatus: string,
): Promise<R> => {
  const released = (round as { releasedAt?: string }).releasedAt !== undefined;
  if (!released) return round;
  const planned = Number((round.counts as { planned?: number }).planned ?? 0);
  const progress = await deps.store.progress(round.roundId, planned);
  const status = projectStatus === 'paused' && ['dispatching', 'canary_hold'].includes(round.status) ? 'paused' : round.status;
  return { ...round, status, counts: progress.counts, skipReasons: progress.skipReasons };
};
