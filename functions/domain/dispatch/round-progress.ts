import { successorOf, type DispatchMessage } from './plan-round.js';
import type { RoundDispatchState } from './release.js';
import type { BatchRef, DispatchStore } from './store.js';

export interface AfterBatchDeps {
  readonly store: DispatchStore;
  readonly rounds: RoundDispatchState;
  readonly enqueue: (messages: readonly DispatchMessage[]) => Promise<void>;
  readonly window: number;
}

/**
 * After a batch: hand on to the round's next batch (the sliding window of plan-round.ts) — before
 * the message is acknowledged, so a crash here only repeats it — then move the round on: a round
 * whose every delivery is terminal is completed; a canary round whose canary batches are all done
 * waits in canary_hold for a person to confirm. Status moves are conditional on the status they
 * leave, so concurrent workers make each at most once.
 */
export const afterBatch = async (deps: AfterBatchDeps, ref: BatchRef, message: { chain?: boolean }): Promise<void> => {
  // Both reads at once: this runs after every batch.
  const [gate, chained] = await Promise.all([deps.store.gateState(ref.projectId, ref.roundId), message.chain === false ? true : deps.store.wasChained(ref)]);
  const round = gate.round;
  if (!round) return;
  const next = chained ? undefined : successorOf(ref.batchNo, round, deps.window);
  if (next !== undefined && round.status !== 'cancelled') {
    await deps.enqueue([{ projectId: ref.projectId, roundId: ref.roundId, batchNo: next, ...(round.canaryBatches !== undefined && next < round.canaryBatches ? { canary: true } : {}) }]);
    await deps.store.markChained(ref);
  }
  if (!['dispatching', 'cancelled'].includes(round.status)) return;
  const planned = round.planned ?? 0;
  const progress = await deps.store.progress(ref.roundId, planned);
  if (progress.counts.pending === 0 && planned > 0) {
    if (round.status === 'dispatching') await deps.rounds.transition(ref.projectId, ref.roundId, ['dispatching'], 'completed', { completedAt: new Date().toISOString() });
    return;
  }
  if (round.status === 'dispatching' && round.canarySize && !round.canaryConfirmed && progress.canaryComplete) {
    await deps.rounds.transition(ref.projectId, ref.roundId, ['dispatching'], 'canary_hold', { canaryDoneAt: new Date().toISOString() });
  }
};
