import { ConflictError, ForbiddenError } from '../../shared/errors.js';
import type { Language, LetterKind } from '../letters/letter.js';
import type { MinorsPolicy } from '../projects/project.js';
import type { Channel } from '../shared/channel.js';

/** One letter a citizen got from a project: what duplicate, cap and complaint checks read. */
export interface ContactRecord {
  readonly projectId: string;
  readonly roundId: string;
  readonly letterId: string;
  readonly version: number;
  readonly contentHash: string;
  readonly sentAt: string;
  /** True for test sends to synthetic persons: never counts as a real contact. */
  readonly test?: boolean;
  readonly channel?: Channel;
}

/**
 * The round: one release of one letter version to one recipient list. This module owns its whole
 * lifecycle — one type, one transition table, one repository (ports.ts), and the use cases that
 * move it (create.ts, prepare.ts, release-round.ts and the other use-case modules beside them). The dispatch engine reads a released round through a narrow
 * gate port and asks this module to complete it or hold it for the canary.
 */
export const ROUND_STATUSES = ['preparing', 'ready', 'held', 'scheduled', 'dispatching', 'canary_hold', 'completed', 'cancelled'] as const;
export type RoundStatus = (typeof ROUND_STATUSES)[number];

/** What the API may show besides the stored statuses: a released round of a paused project. */
export type RoundViewStatus = RoundStatus | 'paused';

/**
 * Every status change a round can make, in one place. Repositories apply them as conditional
 * writes on the `from` status, so concurrent callers make each at most once.
 *   preparing → ready|held  the background pre-flight's last chunk landed (preparation.ts)
 *   ready ⇄ held           duplicate hold (at creation or release) / superuser override
 *   ready → scheduled      release with a future time; scheduled → ready if a gate refuses at fire time
 *   ready|scheduled → dispatching   release (now, or when the schedule fires)
 *   dispatching ⇄ canary_hold       canary done / confirmed
 *   dispatching → completed         every recipient terminal
 *   completed → dispatching         redrive of failed deliveries (reopen)
 *   anything not completed → cancelled
 */
export const TRANSITIONS: Readonly<Record<RoundStatus, readonly RoundStatus[]>> = {
  preparing: ['ready', 'held', 'cancelled'],
  ready: ['held', 'scheduled', 'dispatching', 'cancelled'],
  held: ['ready', 'cancelled'],
  scheduled: ['dispatching', 'ready', 'held', 'cancelled'],
  dispatching: ['canary_hold', 'completed', 'cancelled'],
  canary_hold: ['dispatching', 'cancelled'],
  completed: ['dispatching'],
  cancelled: [],
};

export const canTransition = (from: RoundStatus, to: RoundStatus): boolean => TRANSITIONS[from].includes(to);

/** The statuses a transition to `to` may leave. */
export const sourcesOf = (to: RoundStatus): RoundStatus[] => ROUND_STATUSES.filter((s) => TRANSITIONS[s].includes(to));

/** Statuses in which a round has (or may have) work on the queue. */
export const ACTIVE: readonly RoundStatus[] = ['dispatching', 'canary_hold'];

/** The nine documented count fields; `pending` is derived so they add up to `planned`. */
export interface Counts {
  planned: number;
  sent: number;
  skippedReserved: number;
  skippedWithdrawn: number;
  skippedDuplicate: number;
  skippedOther: number;
  failed: number;
  cancelled: number;
  pending: number;
}

/** The terminal counters (all but planned and pending). */
export const COUNTERS = ['sent', 'skippedReserved', 'skippedWithdrawn', 'skippedDuplicate', 'skippedOther', 'failed', 'cancelled'] as const;
export type Counter = (typeof COUNTERS)[number];

export const emptyCounts = (planned: number): Counts => ({
  planned,
  sent: 0,
  skippedReserved: 0,
  skippedWithdrawn: 0,
  skippedDuplicate: 0,
  skippedOther: 0,
  failed: 0,
  cancelled: 0,
  pending: planned,
});

/** pending is derived, so the nine fields add up to planned by construction. */
export const withPending = (c: Omit<Counts, 'pending'>): Counts => ({
  ...c,
  pending: c.planned - COUNTERS.reduce((sum, k) => sum + c[k], 0),
});

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
  'no_channel',
  'channel_refused',
  'address_protected',
  'minor',
  'no_guardian',
  'guardian_access_reserved',
  'under_guardianship',
  'reservation_unreadable',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export const counterForSkip = (reason: SkipReason): Counter => {
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

/**
 * Who a round reaches, as a national mailing's confirmation states it: the recipients who get the
 * letter, by the channel the project's rule picks from the registry facts read for the pre-flight
 * (paper costs money), and by the language they will read (a missing language falls back as at
 * send time). Children reached through guardians are counted apart (their guardians' channels are
 * decided at send time); a recipient no channel reaches (or whose facts were not read) is
 * `noChannel`: counted in `eligible`, skipped at send time.
 */
export interface Reach {
  readonly byChannel: Readonly<Record<Channel | 'viaGuardians' | 'noChannel', number>>;
  readonly byLanguage: Readonly<Record<Language, number>>;
}

/** What the round's pre-flight reports about recipients under 16 (and adults under guardianship). */
export interface MinorsPreflight {
  /** The policy in force (a pending change is not: see projects/minors-policy.ts). */
  readonly policy: MinorsPolicy;
  /** Recipients under 16 at the moment of the report. */
  readonly underSixteen: number;
  /** Children who will be written about to at least one guardian (counted in `eligible`). */
  readonly viaGuardians: number;
  /** Letters to guardians those children make (a child with two reachable guardians makes two). */
  readonly guardianLetters: number;
  /** Children with no reachable guardian (`no_guardian`). */
  readonly withoutGuardian: number;
  /** 12–15-year-olds who reserved against guardian access: nothing goes to anyone about them. */
  readonly guardianAccessReserved: number;
  /** Children skipped because the policy is `exclude` (`minor`). */
  readonly skippedMinor: number;
  /** Adults under guardianship (`under_guardianship`). */
  readonly underGuardianship: number;
  /** Guardian IDs from the register that failed validation and were ignored (a count, never the IDs). */
  readonly ignoredGuardianIds: number;
}

export interface DuplicateRoundFinding {
  readonly code: 'DUPLICATE_ROUND';
  readonly severity: 'error';
  readonly message: string;
  readonly previousRoundId: string;
  /** Recipients of this round who already got (or are being sent) a letter of that round. */
  readonly overlap: number;
  /** Highest similarity between this version and what they got in that round (0–1). */
  readonly similarity: number;
  readonly reason: 'changed_version' | 'near_identical';
  readonly previousLetterId: string;
  readonly previousVersion: number;
  /** Found at release rather than at creation. */
  readonly atRelease?: boolean;
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

/**
 * How a released round is cut into batches: a pure function of the list's size, the batch size
 * and the canary, fixed at release. Batch n covers recipients [n·batchSize, …) of the immutable
 * list, except that the canary's recipients come first, in batches of their own.
 */
export interface RoundLayout {
  readonly total: number;
  readonly batchSize: number;
  readonly totalBatches: number;
  /** The first `canaryBatches` batches are the canary's (0 without a canary). */
  readonly canaryBatches: number;
  /** Recipients in the canary's batches. */
  readonly canaryRecipients: number;
}

export interface ReleaseInfo {
  readonly releasedBy: string;
  /** The releaser's name as their sign-in gave it (for a scheduled release: whoever scheduled it). */
  readonly releasedByName?: string;
  readonly releasedAt: string;
  readonly layout: RoundLayout;
  /**
   * The citizen hash key version the round's references are made with, for its whole life: its
   * guardians' delivery ids (a retry after a rotation hands the channel the same id) and the
   * child references on their ledger entries and tasks. Absent on rounds released before it was
   * recorded: the current key.
   */
  readonly hashKeyVersion?: string;
}

/**
 * A round whose pre-flight runs in the background (a large list): chunks of `chunkSize` rows,
 * `checked` grows by a chunk's rows exactly once when its result is stored; `waiting` names the
 * registry a chunk could not read (it is retried; the preparation never ends on missing facts).
 */
export interface Preparation {
  readonly total: number;
  readonly checked: number;
  readonly chunks: number;
  readonly chunkSize: number;
  /** Shown as the round's `waitingFor`, like a released round's registry wait. */
  readonly waiting?: Waiting;
  /**
   * Chunks that failed for good (their message exhausted its receives and went to the dead-letter
   * queue), ascending: the round cannot become ready until a redrive stores them (which clears
   * them) or it is cancelled. Release says PREPARATION_FAILED meanwhile.
   */
  readonly failedChunks?: readonly number[];
}

/** A registry a round's batches are waiting for (fail closed: nothing is sent meanwhile). */
export interface Waiting {
  readonly registry: string;
  readonly since: string;
}

interface RoundBase {
  readonly projectId: string;
  readonly roundId: string;
  readonly letterId: string;
  readonly letterVersion: number;
  /** The content hash of the version: what is sent, and the identity for duplicates. */
  readonly contentHash: string;
  readonly kind: LetterKind;
  readonly formTaskId?: string;
  readonly listId: string;
  readonly onlyNonResponders: boolean;
  /** `automatic`: started by the project's brake settings, not asked for at creation. */
  readonly canary?: { readonly size: number; readonly automatic?: true };
  /** With who the letter reaches, by channel and language (rounds created before it lack `reach`). */
  readonly preflight: Preflight & { readonly reach?: Reach };
  readonly findings: readonly RoundFinding[];
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly override?: RoundOverride;
  /** A test send to synthetic persons: its contacts never count as real ones. */
  readonly test?: boolean;
  readonly scheduledFor?: string;
  readonly scheduledBy?: string;
  readonly scheduledByName?: string;
  /** When the round's record goes (DynamoDB TTL, epoch seconds): the long period from completion or cancellation. */
  readonly expiresAt?: number;
  /**
   * Georedundant stages only (docs/georedundancy.md): the region whose workers dispatch this round,
   * and the fencing epoch a failover moves it with (compare-and-set). Absent: single-region.
   */
  readonly homeRegion?: string;
  readonly epoch?: number;
  /**
   * Set by the failover that moved the round (with its epoch), cleared when the new home has
   * rebuilt the contact-ledger entries the old home's last seconds may have lost
   * (dispatch/rebuild-ledger.ts): the round sends nothing meanwhile.
   */
  readonly ledgerRebuild?: true;
  /** Present while (and after) the pre-flight ran in the background. */
  readonly preparation?: Preparation;
}

/** A worker dispatches a round only in its home region; a round without one is single-region. */
export const dispatchesIn = (round: { readonly homeRegion?: string }, region: string): boolean => round.homeRegion === undefined || round.homeRegion === region;

/**
 * A completed round's counts, kept on the round itself: the counter shards are written with the
 * per-recipient detail and go with it, while the board's report — counts and reasons, no person —
 * is kept the long period (the way Notify keeps aggregates after deleting notifications).
 */
export interface FinalCounts {
  readonly counts: Counts;
  readonly skipReasons: Readonly<Record<string, number>>;
  /** Failures by reason (`in_doubt` shown as the round's `inDoubt`). */
  readonly failureReasons?: Readonly<Record<string, number>>;
}

export type UnreleasedRound = RoundBase & { readonly status: 'preparing' | 'ready' | 'held' | 'scheduled'; readonly release?: undefined };
export type ReleasedRound = RoundBase & {
  readonly status: 'dispatching' | 'canary_hold' | 'completed';
  readonly release: ReleaseInfo;
  readonly canaryConfirmed?: boolean;
  readonly completedAt?: string;
  readonly waiting?: Waiting;
  /** The project's audit head sealed at completion. */
  readonly auditHead?: string;
  /** Counts at completion (reopened by a redrive, it counts live again until it completes anew). */
  readonly finalCounts?: FinalCounts;
};
export type CancelledRound = RoundBase & {
  readonly status: 'cancelled';
  /** Present when it was cancelled after release (then its batches mark the rest cancelled). */
  readonly release?: ReleaseInfo;
  readonly cancelledBy: string;
  readonly cancelledAt: string;
  readonly canaryConfirmed?: boolean;
};

/** One round type, a union by status: only a released round has a layout. */
export type Round = UnreleasedRound | ReleasedRound | CancelledRound;

export const isReleased = (r: Round): r is ReleasedRound | (CancelledRound & { release: ReleaseInfo }) => r.release !== undefined;

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
export const overrideOf = (round: Round, by: string, reason: string, now: string): RoundOverride => {
  if (round.status !== 'held') throw new RoundStateError('ROUND_NOT_HELD', `Only a held round can be overridden; this one is ${round.status}`);
  if (round.createdBy === by) throw new FourEyesError('The person who created the round cannot override its hold');
  return { by, at: now, reason };
};

/**
 * The counts of a round that has not been released: nothing decided yet, or (cancelled before
 * release) everyone cancelled.
 */
export const unreleasedCounts = (round: Round): Counts => {
  const c = emptyCounts(round.preflight.total);
  return round.status === 'cancelled' ? withPending({ ...c, cancelled: c.planned }) : c;
};

/**
 * One recipient's outcome in a released round (the engine keeps them per batch, dispatch/batch.ts;
 * the report and redrive read them). It only moves forward:
 *   pending → sent | skipped(reason) | failed | cancelled
 * `sent` and `skipped` are final; `failed` goes back to pending only by a redrive. A transient
 * failure (channel or registry unreachable) leaves the recipient pending with one more try; for a
 * child, with the guardians whose Digipost letter about the child may have left all the same (a
 * call cut off), sealed (dispatch/stages/attempt.ts sealGuardian, bound to the child's delivery
 * id): the next try asks Digipost about those letters and records whom they reached, even a
 * guardian the register no longer lists.
 */
export type RecipientOutcome =
  | { readonly kind: 'pending'; readonly tries: number; readonly tried?: readonly string[] }
  | { readonly kind: 'sent'; readonly channel: Channel; readonly at: number; readonly guardians?: number }
  | { readonly kind: 'skipped'; readonly reason: SkipReason; readonly at: number }
  | { readonly kind: 'failed'; readonly reason: string; readonly channel?: Channel; readonly at: number }
  | { readonly kind: 'cancelled'; readonly at: number };

/** A letter that may exist at a channel without a sender key: never re-sent, never redriven. */
export const IN_DOUBT = 'in_doubt';
