import { z } from 'zod';
import { adapters } from '../../adapters/index.js';
import { halt, lookupContacts, operationsStatus, redrive, resumeAll } from '../../domain/dispatch/operations.js';
import { confirmFailover, listPendingFailovers, regionsStatus, requestFailover } from '../../domain/operations/failover.js';
import { globalCitizenKey } from '../../domain/shared/citizen-key.js';
import { recordPauseAck } from '../../shared/metrics.js';
import { config } from '../../shared/config.js';
import { httpHandler, ok, route } from '../../shared/http.js';

const OPS = ['operations'] as const;
const reasonBody = z.strictObject({ reason: z.string().trim().min(3).max(1000) });
/** Only the shape is checked here, and the value never appears in an error (zod's message names the rule, not the input). */
const lookupBody = z.strictObject({ nin: z.string().regex(/^\d{11}$/, 'must be 11 digits') });
const redriveBody = z.strictObject({ roundId: z.string().min(1).max(100).optional() });
/** Georedundant stages (docs/georedundancy.md): `to` is one of the stage's regions. */
const failoverBody = z.strictObject({
  to: z.string().regex(/^[a-z]{2}-[a-z]+-\d$/, 'must be an AWS region name'),
  roundId: z.string().min(1).max(100).optional(),
  reason: z.string().trim().min(3).max(1000),
});
const failoverParams = z.object({ failoverId: z.string().min(1).max(100) });
/** Only pending requests are listed (the ones a second person may confirm); `status` names that, and defaults to it. */
const failoversQuery = z.object({ status: z.literal('pending').optional() });
const failoverView = z.object({
  failoverId: z.string(),
  to: z.string(),
  roundId: z.string().optional(),
  reason: z.string(),
  requestedBy: z.string(),
  requestedByName: z.string().optional(),
  requestedAt: z.string(),
  status: z.enum(['pending', 'executed']),
  confirmedBy: z.string().optional(),
  confirmedByName: z.string().optional(),
  confirmedAt: z.string().optional(),
  moved: z.number().int().min(0).optional(),
});

export const routes = {
  'POST /operations/failover': route({ roles: OPS, body: failoverBody }, async ({ principal, body }) => ok(await requestFailover(adapters().failover, principal, body), 201)),
  'GET /operations/failovers': route({ roles: OPS, query: failoversQuery, describe: { response: z.object({ items: z.array(failoverView) }) } }, async () =>
    ok({ items: await listPendingFailovers(adapters().failover) }),
  ),
  // Four-eyes: a second operations user or a superuser; the domain refuses the one who asked.
  'POST /operations/failover/{failoverId}/confirm': route({ roles: ['operations', 'superuser'] as const }, async ({ principal, params }) =>
    ok(await confirmFailover(adapters().failover, principal, failoverParams.parse(params).failoverId)),
  ),
  'POST /operations/halt': route({ roles: OPS, body: reasonBody }, async ({ principal, body }) => {
    const started = Date.now();
    const result = await halt(adapters().operations, principal, body.reason);
    if (result.inFlight === 0) recordPauseAck(Date.now() - started, 'global');
    return ok(result, result.inFlight === 0 ? 200 : 202);
  }),
  'POST /operations/resume': route({ roles: OPS }, async ({ principal }) => ok(await resumeAll(adapters().operations, principal))),
  // Georedundant stages add `regions: [{name, healthy, homeOf}]` (API.md); single-region: absent.
  'GET /operations/status': route({ roles: OPS }, async () => {
    const [status, regions] = await Promise.all([operationsStatus(adapters().operations), regionsStatus(adapters().failover)]);
    return ok(regions ? { ...status, regions } : status);
  }),
  'POST /operations/contacts/lookup': route({ roles: OPS, body: lookupBody }, async ({ principal, body }) => ({
    status: 200,
    body: { items: await lookupContacts(adapters().operations, principal, body.nin, globalCitizenKey(body.nin, config.hashKeys())) },
  })),
  'POST /operations/redrive': route({ roles: OPS, body: redriveBody }, async ({ principal, body }) => ok(await redrive(adapters().operations, principal, body.roundId))),
};

export const handler = httpHandler(routes);
