import { adapters } from '../../adapters/index.js';
import { cancelRound, createRound, getRound, listRounds, overrideRound } from '../../domain/rounds/use-cases.js';
import { createRoundBody, overrideRoundBody, roundView } from '../../schemas/rounds.js';
import { config } from '../../shared/config.js';
import { httpHandler, ok, route } from '../../shared/http.js';

const STAFF = ['researcher', 'superuser', 'operations'] as const;
const policy = () => ({ allowSynthetic: config.allowSyntheticNins() });

export const routes = {
  'POST /projects/{projectId}/rounds': route({ roles: ['researcher'], body: createRoundBody }, async ({ principal, params, body }) => {
    const d = adapters().roundDeps;
    const round = await createRound(d, policy(), principal, params.projectId!, body);
    return ok(roundView(await getRound(d, principal, params.projectId!, round.roundId)), 201);
  }),
  'GET /projects/{projectId}/rounds': route({ roles: STAFF }, async ({ principal, params }) =>
    ok({ items: (await listRounds(adapters().roundDeps, principal, params.projectId!)).map(roundView) }),
  ),
  'GET /projects/{projectId}/rounds/{roundId}': route({ roles: STAFF }, async ({ principal, params }) =>
    ok(roundView(await getRound(adapters().roundDeps, principal, params.projectId!, params.roundId!))),
  ),
  'POST /projects/{projectId}/rounds/{roundId}/override': route({ roles: ['superuser'], body: overrideRoundBody }, async ({ principal, params, body }) =>
    ok(roundView(await overrideRound(adapters().roundDeps, principal, params.projectId!, params.roundId!, body.reason))),
  ),
  'POST /projects/{projectId}/rounds/{roundId}/cancel': route({ roles: STAFF }, async ({ principal, params }) =>
    ok(roundView(await cancelRound(adapters().roundDeps, principal, params.projectId!, params.roundId!))),
  ),
};

export const handler = httpHandler(routes);
