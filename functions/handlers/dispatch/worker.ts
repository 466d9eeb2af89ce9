import { z } from 'zod';
import { dispatchAdapters, dispatchSettings } from '../../adapters/dispatch.js';
import { afterBatch } from '../../domain/dispatch/round-progress.js';
import { processBatch } from '../../domain/dispatch/process-batch.js';
import { logger } from '../../shared/logger.js';
import { sqsHandler } from '../../shared/sqs.js';

const message = z.object({
  projectId: z.string().min(1),
  roundId: z.string().min(1),
  batchNo: z.number().int().min(0),
  canary: z.boolean().optional(),
  chain: z.boolean().optional(),
});

/** The dispatch worker: one message = one batch of one round, all gates checked at send time. */
export const handler = sqsHandler(message, async (m) => {
  const d = dispatchAdapters();
  const ref = { projectId: m.projectId, roundId: m.roundId, batchNo: m.batchNo };
  const result = await processBatch(d.worker, ref, { canary: m.canary === true });
  if (result.kind === 'parked') logger.debug('batch parked', { roundId: ref.roundId, batchNo: ref.batchNo, why: result.why });
  if (result.kind === 'done' || result.kind === 'cancelled' || result.kind === 'nothing-to-do') {
    await afterBatch({ store: d.store, rounds: d.rounds, enqueue: (m) => d.dispatchQueue.enqueue(m), window: dispatchSettings().window }, ref, m);
  }
});
