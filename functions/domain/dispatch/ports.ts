import type { HashKeyring } from '../shared/citizen-key.js';
import type { CitizenFactsReader } from '../citizens/registries.js';
import type { BrakeCounts, BrakeTrip } from '../rounds/brake.js';
import type { GuardianAsked } from '../letters/form-tasks.js';
import type { Language, LetterVersion } from '../letters/letter.js';
import type { Recipient } from '../lists/recipient-list.js';
import type { Project } from '../projects/project.js';
import type { StatisticsRecorder } from '../statistics/ports.js';
import type { ContactRecord } from '../rounds/round.js';
import type { Counts, Round, Waiting } from '../rounds/round.js';
import type { BatchState, CountDelta, FencedPlan, Plan } from './batch.js';
import type { ChannelGateway } from './channels.js';
import type { Channel } from '../shared/channel.js';

/**
 * Every port of the dispatch engine, in one place. The engine plans nothing per recipient: a
 * released round is a layout over its immutable list, each batch one stored item (BatchStore),
 * and the only durable per-letter write is the contact ledger entry, batched.
 */

/** One durable decision about one person in one round: complaints, frequency caps, duplicates. */
export interface LedgerEntry {
  /** The person the entry is about: the recipient, or a guardian who got a letter about a child. */
  readonly nin: string;
  readonly projectId: string;
  readonly roundId: string;
  readonly letterId: string;
  readonly version: number;
  readonly contentHash: string;
  readonly at: string;
  readonly outcome: 'sent' | 'skipped' | 'failed';
  readonly reason?: string;
  /** For `invalid`: which send-time check refused the letter (a code, never content). */
  readonly detail?: string;
  readonly channel?: Channel;
  readonly test?: boolean;
  /** A letter to a guardian: a pseudonymous reference of the child it concerns (one entry per child). */
  readonly aboutChild?: string;
  /** A child reached through this many guardians. */
  readonly viaGuardians?: number;
  /** A letter that left: the recipient's row in the round's list (a guardian's: the child's), whose fields filled it. */
  readonly row?: number;
  /** …the language it was written in, and its fingerprint (letters/fingerprint.ts): what a complaint lookup checks against. */
  readonly language?: Language;
  readonly letterHash?: string;
}

export interface ContactLedger {
  /** Sent contacts of these citizens in these rounds of the project: one batched, strongly consistent read. */
  contactsIn(nins: readonly string[], projectId: string, roundIds: readonly string[]): Promise<Map<string, ContactRecord[]>>;
  /** Idempotent per (person, project, round[, child]): a retried batch rewrites the same entries. */
  record(entries: readonly LedgerEntry[]): Promise<void>;
  /**
   * Writes only those of `entries` not recorded yet, never overwriting one (a failover's rebuild:
   * a rebuilt entry knows less than the original); returns how many it wrote.
   */
  recordMissing(entries: readonly LedgerEntry[]): Promise<number>;
  /** Everyone the project sent to, by round (pre-flight and release checks; an eventually consistent index). */
  sentByProject(projectId: string, roundIds: readonly string[]): Promise<Map<string, ContactRecord[]>>;
  /** Every decision about one person (complaint lookup), the ID used only as the key of their own records. */
  decisionsAbout(nin: string): Promise<LedgerEntry[]>;
}

export interface BatchRef {
  readonly projectId: string;
  readonly roundId: string;
  readonly batchNo: number;
}

export type ClaimResult =
  /** `fenced`: georedundant stages, the batch's plans as the fence table keeps them (withFencedPlans). */
  | { readonly kind: 'claimed'; readonly state: BatchState; readonly fenced?: readonly FencedPlan[] }
  | { readonly kind: 'done'; readonly state: BatchState }
  /** Another worker holds a live lease until then. */
  | { readonly kind: 'busy'; readonly until: number };

export interface RoundProgress {
  readonly counts: Counts;
  readonly skipReasons: Readonly<Record<string, number>>;
  /** Recipients of the canary's batches that are terminal. */
  readonly canaryTerminal: number;
  /** Failed recipients by reason (`in_doubt`: a letter that may exist, never re-sent). */
  readonly failureReasons: Readonly<Record<string, number>>;
}

/**
 * The batch items of released rounds, the round's counter shards and the in-flight markers.
 * Each method is one atomic step; a commit moves the batch's outcomes and its counter shard
 * together (so counts are exact whenever read) and drops the in-flight marker.
 */
/** Where a batch stands in its chain (layout.ts `restartPoints`). */
export interface BatchChain {
  readonly batchNo: number;
  readonly done: boolean;
  readonly chained: boolean;
}

export interface BatchStore {
  read(ref: BatchRef, size: number): Promise<BatchState>;
  /** Claims the batch (creating its item on first use) unless a live lease holds it or it is done. */
  claim(ref: BatchRef, size: number, leaseId: string, leaseUntil: number, now: number): Promise<ClaimResult>;
  /**
   * Marks one wave in flight: what a pause or halt waits for, until `until` (the hard deadline of
   * the wave's channel calls) and no longer. Written before the worker's last read of the flags, so
   * a pause either is seen by that read or sees this marker.
   */
  markWave(ref: BatchRef, leaseId: string, letters: number, until: number): Promise<void>;
  /**
   * Binds the wave's plan under our lease, right before its first channel call: every letter that
   * may leave from here. If we die, the next attempt learns these letters' fate before anything else.
   * `seq`: the plan's number within the batch (one above the attempt's last); a georedundant stage
   * keeps it in the fence table too, where a region's loss cannot take it.
   */
  bindPlan(ref: BatchRef, leaseId: string, plan: Plan, seq: number): Promise<void>;
  /** Lets go of a claim without sending anything more (blocked, registry down, out of time); drops its plan unless told to keep it. */
  unclaim(ref: BatchRef, leaseId: string, opts?: { keepPlan?: boolean }): Promise<void>;
  /**
   * After an unexpected error: drops the in-flight marker (no call of this worker is in flight:
   * the engine never throws while one is) but keeps the lease, which expires as a dead worker's
   * would, and the plan, which binds the retry.
   */
  abandon(ref: BatchRef, leaseId: string): Promise<void>;
  /**
   * Writes the batch's new outcomes and counter delta under our lease, dropping the wave's plan and
   * marker; `keepLease` for a wave that is not the attempt's last. Throws LeaseLostError when the
   * claim was taken over.
   */
  commit(ref: BatchRef, leaseId: string, next: Pick<BatchState, 'outcomes' | 'chained' | 'planSeq'>, delta: CountDelta, opts: { canary: boolean; keepLease?: boolean }): Promise<void>;
  progress(roundId: string, planned: number): Promise<RoundProgress>;
  /** Every batch of the round: whether it is done and whether it has handed on (never started: neither). */
  chains(roundId: string, totalBatches: number): Promise<BatchChain[]>;
  /** Letters in flight (marked, the wave's deadline not passed) of one project or, undefined, of all. */
  inFlight(projectId: string | undefined, now: number): Promise<number>;
  /**
   * Removes this region's in-flight markers whose wave's deadline passed before `before` (a worker
   * that died before its commit dropped them; they already count for nothing): how many went. A
   * single-region stage's markers expire by TTL and this does nothing there.
   */
  sweepDeadMarkers(before: number): Promise<number>;
  /** Every batch item of the round that exists (never-started batches are absent: all pending). */
  readAll(roundId: string): Promise<Map<number, BatchState>>;
  /** Batches holding failed outcomes. */
  batchesWithFailures(roundId: string): Promise<number[]>;
  /** failed → pending for one batch (redrive), with its counter shard, never a letter in doubt; returns how many moved. */
  redrive(ref: BatchRef, opts: { canary: boolean }): Promise<number>;
  /**
   * Sets the round's counters to exactly what these batches count (each batch's outcomes against a
   * fresh batch), replacing every shard: after a region loss the shards and the batch items they
   * count may have replicated apart (rebuild-ledger.ts). Only while nothing of the round commits.
   */
  recount(ref: Pick<BatchRef, 'projectId' | 'roundId'>, batches: readonly { readonly batchNo: number; readonly canary: boolean; readonly delta: CountDelta }[]): Promise<void>;
  /** Adds what an attempt decided to one of the round's brake windows (`window`: its key); answers the window's totals after. */
  addToWindow(roundId: string, window: string, counts: BrakeCounts): Promise<BrakeCounts>;
}

export class LeaseLostError extends Error {
  constructor() {
    super('the claim expired and was taken over; the other worker finishes the batch');
    this.name = 'LeaseLostError';
  }
}

/** What every batch reads, strongly consistent, before it claims and again right before each wave. */
export interface Gate {
  readonly halted: boolean;
  readonly project?: Project;
  readonly round?: Round;
  /** The round's letter version, read (never cached) with the rest when asked for: its approval is mutable. */
  readonly version?: LetterVersion;
  /** The project's release sequence: it moves whenever one of its rounds is released. */
  readonly releaseSeq: number;
  /** Georedundant stages: the round's fence as read with the rest (RoundFence); absent when it has none. */
  readonly fence?: Fence;
  /** Georedundant stages: the fence holds a pause of the project that no resume has ended (RoundFence.stopsOf). */
  readonly pauseHeld?: boolean;
  /** Georedundant stages: the latest reset of the project's approval as the fence holds it (RoundFence.stopsOf). */
  readonly approvalResetAt?: string;
}

export interface GatePort {
  read(projectId: string, roundId: string, letter?: { readonly letterId: string; readonly version: number }): Promise<Gate>;
}

/** Where a round may send: its home region and the epoch a failover moves (georedundant stages). */
export interface Fence {
  readonly homeRegion: string;
  readonly epoch: number;
}

/**
 * The rounds' fences (georedundant stages): written by a release and moved by a failover's
 * compare-and-set, in a store that stays strongly consistent across regions (the MRSC fence
 * table). Read at every gate read, never cached. A region cut off from the others cannot read it
 * and must throw: the read fails, and so nothing is sent there (fail closed), whatever its own
 * replicas of the round and the project still say.
 */
export interface RoundFence {
  homeOf(projectId: string, roundId: string): Promise<Fence | undefined>;
  /**
   * The stops as the fence table holds them, seen at once in every region — where the replicated
   * operations state and project may not show them yet: the halt of all sending (operations write
   * it there before the operations state), whether a pause of the project holds (each pause counted
   * after the project is written and before it is acknowledged; a resume ends those it read), and
   * the time of its approval's latest reset (written after the project went back to review, before
   * the change is answered).
   */
  stopsOf(projectId: string): Promise<Stops>;
}

export interface Stops {
  readonly halted: boolean;
  /** More pauses recorded than the last resume ended (counted, never timed: no host's clock decides). */
  readonly pauseHeld?: boolean;
  readonly approvalResetAt?: string;
}

/** What the engine asks of the rounds module: it owns the round's status. */
export interface RoundLifecycle {
  /** dispatching → completed, once; false when it was not dispatching. */
  complete(projectId: string, roundId: string, at: string): Promise<boolean>;
  /** dispatching → canary_hold, once, when the canary's batches are done. */
  holdForCanary(projectId: string, roundId: string, at: string): Promise<boolean>;
  /** The automatic brake tripped: the project is paused (by the brake, with why) and it is audited. */
  brake(projectId: string, roundId: string, trip: BrakeTrip): Promise<void>;
  /**
   * The project is paused with its pause's audit entries still on it (`pauseAudit`: whoever paused
   * it died before writing them, the brake's worker say): they are written, once however many call.
   */
  finishPause(projectId: string): Promise<void>;
  /** Shows (or clears) what the round's batches wait for. */
  noteWaiting(projectId: string, roundId: string, waiting: Waiting | undefined): Promise<void>;
  /**
   * The project's released rounds (for the ledger's relevant rounds) as of its release sequence
   * `releaseSeq`: a round becomes released only with the sequence moving, and what the engine
   * reads of a released round never changes, so an answer may be kept per sequence.
   */
  projectRounds(projectId: string, releaseSeq: number): Promise<Round[]>;
}

export interface RecipientSource {
  /** Recipients [start, end) of an immutable list. */
  slice(listId: string, start: number, end: number): Promise<Recipient[]>;
}

/** A unit of work on the dispatch queue: one batch of one round. */
export interface DispatchMessage {
  readonly projectId: string;
  readonly roundId: string;
  readonly batchNo: number;
  /** Whether the batch hands on to batch + window when it first commits; false for one-off work (retries, cancel, redrive). */
  readonly chain?: boolean;
  /** Retries of this batch after a transient failure (backoff grows with it). */
  readonly retry?: number;
}

/**
 * A failover's ledger rebuild (rebuild-ledger.ts), one job for every round the failover moved, at
 * the epoch it moved them to; `at` is where the walk goes on (a job that ran out of time re-enqueues
 * itself from there).
 */
export interface LedgerRebuild {
  readonly kind: 'rebuild-ledger';
  readonly rounds: readonly { readonly projectId: string; readonly roundId: string; readonly epoch: number }[];
  readonly at: { readonly round: number; readonly batch: number };
  /** Epoch ms before which the job does nothing (rebuild-ledger.ts `rebuildAfterFailover`): the old home's last waves end first. */
  readonly notBefore?: number;
}

export interface DispatchQueue {
  enqueue(messages: readonly DispatchMessage[], opts?: { delaySeconds?: number }): Promise<void>;
}

/** Issues the citizen's task record for a form-task letter, returning its id and link (if external). */
export interface TaskIssuer {
  issue(
    /**
     * A guardian's task about a child (the task belongs to the guardian): `aboutChild` the child's
     * reference (pseudonymOfChild, the task's and the ledger's key), `childPseudonym` the child's
     * own pseudonym in the project (projectPseudonym: their row in the round report).
     */
    items: readonly { nin: string; deliveryId: string; language: Language; aboutChild?: string; childPseudonym?: string }[],
    /** `pseudonymKeyVersion`: the project's (Project.pseudonymKeyVersion), kept on each task for its answer. */
    ctx: { projectId: string; roundId: string; formTaskId: string; sentAt: string; pseudonymKeyVersion?: string },
  ): Promise<Map<string, { taskId: string; link?: string }>>;
}

export interface EngineSettings {
  /** How long a claim holds; at least the worker's timeout, so an expired lease means a dead worker. */
  readonly leaseMs: number;
  /** The hard deadline of one wave's channel calls: no call of a wave outlives it (abort signal). */
  readonly channelTimeoutMs: number;
  /** Letters handed over at once (one wave): what a pause waits for at most. */
  readonly waveWidth: number;
  /** Time kept back at the end of an invocation for the last commit. */
  readonly commitBudgetMs: number;
  /** Attempts per recipient before a transient failure becomes `failed`. */
  readonly maxTries: number;
  /** Messages a round may have on the queue at a time. */
  readonly window: number;
  /**
   * The region this worker runs in (georedundant stages): a round is dispatched here only while
   * its fence names this region, checked at every gate read — before the claim and before every
   * wave — so a failover stops this region within one wave, and a region cut off from the fence
   * stops at once. Absent: single-region (no fence is read).
   */
  readonly region?: string;
}

export interface EngineDeps {
  readonly gate: GatePort;
  readonly fence: RoundFence;
  readonly batches: BatchStore;
  readonly rounds: RoundLifecycle;
  readonly recipients: RecipientSource;
  readonly citizens: CitizenFactsReader;
  readonly ledger: ContactLedger;
  readonly channels: ChannelGateway;
  readonly tasks: TaskIssuer;
  /** Reminder rounds: those of `nins` who still have the form task open and unanswered. */
  readonly nonResponders: (projectId: string, formTaskId: string, nins: readonly string[]) => Promise<Set<string>>;
  /**
   * Reminder rounds: which guardians still have their task about a child open and unanswered
   * (keys `guardianAwaitingKey(guardian, aboutChild)`). A child's reminder goes to those only.
   */
  readonly guardiansAwaiting: (projectId: string, formTaskId: string, asked: readonly GuardianAsked[]) => Promise<Set<string>>;
  readonly queue: DispatchQueue;
  /** Form tasks (the external form's URL the send-time check allows in a letter). */
  readonly formTasks?: import('../letters/ports.js').FormTaskRepository;
  /**
   * The citizen hash keys (read when called): a round names its guardians' letters and the children
   * they concern with the version recorded at its release (never the IDs); reminders look a child
   * up under every live version.
   */
  readonly hashKeys: () => HashKeyring;
  /** Per-organisation volumes (statistics and invoicing), added when a batch commits. */
  readonly statistics?: StatisticsRecorder;
  readonly clock: () => Date;
  readonly settings: EngineSettings;
}
