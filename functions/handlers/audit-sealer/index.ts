import { adapters } from '../../adapters/index.js';
import { sealChangedHeads } from '../../domain/shared/audit.js';
import { logger } from '../../shared/logger.js';

/**
 * The scheduled audit seal: runs every few minutes (EventBridge when deployed, a timer in the local
 * runtime) and seals, in the Object Lock bucket, the head of every audit chain changed since the
 * last run — the projects' chains and the operations chain. A rewrite of the table after that no
 * longer matches the seal, which GET …/audit/verify and npm run audit:verify compare with.
 */
export const handler = async (): Promise<{ chains: number }> => {
  const result = await sealChangedHeads(adapters().auditSealing);
  if (result.chains > 0) logger.info('audit heads sealed', result);
  return result;
};
