import { z } from 'zod';
import { adapters } from '../../adapters/index.js';
import { processBatch } from '../../domain/dispatch/engine.js';
import { delaySecondsOf, rebuildLedger } from '../../domain/dispatch/rebuild-ledger.js';
import { logger, setLogKeys } from '../../shared/logger.js';
import { recordBatch } from '../../shared/metrics.js';
import { sqsHandler } from '../../shared/sqs.js';

const batch = z.object({
  projectId: z.string().min(1),
  roundId: z.string().min(1),
  batchNo: z.number().int().min(0),
  chain: z.boolean().optional(),
  retry: z.number().int().min(0).optional(),
});
const rebuild = z.object({
  kind: z.literal('rebuild-ledger'),
  rounds: z.array(z.object({ projectId: z.string().min(1), roundId: z.string().min(1), epoch: z.number().int().min(1) })).min(1),
  at: z.object({ round: z.number().int().min(0), batch: z.number().int().min(0) }),
  notBefore: z.number().int().min(0).optional(),
});
const message = z.union([rebuild, batch]);

/** Time a rebuild job keeps for re-enqueuing itself when it has not finished. */
const REBUILD_MARGIN_MS = 5_000;

/**
 * The dispatch worker: one message = one batch of one round, every gate checked at send time.
 * A batch that must come back (a registry down, a channel's transient failure) is put back on the
 * queue with a delay that grows with its retries, so nothing spins; a parked batch (paused,
 * halted, canary) is dropped, and resume puts its chain back from the store.
 */
export const handler = sqsHandler(message, async (m, _record, context) => {
  const { engine, ledgerRebuild } = adapters();
  const remaining = context?.getRemainingTimeInMillis();
  if ('kind' in m) {
    // A failover's ledger rebuild (dispatch/rebuild-ledger.ts): as far as this invocation goes, then on from there.
    const next = await rebuildLedger(ledgerRebuild, m, Date.now() + (remaining ?? 60_000) - REBUILD_MARGIN_MS);
    // Not yet due (the old home's last waves may still run): back on the queue until it is.
    if (next) await ledgerRebuild.queue.enqueue([next], { delaySeconds: delaySecondsOf(next, Date.now()) });
    else logger.info('ledger rebuilt after a failover', { rounds: m.rounds.map((r) => r.roundId) });
    return;
  }
  setLogKeys({ projectId: m.projectId, roundId: m.roundId, batch: m.batchNo });
  // Georedundant stages: a round is dispatched only in its home region, checked by the engine at
  // every gate read (before the claim and before every wave): a message of a round homed elsewhere
  // is parked and dropped here (a failover requeues the round's work in its new home).
  const started = Date.now();
  // Every budget of the batch derives from the invocation's remaining time: no channel call of ours
  // outlives the invocation (a frozen Lambda must not resume one in the next).
  const result = await processBatch(engine, m, remaining !== undefined ? { deadline: started + remaining } : {});
  // Every batch that ran reports, also one that decided nobody: the stall alarm reads the zeros.
  if (result.kind === 'committed') recordBatch({ ...result.tally, batchMs: Date.now() - started });
  else if (result.kind === 'waiting') recordBatch({ sent: 0, skippedByReason: {}, failedByChannel: {}, batchMs: Date.now() - started });
  const retry = (m.retry ?? 0) + 1;
  if (result.kind === 'waiting') {
    logger.info('batch waits for a registry', { roundId: m.roundId, batchNo: m.batchNo, registry: result.registry, retry });
    await engine.queue.enqueue([{ ...m, retry }], { delaySeconds: result.retryInMs / 1000 });
  } else if (result.kind === 'committed' && result.retryInMs !== undefined) {
    await engine.queue.enqueue([{ projectId: m.projectId, roundId: m.roundId, batchNo: m.batchNo, chain: false, retry }], { delaySeconds: result.retryInMs / 1000 });
  } else if (result.kind === 'busy') {
    // Never drop work another worker may have died holding: look again once its lease has ended.
    await engine.queue.enqueue([m], { delaySeconds: result.retryInMs / 1000 });
  } else if (result.kind === 'parked') {
    if (result.why === 'not_home') logger.info('batch not dispatched here: the round is homed in another region', { roundId: m.roundId, batchNo: m.batchNo });
    else logger.debug('batch parked', { roundId: m.roundId, batchNo: m.batchNo, why: result.why });
  }
});
