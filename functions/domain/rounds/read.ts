import { NotFoundError } from '../../shared/errors.js';
import type { Principal } from '../../shared/principal.js';
import type { Project } from '../projects/project.js';
import { loadProject } from '../projects/use-cases.js';
import type { RoundDeps } from './ports.js';
import type { ReceiptsReader, ReceiptSummary } from '../receipts/ports.js';
import { ACTIVE, isReleased, RoundStateError, unreleasedCounts, type Counts, type Round, type RoundViewStatus } from './round.js';

export const loadRound = async (deps: Pick<RoundDeps, 'rounds'>, projectId: string, roundId: string): Promise<Round> => {
  const round = await deps.rounds.getRound(projectId, roundId, { consistent: true });
  if (!round) throw new NotFoundError('Round');
  return round;
};

export const stateChanged = () => new RoundStateError('ROUND_STATE_CHANGED', 'The round changed status in the meantime; reload it and try again');

/** A round as the API shows it: live counts (exact whenever read) and `paused` for a paused project's active round. */
export interface RoundWithCounts {
  readonly round: Round;
  readonly status: RoundViewStatus;
  readonly counts: Counts;
  readonly skipReasons: Readonly<Record<string, number>>;
  /** Failed recipients by reason; `in_doubt`: a letter that may exist and is never re-sent. */
  readonly failureReasons?: Readonly<Record<string, number>>;
}

export const withCounts = async (deps: Pick<RoundDeps, 'progress'>, round: Round, project: Pick<Project, 'status'>): Promise<RoundWithCounts> => {
  if (!isReleased(round)) return { round, status: round.status, counts: unreleasedCounts(round), skipReasons: {} };
  // A completed round's counts are kept on it: they outlive the counter shards.
  if (round.status === 'completed' && round.finalCounts) return { round, status: round.status, ...round.finalCounts };
  const { counts, skipReasons, failureReasons } = await deps.progress.progress(round.roundId, round.release.layout.total);
  const status: RoundViewStatus = project.status === 'paused' && ACTIVE.includes(round.status) && counts.pending > 0 ? 'paused' : round.status;
  return { round, status, counts, skipReasons, ...(failureReasons ? { failureReasons } : {}) };
};

export const getRound = async (deps: RoundDeps, principal: Principal, projectId: string, roundId: string): Promise<RoundWithCounts> => {
  const project = await loadProject(deps, principal, projectId, 'read');
  return withCounts(deps, await loadRound(deps, projectId, roundId), project);
};

/**
 * A round with what the channels reported after the hand-over (a released, real round that handed
 * at least one letter over: where nothing was handed over — everyone skipped, or the local channel
 * stand-in, which keeps no hand-overs — there is nothing to report); never changes the counts.
 */
export const getRoundWithReceipts = async (
  deps: RoundDeps & { readonly receipts: Pick<ReceiptsReader, 'summary'> },
  principal: Principal,
  projectId: string,
  roundId: string,
): Promise<RoundWithCounts & { readonly receipts?: ReceiptSummary }> => {
  const view = await getRound(deps, principal, projectId, roundId);
  const receipts = view.round.release && !view.round.test ? await deps.receipts.summary(view.round.roundId) : undefined;
  const any = receipts !== undefined && receipts.confirmed + receipts.failedAfterSend + receipts.awaiting > 0;
  return { ...view, ...(any ? { receipts } : {}) };
};

export const listRounds = async (deps: RoundDeps, principal: Principal, projectId: string): Promise<RoundWithCounts[]> => {
  const project = await loadProject(deps, principal, projectId, 'read');
  const rounds = (await deps.rounds.listRounds(projectId)).filter((r) => !r.test);
  return Promise.all(rounds.map((r) => withCounts(deps, r, project)));
};

/**
 * Letters of the project handed over after `since`, counted from their delivery times in the
 * contact ledger (not the round counters, which catch up later): how a pause shows "0 letters
 * since". Operations read any project (their access is `read`).
 */
export const lettersSentSince = async (deps: RoundDeps, principal: Principal, projectId: string, since: string): Promise<{ since: string; sent: number; lastSentAt?: string }> => {
  await loadProject(deps, principal, projectId, 'read');
  const released = (await deps.rounds.listRounds(projectId)).filter((r) => !r.test && r.release !== undefined).map((r) => r.roundId);
  const { sent, lastSentAt } = released.length ? await deps.contacts.sentSince(projectId, released, since) : { sent: 0, lastSentAt: undefined };
  return { since, sent, ...(lastSentAt ? { lastSentAt } : {}) };
};
