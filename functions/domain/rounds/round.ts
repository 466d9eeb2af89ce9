import { ConflictError, ForbiddenError } from '../../shared/errors.js';
import type { LetterKind } from '../letters/letter.js';

/**
 * The round: one release of one letter version to one recipient list. Created here (pre-flight,
 * duplicate-round detection, override, cancel before release); released and dispatched by the
 * dispatch side, which moves the status on and updates the counters.
 */
export const ROUND_STATUSES = ['ready', 'held', 'dispatching', 'canary_hold', 'paused', 'completed', 'cancelled'] as const;
export type RoundStatus = (typeof ROUND_STATUSES)[number];

/** Statuses in which nothing has been sent yet: cancel here is a status change only. */
export const UNRELEASED: readonly RoundStatus[] = ['ready', 'held'];

/** Stored counters (pending is derived). `planned` is the number of recipients the round covers. */
export const COUNTER_FIELDS = ['planned', 'sent', 'skippedReserved', 'skippedWithdrawn', 'skippedDuplicate', 'skippedOther', 'failed', 'cancelled'] as const;
export type CounterField = (typeof COUNTER_FIELDS)[number];
export type RoundCounters = Readonly<Record<CounterField, number>>;

/** Why a recipient gets nothing. The first three have their own counter; the rest go to skippedOther + skipReasons. */
export const SKIP_REASONS = [
  'reserved',
  'withdrawn',
  'duplicate',
  'invalid',
  'deceased',
  'not_found',
  'frequency_cap',
  'not_awaiting_answer',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export const counterForSkip = (reason: SkipReason): CounterField => {
  switch (reason) {
    case 'reserved':
      return 'skippedReserved';
    case 'withdrawn':
      return 'skippedWithdrawn';
    case 'duplicate':
      return 'skippedDuplicate';
    default:
      return 'skippedOther';
  }
};

export interface Preflight {
  /** Recipients on the list (the round's planned count). */
  readonly total: number;
  readonly eligible: number;
  readonly reserved: number;
  readonly withdrawn: number;
  /** Already got this exact content from the project: skipped, never a reason to hold. */
  readonly alreadySent: number;
  readonly invalid: number;
  readonly deceased: number;
  readonly notFound: number;
  readonly frequencyCapped: number;
  /** Reminder rounds: recipients who answered, never got the task, or whose task expired. */
  readonly notAwaitingAnswer: number;
}

export interface DuplicateRoundFinding {
  readonly code: 'DUPLICATE_ROUND';
  readonly severity: 'error';
  readonly message: string;
  readonly previousRoundId: string;
  /** Recipients of this round who already got a letter of that round within the window. */
  readonly overlap: number;
  /** Highest similarity between this version and what they got in that round (0–1). */
  readonly similarity: number;
  readonly reason: 'changed_version' | 'near_identical';
  readonly previousLetterId: string;
  readonly previousVersion: number;
}

export interface OtherRoundFinding {
  readonly code: string;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly [detail: string]: unknown;
}

export type RoundFinding = DuplicateRoundFinding | OtherRoundFinding;

export interface RoundOverride {
  readonly by: string;
  readonly at: string;
  readonly reason: string;
}

export interface Round {
  readonly projectId: string;
  readonly roundId: string;
  readonly letterId: string;
  readonly letterVersion: number;
  /** The content hash of the version at creation: what is sent, and the identity for duplicates. */
  readonly contentHash: string;
  readonly kind: LetterKind;
  readonly formTaskId?: string;
  readonly listId: string;
  readonly onlyNonResponders: boolean;
  readonly canary?: { readonly size: number };
  readonly status: RoundStatus;
  readonly preflight: Preflight;
  readonly findings: readonly RoundFinding[];
  readonly counts: RoundCounters;
  /** Breakdown of skippedOther (and the rest) by SkipReason. */
  readonly skipReasons: Readonly<Partial<Record<SkipReason, number>>>;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly override?: RoundOverride;
  readonly cancelledBy?: string;
  readonly cancelledAt?: string;
}

export const zeroCounters = (planned: number): RoundCounters => ({
  planned,
  sent: 0,
  skippedReserved: 0,
  skippedWithdrawn: 0,
  skippedDuplicate: 0,
  skippedOther: 0,
  failed: 0,
  cancelled: 0,
});

/** The nine API fields: the stored eight plus pending, which makes them add up to planned. */
export const countsView = (c: RoundCounters) => ({
  ...c,
  pending: c.planned - c.sent - c.skippedReserved - c.skippedWithdrawn - c.skippedDuplicate - c.skippedOther - c.failed - c.cancelled,
});

export class RoundStateError extends ConflictError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

export class FourEyesError extends ForbiddenError {
  constructor(message: string) {
    super(message, 'FOUR_EYES');
  }
}

/** A held round becomes ready only by a superuser other than its creator, with a written reason. */
export const overridden = (round: Round, by: string, reason: string, now: string): Round => {
  if (round.status !== 'held') throw new RoundStateError('ROUND_NOT_HELD', `Only a held round can be overridden; this one is ${round.status}`);
  if (round.createdBy === by) throw new FourEyesError('The person who created the round cannot override its hold');
  return { ...round, status: 'ready', override: { by, at: now, reason }, updatedAt: now };
};

/** Before release nothing is in flight: every recipient is counted cancelled. */
export const cancelledBeforeRelease = (round: Round, by: string, now: string): Round => {
  if (!UNRELEASED.includes(round.status)) {
    throw new RoundStateError('ROUND_NOT_CANCELLABLE', `A round that is ${round.status} cannot be cancelled here`);
  }
  const pending = countsView(round.counts).pending;
  return {
    ...round,
    status: 'cancelled',
    counts: { ...round.counts, cancelled: round.counts.cancelled + pending },
    cancelledBy: by,
    cancelledAt: now,
    updatedAt: now,
  };
};
