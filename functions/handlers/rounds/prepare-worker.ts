import { z } from 'zod';
import { adapters } from '../../adapters/index.js';
import { queues } from '../../../lib/resources.js';
import { prepareChunkOrNoteFailure } from '../../domain/rounds/preparation-failure.js';
import { config } from '../../shared/config.js';
import { logger, setLogKeys } from '../../shared/logger.js';
import { sqsHandler } from '../../shared/sqs.js';

const message = z.object({
  projectId: z.string().min(1),
  roundId: z.string().min(1),
  chunk: z.number().int().min(0),
});

/**
 * The prepare worker: one message = one chunk of a preparing round's pre-flight (issue 22). A chunk
 * that waits for a registry goes back on the queue with a delay; one of a round no longer
 * preparing (cancelled, or already prepared) is dropped; one that fails on its last allowed receive
 * is noted on the round (preparation-failure.ts) and goes to the dead-letter queue.
 */
export const handler = sqsHandler(message, async (m, record) => {
  const { rounds } = adapters();
  setLogKeys({ projectId: m.projectId, roundId: m.roundId });
  // The last receive the queue allows: a failure now sends the chunk to the DLQ, so the round notes it.
  const last = Number(record.attributes.ApproximateReceiveCount) >= queues.prepare.maxReceiveCount;
  const result = await prepareChunkOrNoteFailure(rounds, { allowSynthetic: config.allowSyntheticNins() }, m, { last });
  if (result.kind === 'waiting') {
    logger.info('preparation chunk waits for a registry', { roundId: m.roundId, chunk: m.chunk, registry: result.registry });
    await rounds.prepareQueue.enqueue([m], { delaySeconds: result.retryInMs / 1000 });
  } else if (result.kind === 'finished') logger.info('round prepared', { roundId: m.roundId, status: result.status });
  else if (result.kind === 'dropped') logger.debug('preparation chunk dropped', { roundId: m.roundId, chunk: m.chunk, why: result.why });
});
