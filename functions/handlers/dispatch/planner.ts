import { z } from 'zod';
import { dispatchAdapters } from '../../adapters/dispatch.js';
import { planRound } from '../../domain/dispatch/plan-round.js';
import { logger } from '../../shared/logger.js';
import { sqsHandler } from '../../shared/sqs.js';

const message = z.object({ projectId: z.string().min(1), roundId: z.string().min(1) });

/** The planner: fans a released round out into delivery records and dispatch messages. */
export const handler = sqsHandler(message, async (m) => {
  const d = dispatchAdapters();
  const gate = await d.store.gateState(m.projectId, m.roundId);
  const round = gate.round;
  if (!round || !['dispatching', 'canary_hold', 'cancelled'].includes(round.status)) {
    logger.warn('planner: round is not released; nothing to plan', { roundId: m.roundId, status: round?.status });
    return;
  }
  // A cancelled round is still planned, so that every recipient ends in a terminal state (cancelled).
  const result = await planRound(d.planner, { projectId: round.projectId, roundId: round.roundId, listId: round.listId, canarySize: round.canarySize });
  logger.info('round planned', { roundId: round.roundId, ...result });
});
