import { dispatchUseCaseDeps } from '../../adapters/dispatch.js';
import { confirmCanary, release } from '../../domain/dispatch/use-cases.js';
import { httpHandler, ok, route } from '../../shared/http.js';

export const routes = {
  'POST /projects/{projectId}/rounds/{roundId}/release': route({ roles: ['researcher'] }, async ({ principal, params }) =>
    ok(await release(dispatchUseCaseDeps(), principal, params.projectId!, params.roundId!), 202),
  ),
  'POST /projects/{projectId}/rounds/{roundId}/confirm-canary': route({ roles: ['researcher', 'superuser'] }, async ({ principal, params }) =>
    ok(await confirmCanary(dispatchUseCaseDeps(), principal, params.projectId!, params.roundId!)),
  ),
};

export const handler = httpHandler(routes);
