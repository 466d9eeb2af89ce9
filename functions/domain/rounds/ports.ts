import type { HashKeyring } from '../shared/citizen-key.js';
import type { CitizenFactsReader } from '../citizens/registries.js';
import type { CitizenTaskRepository, FormTaskRepository, LetterRepository, LinkProber } from '../letters/ports.js';
import type { RecipientListRepository } from '../lists/ports.js';
import type { ProjectRepository } from '../projects/ports.js';
import type { AuditLog } from '../shared/audit.js';
import type { CheckDigitRule } from '../shared/nin.js';
import type { RetentionPolicy } from '../shared/retention.js';
import type { ChunkSummary } from './preparation.js';
import type { ContactRecord, Counts, FinalCounts, ReleaseInfo, ReleasedRound, Round, RoundLayout, RoundOverride, RoundStatus, Waiting } from './round.js';

/** Fields a status transition may set besides the status. */
export interface RoundPatch {
  readonly override?: RoundOverride;
  readonly cancelledBy?: string;
  readonly cancelledAt?: string;
  readonly release?: ReleaseInfo;
  readonly canaryConfirmed?: boolean;
  readonly canaryConfirmedBy?: string;
  readonly completedAt?: string;
  readonly scheduledFor?: string | null;
  readonly scheduledBy?: string | null;
  readonly scheduledByName?: string | null;
  readonly findings?: Round['findings'];
  readonly expiresAt?: number;
  readonly finalCounts?: FinalCounts;
  /** Georedundant stages: the home a release gives the round, with its first fencing epoch. */
  readonly homeRegion?: string;
  readonly epoch?: number;
  readonly preflight?: Round['preflight'];
  readonly preparation?: Round['preparation'];
}

/** The one repository of the round aggregate. */
export interface RoundRepository {
  createRound(round: Round): Promise<void>;
  getRound(projectId: string, roundId: string, opts?: { consistent?: boolean }): Promise<Round | undefined>;
  listRounds(projectId: string): Promise<Round[]>;
  /** Rounds in a status across all projects (dispatching rounds for recovery, scheduled ones to fire). */
  listRoundsByStatus(status: RoundStatus): Promise<Round[]>;
  /**
   * Moves the round to `to` if its status is one of `from`, in one conditional write; false when
   * someone moved it first. The transition table (round.ts) is checked before anything is written.
   */
  transitionRound(projectId: string, roundId: string, from: readonly RoundStatus[], to: RoundStatus, patch?: RoundPatch): Promise<boolean>;
  /**
   * Release: the transition to `dispatching` together with the project's release sequence moving
   * from `seenSeq` on, in one transaction. Two releases of one project therefore serialise: the
   * second finds the sequence moved, re-reads the other rounds and decides again.
   */
  releaseRound(projectId: string, roundId: string, from: readonly RoundStatus[], release: ReleaseInfo, seenSeq: number): Promise<'released' | 'round_changed' | 'raced'>;
  /** The project's release sequence (see releaseRound). */
  releaseSeq(projectId: string): Promise<number>;
  setWaiting(projectId: string, roundId: string, waiting: Waiting | undefined): Promise<void>;
  /**
   * A background pre-flight's chunk result, stored once: the result and the round's
   * `preparation.checked` grow together in one transaction, on conditions that the chunk has no
   * result yet and the round is still preparing. False (and nothing written) otherwise, so a chunk
   * delivered twice is counted once, and a cancelled round takes no more.
   */
  recordPreparedChunk(projectId: string, roundId: string, chunk: number, summary: ChunkSummary): Promise<boolean>;
  /**
   * A chunk that failed for good (its message exhausted its receives): added to the round's
   * `preparation.failedChunks`, on conditions that the round is still preparing, the chunk has no
   * stored result and is not noted already; true when newly noted. Only a stored result clears it
   * (recordPreparedChunk removes the chunk from `failedChunks` in its transaction).
   */
  markPreparationChunkFailed(projectId: string, roundId: string, chunk: number): Promise<boolean>;
  /** The chunk results stored so far. */
  preparedChunks(projectId: string, roundId: string): Promise<ChunkSummary[]>;
  /** The registry a preparing round waits for (undefined clears); only while it prepares. */
  setPreparationWaiting(projectId: string, roundId: string, waiting: Waiting | undefined): Promise<void>;
  /** The audit head sealed when the round completed (its report names it). */
  setAuditHead(projectId: string, roundId: string, head: string): Promise<void>;
}

export interface RoundContacts {
  /** Everyone the project sent to (optionally only in some rounds), with what they got. */
  sentByProject(projectId: string, roundIds: readonly string[]): Promise<Map<string, ContactRecord[]>>;
  /** The contacts of these citizens only (one batched read): what a chunk of a background pre-flight needs. */
  contactsIn(nins: readonly string[], projectId: string, roundIds: readonly string[]): Promise<Map<string, ContactRecord[]>>;
  /**
   * Letters of these rounds handed over after `since` (ISO), counted from their delivery times,
   * with the latest of them: what a pause may claim, whatever the round counters still say.
   */
  sentSince(projectId: string, roundIds: readonly string[], since: string): Promise<{ sent: number; lastSentAt?: string }>;
}

/** Live counts of released rounds (the dispatch engine's counter shards). */
export interface RoundProgressReader {
  progress(roundId: string, planned: number): Promise<{ counts: Counts; skipReasons: Readonly<Record<string, number>>; failureReasons?: Readonly<Record<string, number>> }>;
}

/** What the rounds module asks of the dispatch engine: put a released round's batches to work. */
export interface DispatchControl {
  layout(total: number, canarySize?: number): RoundLayout;
  /** The first window of batches on the queue (release, schedule fire). */
  start(round: ReleasedRound): Promise<void>;
  /** Unfinished batches back to work (resume, confirm canary, recovery); returns messages enqueued. */
  continue(round: ReleasedRound): Promise<number>;
  /** Every unfinished batch once, so its pending recipients are counted cancelled. */
  cancelRemaining(round: Round): Promise<void>;
  /** failed → pending in every batch of the round; returns the recipients moved and their batches. */
  resetFailed(round: ReleasedRound): Promise<{ recipients: number; batches: number[] }>;
  /** These batches on the queue once each (no chaining). */
  enqueueOnce(round: ReleasedRound, batches: readonly number[]): Promise<void>;
}

export interface RoundDeps {
  readonly projects: ProjectRepository;
  readonly audit: AuditLog;
  readonly rounds: RoundRepository;
  readonly letters: LetterRepository;
  readonly lists: RecipientListRepository;
  readonly citizens: CitizenFactsReader;
  readonly contacts: RoundContacts;
  readonly formTasks: FormTaskRepository;
  readonly citizenTasks: CitizenTaskRepository;
  readonly progress: RoundProgressReader;
  readonly prober: LinkProber;
  readonly dispatch: DispatchControl;
  /** Chunks of background pre-flights (lists above PREPARE_INLINE_MAX rows). */
  readonly prepareQueue: PrepareQueue;
  readonly halted: () => Promise<boolean>;
  /**
   * The citizen hash keys (read only when called): the version a release records, and a child's
   * references under every live version, as their guardians' tasks may record them (a reminder's
   * pre-flight asks whether the guardians answered).
   */
  readonly hashKeys: () => HashKeyring;
  /** How long lists and rounds are kept (RETENTION_DAYS, RETENTION_LONG_DAYS); the defaults when absent. */
  readonly retention?: RetentionPolicy;
}

export interface RoundPolicy {
  readonly allowSynthetic: boolean;
  readonly checkDigits?: CheckDigitRule;
}

/** A queued chunk of a background pre-flight. */
export interface PrepareMessage {
  readonly projectId: string;
  readonly roundId: string;
  readonly chunk: number;
}

export interface PrepareQueue {
  enqueue(messages: readonly PrepareMessage[], opts?: { delaySeconds?: number }): Promise<void>;
}
