import { z } from 'zod';
import { adapters } from '../../adapters/index.js';
import { halt, lookupContacts, operationsStatus, redrive, resumeAll } from '../../domain/dispatch/operations.js';
import { globalCitizenKey } from '../../domain/shared/citizen-key.js';
import { recordPauseAck } from '../../shared/metrics.js';
import { config } from '../../shared/config.js';
import { httpHandler, ok, route } from '../../shared/http.js';

const OPS = ['operations'] as const;
const reasonBody = z.strictObject({ reason: z.string().trim().min(3).max(1000) });
/** Only the shape is checked here, and the value never appears in an error (zod's message names the rule, not the input). */
const lookupBody = z.strictObject({ nin: z.string().regex(/^\d{11}$/, 'must be 11 digits') });
const redriveBody = z.strictObject({ roundId: z.string().min(1).max(100).optional() });

export const routes = {
  'POST /operations/halt': route({ roles: OPS, body: reasonBody }, async ({ principal, body }) => {
    const started = Date.now();
    const result = await halt(adapters().operations, principal, body.reason);
    if (result.inFlight === 0) recordPauseAck(Date.now() - started, 'global');
    return ok(result, result.inFlight === 0 ? 200 : 202);
  }),
  'POST /operations/resume': route({ roles: OPS }, async ({ principal }) => ok(await resumeAll(adapters().operations, principal))),
  'GET /operations/status': route({ roles: OPS }, async () => ok(await operationsStatus(adapters().operations))),
  'POST /operations/contacts/lookup': route({ roles: OPS, body: lookupBody }, async ({ principal, body }) => ({
    status: 200,
    body: { items: await lookupContacts(adapters().operations, principal, body.nin, globalCitizenKey(body.nin, config.hashKeys())) },
  })),
  'POST /operations/redrive': route({ roles: OPS, body: redriveBody }, async ({ principal, body }) => ok(await redrive(adapters().operations, principal, body.roundId))),
};

export const handler = httpHandler(routes);
