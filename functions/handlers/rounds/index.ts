import { adapters } from '../../adapters/index.js';
import { cancelRound, createRound, getRound, listRounds, overrideRound } from '../../domain/rounds/use-cases.js';
import { createRoundBody, overrideRoundBody, roundView } from '../../schemas/rounds.js';
import { config } from '../../shared/config.js';
import { httpHandler, ok, route } from '../../shared/http.js';

const STAFF = ['researcher', 'superuser', 'operations'] as const;
const policy = () => ({ allowSynthetic: config.allowSyntheticNins() });

export const routes = {
  'POST /projects/{projectId}/rounds': route({ roles: ['researcher'], body: createRoundBody }, async ({ principal, params, body }) => {
    const round = await createRound(adapters(), policy(), principal, params.projectId!, body);
    return ok({ ...roundView(round), roundId: round.roundId, status: round.status, preflight: round.preflight, findings: round.findings }, 201);
  }),
  'GET /projects/{projectId}/rounds': route({ roles: STAFF }, async ({ principal, params }) =>
    ok({ items: (await listRounds(adapters(), principal, params.projectId!)).map(roundView) }),
  ),
  'GET /projects/{projectId}/rounds/{roundId}': route({ roles: STAFF }, async ({ principal, params }) =>
    ok(roundView(await getRound(adapters(), principal, params.projectId!, params.roundId!))),
  ),
  'POST /projects/{projectId}/rounds/{roundId}/override': route({ roles: ['superuser'], body: overrideRoundBody }, async ({ principal, params, body }) =>
    ok(roundView(await overrideRound(adapters(), principal, params.projectId!, params.roundId!, body.reason))),
  ),
  'POST /projects/{projectId}/rounds/{roundId}/cancel': route({ roles: STAFF }, async ({ principal, params }) =>
    ok(roundView(await cancelRound(adapters(), principal, params.projectId!, params.roundId!))),
  ),
};

export const handler = httpHandler(routes);
