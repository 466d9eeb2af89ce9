import type { Project } from '../projects/project.js';
import type { Channel, SkipReason } from './decide.js';
import type { Counts, Delivery } from './delivery.js';
import type { ContactRecord } from './ports.js';

/** The parts of a round the pipeline reads; rounds themselves belong to the rounds module. */
export interface DispatchRound {
  readonly projectId: string;
  readonly roundId: string;
  readonly status: string;
  readonly letterId: string;
  readonly letterVersion: number;
  readonly listId: string;
  readonly canarySize?: number;
  readonly canaryConfirmed?: boolean;
  /** Set at release: the number of recipients; every count adds up to it. */
  readonly planned?: number;
  readonly test?: boolean;
  readonly onlyNonResponders?: boolean;
  /** Set by the planner: how many batches the round has, the first `canaryBatches` of them the canary's. */
  readonly totalBatches?: number;
  readonly canaryBatches?: number;
  readonly formTaskId?: string;
}

/** What every batch re-reads, strongly consistent, before it claims and again after. */
export interface GateState {
  readonly halted: boolean;
  readonly project?: Project;
  readonly round?: DispatchRound;
}

export type Outcome =
  | { readonly deliveryId: string; readonly status: 'sent'; readonly channel: Channel; readonly contact: ContactRecord; readonly nin: string; readonly channelAttempts?: number }
  | { readonly deliveryId: string; readonly status: 'skipped'; readonly reason: SkipReason }
  | { readonly deliveryId: string; readonly status: 'failed'; readonly reason: string; readonly channel?: Channel; readonly channelAttempts?: number };

export interface BatchRef {
  readonly projectId: string;
  readonly roundId: string;
  readonly batchNo: number;
}

export interface RoundProgress {
  readonly counts: Counts;
  readonly skipReasons: Readonly<Record<string, number>>;
  /** Batches with deliveries not yet terminal: what to enqueue again on resume or redrive. */
  readonly incompleteBatches: readonly { readonly batchNo: number; readonly canary: boolean }[];
  readonly canaryComplete: boolean;
}

/**
 * The pipeline's persistence port. Implementations must make each method one atomic step:
 * claims and finalisations are conditional on the delivery's state and lease, and counters move in
 * the same transaction as the deliveries they count.
 */
export interface DispatchStore {
  /** Writes a batch's pending deliveries and its counter record. With `resume`, existing records are left untouched. */
  writeBatch(ref: BatchRef, deliveries: readonly Delivery[], opts: { resume: boolean; canary: boolean }): Promise<void>;
  gateState(projectId: string, roundId: string): Promise<GateState>;
  readBatch(ref: BatchRef): Promise<Delivery[]>;
  /**
   * pending (or claimed with an expired lease) → claimed under `leaseId`, and the lease registered
   * so that a pause can see it. Returns false, writing nothing, when any delivery changed meanwhile.
   */
  claim(ref: BatchRef, deliveryIds: readonly string[], leaseId: string, leaseUntil: number, now: number): Promise<boolean>;
  /** claimed (by us) → pending, and the lease dropped: a pause or halt came between claim and send. */
  release(ref: BatchRef, deliveryIds: readonly string[], leaseId: string): Promise<void>;
  /** claimed (by us) → the outcome, with counters, contact ledger and decision time, atomically per chunk. */
  finalize(ref: BatchRef, outcomes: readonly Outcome[], leaseId: string, decidedAt: string): Promise<void>;
  dropLease(ref: BatchRef, leaseId: string): Promise<void>;
  /** pending → cancelled (round cancelled), with counters. */
  cancelPending(ref: BatchRef, deliveryIds: readonly string[], decidedAt: string): Promise<void>;
  /** failed → pending (redrive), with counters. Returns how many moved. */
  redriveFailed(ref: BatchRef, deliveryIds: readonly string[]): Promise<number>;
  progress(roundId: string, planned: number): Promise<RoundProgress>;
  /** Whether the batch already handed on to its successor (so a redelivered message does not start a second chain). */
  wasChained(ref: BatchRef): Promise<boolean>;
  markChained(ref: BatchRef): Promise<void>;
  /**
   * Marks a claim as past the point of no return: from here the worker sends and finalises
   * without looking at the flags again — but only after one more read of them, which it makes
   * after this mark. So a pause either is seen by that read, or sees this mark and waits.
   */
  markSending(ref: BatchRef, leaseId: string): Promise<void>;
  /**
   * Deliveries whose claims are marked sending and not finished, for one project or (undefined)
   * for all; expired leases are not in flight. Claims not yet marked will read the flags again
   * and let go, so they cannot send nor change a count after a pause is acknowledged.
   */
  inFlight(projectId: string | undefined, now: number): Promise<number>;
}
