import { adapters } from '../../adapters/index.js';
import { roundsExpectedToProgress } from '../../domain/operations/round-watch.js';
import { config } from '../../shared/config.js';
import { logger } from '../../shared/logger.js';
import { recordDispatchingRounds } from '../../shared/metrics.js';

/**
 * Runs once a minute (EventBridge schedule): publishes how many rounds should be progressing, the
 * gauge the "round made no progress" alarm compares with the batches' RecipientsDecided. Reads
 * rounds by status, the halt state and the projects of those rounds; on a georedundant stage it
 * also writes this region's heartbeat. Needs no hash key.
 */
export const handler = async (): Promise<{ expected: number }> => {
  const { operations, failover } = adapters();
  const [rounds, state] = await Promise.all([operations.rounds.listRoundsByStatus('dispatching'), operations.state.read()]);
  const projectIds = [...new Set(rounds.map((r) => r.projectId))];
  const projects = await Promise.all(projectIds.map((id) => operations.projects.getProject(id)));
  const statuses = new Map(projects.flatMap((p) => (p ? [[p.projectId, p.status] as const] : [])));
  const expected = roundsExpectedToProgress(rounds, state.halted, statuses);
  // Georedundant stages: this region's heartbeat, which GET /operations/status reads as its health.
  if (config.georedundantRegions().length > 0) await failover.heartbeats.beat(config.region(), new Date().toISOString());
  recordDispatchingRounds(expected.length);
  logger.info('round watch', { dispatching: rounds.length, expected: expected.length, halted: state.halted });
  return { expected: expected.length };
};
