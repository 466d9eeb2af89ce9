import { dispatchesIn, isReleased } from '../../rounds/round.js';
import type { Gate } from '../ports.js';

export type Blocker = 'halted' | 'paused' | 'not_approved' | 'canary_hold' | 'not_dispatching' | 'not_home' | 'rebuilding_ledger';

/**
 * Whether a batch of this round may hand letters over now; the reason to park otherwise. Read
 * before the claim and again before every wave, never cached: the halt flag, the project's status
 * (paused, or no longer approved), the round's status, home region, ledger rebuild and canary, and — when the gate
 * read it — the letter version's approval of exactly the round's content. Test rounds (test sends
 * to synthetic persons, before approval) need no approval. `region`: where this worker runs, on a
 * georedundant stage (a failover moves the round's home: this region then stops within one wave).
 */
export const blocker = (gate: Gate, canaryBatch: boolean, region?: string): Blocker | undefined => {
  if (gate.halted) return 'halted';
  const round = gate.round;
  if (!gate.project || gate.project.status === 'paused') return 'paused';
  if (!round || !isReleased(round)) return 'not_dispatching';
  if (region !== undefined && !dispatchesIn(round, region)) return 'not_home';
  // Moved by a failover: nothing leaves until the ledger the old home may have lost is rebuilt.
  if (round.ledgerRebuild) return 'rebuilding_ledger';
  if (!round.test) {
    if (gate.project.status !== 'approved') return 'not_approved';
    if (gate.version && (!gate.version.approval || gate.version.contentHash !== round.contentHash)) return 'not_approved';
  }
  if (round.status === 'cancelled') return 'not_dispatching';
  const confirmed = round.canaryConfirmed === true;
  // Until a person confirms the canary, only the canary's own batches may send.
  if (!canaryBatch && round.release.layout.canaryBatches > 0 && !confirmed) return 'canary_hold';
  if (round.status === 'dispatching') return undefined;
  return 'not_dispatching';
};
