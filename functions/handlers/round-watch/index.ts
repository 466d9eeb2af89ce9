import { adapters } from '../../adapters/index.js';
import { DEAD_MARKER_AGE_MS, roundsExpectedToProgress } from '../../domain/operations/round-watch.js';
import { config } from '../../shared/config.js';
import { logger } from '../../shared/logger.js';
import { recordDispatchingRounds } from '../../shared/metrics.js';

/**
 * Runs once a minute (EventBridge schedule): publishes how many rounds should be progressing, the
 * gauge the "round made no progress" alarm compares with the batches' RecipientsDecided. Reads
 * rounds by status, the halt state and the projects of those rounds; on a georedundant stage it
 * also writes this region's heartbeat and removes the region's dead in-flight markers from the fence
 * table. Needs no hash key.
 */
export const handler = async (): Promise<{ expected: number }> => {
  const { operations, failover } = adapters();
  const [rounds, state] = await Promise.all([operations.rounds.listRoundsByStatus('dispatching'), operations.state.read()]);
  const projectIds = [...new Set(rounds.map((r) => r.projectId))];
  const projects = await Promise.all(projectIds.map((id) => operations.projects.getProject(id)));
  const statuses = new Map(projects.flatMap((p) => (p ? [[p.projectId, p.status] as const] : [])));
  const expected = roundsExpectedToProgress(rounds, state.halted, statuses);
  // Georedundant stages: this region's heartbeat, which GET /operations/status reads as its health,
  // and its dead workers' in-flight markers gone from the fence (which has no TTL).
  let swept = 0;
  if (config.georedundantRegions().length > 0) {
    await failover.heartbeats.beat(config.region(), new Date().toISOString());
    swept = await operations.batches.sweepDeadMarkers(Date.now() - DEAD_MARKER_AGE_MS);
  }
  recordDispatchingRounds(expected.length);
  logger.info('round watch', { dispatching: rounds.length, expected: expected.length, halted: state.halted, deadMarkersRemoved: swept });
  return { expected: expected.length };
};
