import type { ReceiptsStore } from '../../domain/receipts/ports.js';
import type { DigipostClient } from './digipost.js';

/**
 * Digipost status polling, for the scheduled job: asks Digipost about hand-overs still awaiting a
 * report and records what it says. Errors on one document leave it awaiting for the next run.
 */
export const pollDigipostReceipts = async (
  deps: { receipts: Pick<ReceiptsStore, 'awaitingPoll' | 'settle'>; digipost: Pick<DigipostClient, 'status'>; now?: () => Date },
  limit = 200,
): Promise<{ asked: number; settled: number }> => {
  const awaiting = await deps.receipts.awaitingPoll(limit);
  let settled = 0;
  for (const a of awaiting) {
    const outcome = await deps.digipost.status(a.ref).catch(() => 'awaiting' as const);
    if (outcome === 'awaiting') continue;
    if (await deps.receipts.settle(a.ref, outcome, (deps.now?.() ?? new Date()).toISOString())) settled++;
  }
  return { asked: awaiting.length, settled };
};
