import type { RoundDispatchState } from './release.js';
import type { BatchRef, DispatchStore } from './store.js';

/**
 * After a batch: a round whose every delivery is terminal is completed; a canary round whose
 * canary batches are all done waits in canary_hold for a person to confirm. Both moves are
 * conditional on the status they leave, so concurrent workers make each at most once.
 */
export const afterBatch = async (deps: { store: DispatchStore; rounds: RoundDispatchState }, ref: BatchRef): Promise<void> => {
  const gate = await deps.store.gateState(ref.projectId, ref.roundId);
  const round = gate.round;
  if (!round || !['dispatching', 'cancelled'].includes(round.status)) return;
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
