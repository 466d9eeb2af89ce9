import { z } from 'zod';
import { adapters } from '../../adapters/index.js';
import { recordMessageToCitizen, recordPrivacySettingChange } from '../../domain/receipts/use-cases.js';
import { httpHandler, ok, route } from '../../shared/http.js';
import { logger } from '../../shared/logger.js';

/**
 * Callbacks from ePROM: the receipt of a message to a citizen, and a citizen's changed privacy
 * setting (registry-specific reservation). No JWT: ePROM authenticates with the agreed API key
 * (in the body for receipts, in the Authorization header for privacy settings).
 */
const channelCode = z.union([
  z.number().int().min(0).max(4),
  z.enum(['None', 'Helsenorge', 'DigitalMailbox', 'Unsecure', 'PhysicalMailbox']).transform((n) => ['None', 'Helsenorge', 'DigitalMailbox', 'Unsecure', 'PhysicalMailbox'].indexOf(n)),
]);
const sentStatus = z.union([z.number().int().min(0).max(1), z.enum(['Sent', 'Error']).transform((s) => (s === 'Sent' ? 0 : 1))]);

export const messageToCitizenBody = z.object({
  apiKey: z.string().max(500),
  messageToCitizenId: z.string().min(1).max(200),
  notificationChannel: channelCode,
  sentStatus,
});

export const personvernInnstillingBody = z.object({
  nationalId: z.string().regex(/^\d{11}$/),
  id: z.string().min(1).max(200),
  name: z.string().max(500).optional(),
  status: z.enum(['RES', 'IRES', 'SAM', 'ISAM']),
});

/** Refusals are logged too — the code only, never the body (it holds a national ID or the key). */
const logged = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
  try {
    return await run();
  } catch (e) {
    logger.warn(`${what} refused`, { code: (e as { code?: string }).code ?? 'ERROR' });
    throw e;
  }
};

const basicKey = (headers: Record<string, string | undefined>): string => /^Basic\s+(.+)$/i.exec(headers.authorization ?? '')?.[1]?.trim() ?? '';

export const routes = {
  'PUT /api/MessageToCitizen': route({ roles: [], callback: true, body: messageToCitizenBody }, async ({ body }) => {
    const deps = adapters().receiptCallbacks();
    const result = await logged('ePROM receipt', () => recordMessageToCitizen(deps, body));
    // No personal data: the channel's message id, the channel and the outcome only.
    // One line per letter at national scale is noise: a recorded receipt is logged at debug, a parked one (rare) at info.
    const fields = { outcome: result.outcome, notificationChannel: body.notificationChannel };
    if (result.parked) logger.info('ePROM receipt parked until its hand-over is recorded', fields);
    else logger.debug('ePROM receipt recorded', fields);
    return ok({ success: true });
  }),
  'PUT /api/PersonvernInnstilling': route({ roles: [], callback: true, body: personvernInnstillingBody }, async ({ body, headers }) => {
    const deps = adapters().privacyCallbacks();
    const result = await logged('privacy setting change', () => recordPrivacySettingChange(deps, basicKey(headers), body));
    logger.info('privacy setting change', { mirrored: result.mirrored, status: body.status });
    return ok({ success: true });
  }),
};

export const handler = httpHandler(routes);
