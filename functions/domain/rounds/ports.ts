import type { ContactRecord } from '../dispatch/ports.js';
import type { CounterField, Round, RoundStatus, SkipReason } from './round.js';

/** Fields a status transition may set besides the status. */
export type RoundPatch = Partial<Pick<Round, 'override' | 'cancelledBy' | 'cancelledAt'>> & {
  /** Counter deltas applied in the same conditional write (e.g. cancel: pending → cancelled). */
  readonly addCounts?: Partial<Record<CounterField, number>>;
};

export interface RoundRepository {
  createRound(round: Round): Promise<void>;
  getRound(projectId: string, roundId: string, opts?: { consistent?: boolean }): Promise<Round | undefined>;
  listRounds(projectId: string): Promise<Round[]>;
  /** Rounds in a status across all projects (the dispatch side looks for dispatching rounds). */
  listRoundsByStatus(status: RoundStatus): Promise<Round[]>;
  /**
   * Moves the round to `to` if its status is one of `from`, in one conditional write; throws
   * RoundStateError (409 ROUND_STATE_CHANGED) when someone moved it first.
   */
  transitionRound(projectId: string, roundId: string, from: readonly RoundStatus[], to: RoundStatus, patch?: RoundPatch): Promise<void>;
  /** Adds to the counters (and the skip-reason breakdown) atomically. */
  addToCounts(projectId: string, roundId: string, delta: Partial<Record<CounterField, number>>, skipReasons?: Partial<Record<SkipReason, number>>): Promise<void>;
}

/**
 * Project-wide reads for the pre-flight: a project's contacts and withdrawals are far fewer reads
 * than one per recipient. (Send time reads per recipient, strongly consistent, through the ports.)
 */
export interface ProjectContactsReader {
  contactsOfProject(projectId: string): Promise<ReadonlyMap<string, readonly ContactRecord[]>>;
}
export interface ProjectWithdrawalsReader {
  withdrawnFromProject(projectId: string): Promise<ReadonlySet<string>>;
}
