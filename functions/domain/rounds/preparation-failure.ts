import { DomainError } from '../../shared/errors.js';
import { auditScope } from '../projects/use-cases.js';
import { auditEvent } from '../shared/audit.js';
import { chunkRange } from './preparation.js';
import type { Preparation } from './round.js';
import type { PrepareMessage, RoundDeps, RoundPolicy } from './ports.js';
import { prepareChunk, type PrepareOutcome } from './prepare.js';

/**
 * A chunk of a background pre-flight that fails for good (issue 22): its message was received as
 * often as the prepare queue allows and goes to the dead-letter queue. The round would otherwise
 * stay `preparing` at a count that never grows; instead the chunk is noted on the round
 * (`preparation.failedChunks`, shown as row ranges), audited, and release says PREPARATION_FAILED.
 * `POST /operations/redrive` returns the dead-lettered chunk to the prepare queue; once its result
 * is stored the note goes. Cancel works throughout.
 */

const preparer = { sub: 'preparation', role: 'operations' as const, name: 'Background pre-flight' };

/** A failed chunk as the round shows it: rows numbered from 1 among the list's accepted rows, both ends included. */
export interface FailedChunkRange {
  readonly chunk: number;
  readonly fromRow: number;
  readonly toRow: number;
}

export const failedChunkRanges = (prep: Preparation): FailedChunkRange[] =>
  (prep.failedChunks ?? []).map((chunk) => {
    const { start, end } = chunkRange(chunk, prep.total);
    return { chunk, fromRow: start + 1, toRow: end };
  });

/** The machine-readable kind of a failure: a domain error's code, never its message (which may carry data). */
const failureCode = (error: unknown): string => (error instanceof DomainError ? error.code : 'INTERNAL_ERROR');

/**
 * Notes a chunk that failed for good on its round, once, and audits it. Nothing happens for a
 * round no longer preparing (cancelled, or prepared meanwhile) or a chunk whose result is stored.
 */
export const notePreparationChunkFailed = async (deps: Pick<RoundDeps, 'rounds' | 'audit'>, m: PrepareMessage, error: unknown): Promise<boolean> => {
  const round = await deps.rounds.getRound(m.projectId, m.roundId, { consistent: true });
  if (!round || round.status !== 'preparing' || !round.preparation || m.chunk < 0 || m.chunk >= round.preparation.chunks) return false;
  if (!(await deps.rounds.markPreparationChunkFailed(m.projectId, m.roundId, m.chunk))) return false;
  const { start, end } = chunkRange(m.chunk, round.preparation.total);
  await deps.audit.append(auditScope(m.projectId), auditEvent(preparer, 'round.preparation_failed', { roundId: m.roundId, chunk: m.chunk, fromRow: start + 1, toRow: end, code: failureCode(error) }));
  return true;
};

/**
 * The prepare worker's step: the chunk, and on its last allowed attempt a failure is noted on the
 * round before the error goes on (the message then lands in the dead-letter queue).
 */
export const prepareChunkOrNoteFailure = async (deps: RoundDeps, policy: RoundPolicy, m: PrepareMessage, attempt: { readonly last: boolean }): Promise<PrepareOutcome> => {
  try {
    return await prepareChunk(deps, policy, m);
  } catch (error) {
    if (attempt.last) await notePreparationChunkFailed(deps, m, error);
    throw error;
  }
};
