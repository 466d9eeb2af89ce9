import { z } from 'zod';
import { adapters } from '../../adapters/index.js';
import { prepareChunk } from '../../domain/rounds/prepare.js';
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
 * preparing (cancelled, or already prepared) is dropped.
 */
export const handler = sqsHandler(message, async (m) => {
  const a = adapters();
  setLogKeys({ projectId: m.projectId, roundId: m.roundId });
  const result = await prepareChunk(a.roundDeps, { allowSynthetic: config.allowSyntheticNins() }, m);
  if (result.kind === 'waiting') {
    logger.info('preparation chunk waits for a registry', { roundId: m.roundId, chunk: m.chunk, registry: result.registry });
    await a.prepareQueue.enqueue([m], { delaySeconds: result.retryInMs / 1000 });
  } else if (result.kind === 'finished') logger.info('round prepared', { roundId: m.roundId, status: result.status });
  else if (result.kind === 'dropped') logger.debug('preparation chunk dropped', { roundId: m.roundId, chunk: m.chunk, why: result.why });
});
