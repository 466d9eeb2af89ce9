import { ConflictError, DomainError } from '../../shared/errors.js';
import type { Finding, LetterContentByLanguage, LetterVersion } from '../letters/letter.js';
import type { Project } from '../projects/project.js';
import { minorsPolicyPending } from '../projects/minors-policy.js';
import { letterSimilarity, NEAR_DUPLICATE_THRESHOLD } from './similarity.js';
import type { DuplicateRoundFinding, Round } from './round.js';
import { isReleased } from './round.js';

export class ReleaseRefusedError extends ConflictError {}

export class ScheduleOutOfRangeError extends DomainError {
  constructor(message: string) {
    super('VALIDATION_FAILED', 400, message, [{ field: 'at', code: 'SCHEDULE_OUT_OF_RANGE', message }]);
  }
}

/** A scheduled release lies in the future, at most a year ahead. */
export const MAX_SCHEDULE_MS = 366 * 86_400_000;

/**
 * The gates a release checks at the last moment, in the documented order; the first failing one
 * refuses. Approval is bound to content: the version must carry an approval (written conditional
 * on its content hash). Links — and an external form's URL — are probed live.
 */
export const gateRefusal = (input: { halted: boolean; project: Project; version: LetterVersion | undefined; liveLinkFindings: readonly Finding[]; round: Round }): ReleaseRefusedError | undefined => {
  const { round } = input;
  const refused = sendingRefusal(input);
  if (refused) return refused;
  if (round.status === 'held') {
    return new ReleaseRefusedError('DUPLICATE_ROUND', 'The round repeats a letter to people who already got a version of it; a superuser must override it first', round.findings);
  }
  if (round.status === 'preparing' && round.preparation?.failedChunks?.length) {
    return new ReleaseRefusedError('PREPARATION_FAILED', 'Part of the list could not be checked; operations can redrive it, or the round can be cancelled', {
      failedChunks: round.preparation.failedChunks.length,
    });
  }
  if (round.status !== 'ready' && round.status !== 'scheduled') return new ReleaseRefusedError('ROUND_NOT_READY', `The round is ${round.status}`);
  return undefined;
};

/** The release gates that do not depend on the round's own status: what a redrive passes again too. */
export const sendingRefusal = (input: {
  halted: boolean;
  project: Project;
  version: LetterVersion | undefined;
  liveLinkFindings: readonly Finding[];
  round: Pick<Round, 'letterVersion'>;
}): ReleaseRefusedError | undefined => {
  const { project, version, round } = input;
  if (input.halted) return new ReleaseRefusedError('DISPATCH_HALTED', 'All dispatch is halted by operations');
  if (project.status === 'paused') return new ReleaseRefusedError('PROJECT_PAUSED', 'The project is paused');
  if (project.status !== 'approved') return new ReleaseRefusedError('PROJECT_NOT_APPROVED', 'The project has not been approved by a superuser');
  if (minorsPolicyPending(project)) return new ReleaseRefusedError('MINORS_POLICY_NOT_APPROVED', "A change of the project's policy for minors waits for a superuser's approval");
  if (!version?.approval) return new ReleaseRefusedError('LETTER_NOT_APPROVED', `Version ${round.letterVersion} of the letter has not been approved`);
  const broken = input.liveLinkFindings.filter((f) => f.severity === 'error');
  if (broken.length > 0) return new ReleaseRefusedError('BROKEN_LINK', 'A link in the letter does not work now', broken);
  return undefined;
};

/** How two letter versions relate, for the cross-round rules. */
export type Relation = 'identical' | 'changed_version' | 'near_identical' | 'unrelated';

export const relationOf = (
  a: { letterId: string; version: number; contentHash: string; content: LetterContentByLanguage },
  b: { letterId: string; version: number; contentHash: string; content: LetterContentByLanguage },
): { relation: Relation; similarity: number } => {
  if (a.contentHash === b.contentHash) return { relation: 'identical', similarity: 1 };
  const similarity = letterSimilarity(a.content, b.content);
  if (similarity >= NEAR_DUPLICATE_THRESHOLD) return { relation: 'near_identical', similarity };
  if (a.letterId === b.letterId) return { relation: 'changed_version', similarity };
  return { relation: 'unrelated', similarity };
};

/** Another round of the project, as the cross-round rules see it. */
export interface OtherRound {
  readonly round: Round;
  readonly relation: Relation;
  readonly similarity: number;
  /** Still has work: dispatching, in canary hold, or paused with work left. */
  readonly active: boolean;
  /** Recipients of this round that are on the other round's list (active rounds). */
  readonly listOverlap: number;
  /** Recipients of this round the other round already sent to. */
  readonly sentOverlap: number;
}

/**
 * The cross-round rules (API.md, release). Nobody gets the same content twice, however rounds are
 * timed; a changed or near-identical version waits for a superuser.
 * - Another round with overlapping recipients and the same or near-identical content still has
 *   work → OVERLAPPING_ROUND_ACTIVE (try again when it is done).
 * - A changed or near-identical version to anyone who already got an earlier one, or who is on
 *   the list of a round still sending the earlier one → DUPLICATE_ROUND (the round is held).
 *   An override by a superuser accepts the changed version, never simultaneous identical sends.
 * Identical content already sent is no reason to refuse: those recipients are skipped at send.
 */
export type CrossRoundVerdict = { kind: 'ok' } | { kind: 'overlapping'; roundId: string; overlap: number } | { kind: 'duplicate'; findings: DuplicateRoundFinding[] };

export const crossRoundVerdict = (others: readonly OtherRound[], overridden: boolean): CrossRoundVerdict => {
  for (const o of others) {
    if (o.active && o.listOverlap > 0 && (o.relation === 'identical' || o.relation === 'near_identical')) {
      return { kind: 'overlapping', roundId: o.round.roundId, overlap: o.listOverlap };
    }
  }
  if (overridden) return { kind: 'ok' };
  const findings: DuplicateRoundFinding[] = [];
  for (const o of others) {
    if (o.relation !== 'changed_version' && o.relation !== 'near_identical') continue;
    const overlap = Math.max(o.sentOverlap, o.active ? o.listOverlap : 0);
    if (overlap === 0) continue;
    findings.push({
      code: 'DUPLICATE_ROUND',
      severity: 'error',
      message:
        o.relation === 'changed_version'
          ? `${overlap} recipient(s) already got, or are being sent, version ${o.round.letterVersion} of this letter in round ${o.round.roundId}; a superuser must override to send a correction`
          : `${overlap} recipient(s) already got, or are being sent, a near-identical letter (similarity ${o.similarity.toFixed(2)}) in round ${o.round.roundId}; a superuser must override to send it`,
      previousRoundId: o.round.roundId,
      overlap,
      similarity: o.similarity,
      reason: o.relation,
      previousLetterId: o.round.letterId,
      previousVersion: o.round.letterVersion,
      atRelease: true,
    });
  }
  return findings.length > 0 ? { kind: 'duplicate', findings } : { kind: 'ok' };
};

/**
 * The refusal a cross-round verdict means, or undefined for `ok`: one wording for release,
 * schedule firing and redrive (`hint` adds what the caller can do next).
 */
export const verdictRefusal = (verdict: CrossRoundVerdict, hint: { overlapping?: string; duplicate?: string } = {}): ReleaseRefusedError | undefined => {
  if (verdict.kind === 'overlapping') {
    return new ReleaseRefusedError(
      'OVERLAPPING_ROUND_ACTIVE',
      `Round ${verdict.roundId} is still sending the same or near-identical letter to ${verdict.overlap} of these recipients${hint.overlapping ?? ''}`,
      { roundId: verdict.roundId, overlap: verdict.overlap },
    );
  }
  if (verdict.kind === 'duplicate') {
    return new ReleaseRefusedError('DUPLICATE_ROUND', `Recipients already got, or are being sent, an earlier or near-identical version of this letter${hint.duplicate ?? ''}`, verdict.findings);
  }
  return undefined;
};

/** Rounds the cross-round rules look at: released, real (not test sends), of the same project. */
export const comparableRounds = (rounds: readonly Round[], self: Round): Round[] => rounds.filter((r) => r.roundId !== self.roundId && !r.test && isReleased(r));
