import { dispatchesIn, isReleased } from '../../rounds/round.js';
import type { EngineDeps, Gate } from '../ports.js';

export type Blocker = 'halted' | 'paused' | 'not_approved' | 'canary_hold' | 'not_dispatching' | 'not_home' | 'rebuilding_ledger';

/**
 * Whether a batch of this round may hand letters over now; the reason to park otherwise. Read
 * before the claim and again before every wave, never cached: the halt flag, the project's status
 * (paused, or no longer approved), the round's status, home region, ledger rebuild and canary, and — when the gate
 * read it — the letter version's approval of exactly the round's content. Test rounds (test sends
 * to synthetic persons, before approval) need no approval. `region`: where this worker runs, on a
 * georedundant stage (a failover moves the round's home: this region then stops within one wave;
 * the home is the round's fence, read with the gate — see readGate).
 */
export const blocker = (gate: Gate, canaryBatch: boolean, region?: string): Blocker | undefined => {
  if (gate.halted) return 'halted';
  const round = gate.round;
  if (!gate.project || gate.project.status === 'paused') return 'paused';
  // A pause the fence holds and no resume has ended: given elsewhere (this region's copy of the project may not show it yet), or pressed after a resume this copy shows.
  if (gate.pauseHeld) return 'paused';
  if (!round || !isReleased(round)) return 'not_dispatching';
  // A round with a home sends only where its fence (strongly consistent, never a stale replica) says: none read, none sent.
  if (region !== undefined && (!dispatchesIn(round, region) || (round.homeRegion !== undefined && gate.fence?.homeRegion !== region))) return 'not_home';
  // Moved by a failover: nothing leaves until the ledger the old home may have lost is rebuilt.
  if (round.ledgerRebuild) return 'rebuilding_ledger';
  if (!round.test) {
    if (gate.project.status !== 'approved') return 'not_approved';
    // An approval reset the fence holds that this region's copy of the project shows no approval since (reset elsewhere, not yet replicated).
    if (gate.approvalResetAt !== undefined && gate.approvalResetAt > (gate.project.reviewedAt ?? '')) return 'not_approved';
    if (gate.version && (!gate.version.approval || gate.version.contentHash !== round.contentHash)) return 'not_approved';
  }
  if (round.status === 'cancelled') return 'not_dispatching';
  const confirmed = round.canaryConfirmed === true;
  // Until a person confirms the canary, only the canary's own batches may send.
  if (!canaryBatch && round.release.layout.canaryBatches > 0 && !confirmed) return 'canary_hold';
  if (round.status === 'dispatching') return undefined;
  return 'not_dispatching';
};

/**
 * The gate, read for one attempt: the round's state and, on a georedundant stage, its fence and the
 * stops as the fence holds them, together (a halt or pause given in another region counts here at
 * once, before this region's replica of the operations state or the project shows it). A fence
 * that cannot be read (a region cut off from the others) throws, and nothing is sent.
 */
export const readGate = async (
  deps: Pick<EngineDeps, 'gate' | 'fence' | 'settings'>,
  projectId: string,
  roundId: string,
  letter?: { readonly letterId: string; readonly version: number },
): Promise<Gate> => {
  if (deps.settings.region === undefined) return deps.gate.read(projectId, roundId, letter);
  const [gate, fence, stops] = await Promise.all([deps.gate.read(projectId, roundId, letter), deps.fence.homeOf(projectId, roundId), deps.fence.stopsOf(projectId)]);
  return {
    ...gate,
    halted: gate.halted || stops.halted,
    ...(fence ? { fence } : {}),
    ...(stops.pauseHeld ? { pauseHeld: true } : {}),
    ...(stops.approvalResetAt ? { approvalResetAt: stops.approvalResetAt } : {}),
  };
};
