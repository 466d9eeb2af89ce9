import { adapters } from '../../adapters/index.js';
import { pollDigipostReceipts } from '../../adapters/national/receipt-poll.js';
import { logger } from '../../shared/logger.js';

/**
 * The scheduled work of the national integrations (an EventBridge schedule, e.g. every 5 minutes):
 * refresh the privacy-component mirror of every configured definition, and ask Digipost about
 * hand-overs still awaiting a report. A failed refresh leaves the old mirror; once it is older than
 * PRIVACY_MIRROR_MAX_AGE_MS, sending stops (fail closed) until a refresh succeeds.
 */
export const handler = async (): Promise<{ refreshed: number; failed: number; polled: number; settled: number }> => {
  const national = adapters().national();
  let refreshed = 0;
  let failed = 0;
  for (const pvkId of national.pvkIds) {
    try {
      await national.privacy.refresh(pvkId);
      refreshed++;
    } catch (error) {
      failed++;
      logger.error('privacy mirror refresh failed', { error: (error as Error).message });
    }
  }
  const poll = await pollDigipostReceipts({ receipts: national.receipts, digipost: national.digipost });
  logger.info('national jobs', { refreshed, failed, polled: poll.asked, settled: poll.settled });
  return { refreshed, failed, polled: poll.asked, settled: poll.settled };
};
