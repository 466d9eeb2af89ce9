import { adapters } from '../../adapters/index.js';
import { fireDueSchedules } from '../../domain/rounds/release-round.js';
import { logger } from '../../shared/logger.js';
import { ensureSecrets } from '../../shared/secrets.js';

/**
 * Scheduled releases: runs once a minute (EventBridge when deployed, a timer in the local
 * runtime) and releases every round whose time has come — checking every gate again, as a
 * release by hand does. A refused one goes back to `ready` with the refusal as a finding.
 */
export const handler = async (): Promise<{ released: number; refused: number }> => {
  await ensureSecrets();
  const result = await fireDueSchedules(adapters().rounds);
  if (result.released + result.refused > 0) logger.info('scheduled releases', result);
  return result;
};
