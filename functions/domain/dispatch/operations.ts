import { windowStarts, type DispatchMessage, type DispatchQueue } from './plan-round.js';
import type { DispatchStore } from './store.js';

/** Rounds with work left, as the operations side needs them. */
export interface ActiveRound {
  readonly projectId: string;
  readonly roundId: string;
  readonly status: string;
  readonly planned: number;
  readonly canarySize?: number;
  readonly canaryConfirmed?: boolean;
}

export interface OperationsDeps {
  readonly store: DispatchStore;
  readonly queue: DispatchQueue;
  /** Rounds in `dispatching` or `canary_hold`, of one project or of all. */
  readonly activeRounds: (projectId?: string) => Promise<ActiveRound[]>;
  readonly clock: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Messages a round may have on the queue at a time (plan-round.ts windowStarts). */
  readonly window: number;
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
export const requeueUnfinished = async (deps: OperationsDeps, projectId?: string): Promise<number> =>
  requeueRounds(deps, await deps.activeRounds(projectId));

/** The same for rounds the caller already read (strongly consistent, right after changing them). */
export const requeueRounds = async (deps: Pick<OperationsDeps, 'store' | 'queue' | 'window'>, rounds: readonly ActiveRound[]): Promise<number> => {
  let enqueued = 0;
  for (const round of rounds) {
    const progress = await deps.store.progress(round.roundId, round.planned);
    // Until the canary is confirmed only its own batches may run; the rest waits.
    const runnable = progress.incompleteBatches.filter((b) => b.canary || !round.canarySize || round.canaryConfirmed === true);
    const canary = new Set(runnable.filter((b) => b.canary).map((b) => b.batchNo));
    const messages: DispatchMessage[] = windowStarts(runnable.map((b) => b.batchNo), deps.window).map((batchNo) => ({
      projectId: round.projectId,
      roundId: round.roundId,
      batchNo,
      ...(canary.has(batchNo) ? { canary: true } : {}),
    }));
    await deps.queue.enqueue(messages);
    enqueued += messages.length;
  }
  return enqueued;
};


/**
 * After the queue lost its messages (the local emulator keeps them in memory), DynamoDB still
 * knows everything: rounds whose fan-out did not finish are planned again (the planner resumes
 * from its cursor without duplicates) and unfinished batches of the rest go back on the queue.
 * Paused projects and a halt are respected: their batches stay parked.
 */
export const recoverActiveRounds = async (
  deps: OperationsDeps & {
    halted: () => Promise<boolean>;
    pausedProjects: () => Promise<Set<string>>;
    planningUnfinished: (projectId: string, roundId: string) => Promise<boolean>;
    startPlanning: (projectId: string, roundId: string) => Promise<void>;
  },
): Promise<{ replanned: number; requeued: number }> => {
  if (await deps.halted()) return { replanned: 0, requeued: 0 };
  const paused = await deps.pausedProjects();
  let replanned = 0;
  let requeued = 0;
  for (const round of await deps.activeRounds()) {
    if (paused.has(round.projectId)) continue;
    if (await deps.planningUnfinished(round.projectId, round.roundId)) {
      await deps.startPlanning(round.projectId, round.roundId);
      replanned++;
    }
  }
  for (const projectId of new Set((await deps.activeRounds()).map((r) => r.projectId))) {
    if (!paused.has(projectId)) requeued += await requeueUnfinished(deps, projectId);
  }
  return { replanned, requeued };
};
