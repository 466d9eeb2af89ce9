import type { DispatchMessage, DispatchQueue } from './plan-round.js';
import type { DispatchStore } from './store.js';

/** Rounds with work left, as the operations side needs them. */
export interface ActiveRound {
  readonly projectId: string;
  readonly roundId: string;
  readonly status: string;
  readonly planned: number;
  readonly canarySize?: number;
}

export interface OperationsDeps {
  readonly store: DispatchStore;
  readonly queue: DispatchQueue;
  /** Rounds in `dispatching` or `canary_hold`, of one project or of all. */
  readonly activeRounds: (projectId?: string) => Promise<ActiveRound[]>;
  readonly clock: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** How long pause and halt wait for in-flight deliveries before answering 202. */
export const QUIET_WAIT_MS = 10_000;

/**
 * Waits until no delivery of the project (or, without one, of any project) is in flight — every
 * lease finished or expired. Called after the pause/halt flag is written: from then on no batch
 * can start (it re-reads the flag after claiming), so once this returns 0 nothing more is sent.
 */
export const awaitQuiet = async (deps: OperationsDeps, projectId: string | undefined, maxWaitMs = QUIET_WAIT_MS): Promise<number> => {
  const deadline = deps.clock() + maxWaitMs;
  for (let wait = 5; ; wait = Math.min(100, wait * 2)) {
    const inFlight = await deps.store.inFlight(projectId, deps.clock());
    if (inFlight === 0 || deps.clock() >= deadline) return inFlight;
    await deps.sleep(wait);
  }
};

/**
 * Puts the unfinished batches of active rounds back on the queue. Batches of a paused project are
 * parked (their messages dropped, their deliveries left pending in DynamoDB) rather than left
 * spinning in the queue; this is how they continue on resume, after a halt, on redrive, or after
 * the local queue emulator lost its messages in a restart. Re-enqueueing a batch that still has a
 * message is harmless: a batch is claimed with conditional writes, so the second message finds
 * nothing to do.
 */
export const requeueUnfinished = async (deps: OperationsDeps, projectId?: string): Promise<number> => {
  let enqueued = 0;
  for (const round of await deps.activeRounds(projectId)) {
    const progress = await deps.store.progress(round.roundId, round.planned);
    const messages: DispatchMessage[] = progress.incompleteBatches
      // In canary_hold only the canary's own batches may run; the rest waits for confirmation.
      .filter((b) => round.status !== 'canary_hold' || b.canary)
      .map((b) => ({ projectId: round.projectId, roundId: round.roundId, batchNo: b.batchNo, ...(b.canary ? { canary: true } : {}) }));
    await deps.queue.enqueue(messages);
    enqueued += messages.length;
  }
  return enqueued;
};

