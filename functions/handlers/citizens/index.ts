import { adapters } from '../../adapters/index.js';
import { getReservations, setResearchReservation, withdrawFromProject } from '../../domain/citizens/use-cases.js';
import { config } from '../../shared/config.js';
import { httpHandler, ok, route } from '../../shared/http.js';

/** Stand-ins for the portal's privacy component, as the citizen uses it. `sub` is the citizen's ID: never logged. */
const policy = () => ({ allowSynthetic: config.allowSyntheticNins(), hashKeys: config.hashKeys });

export const routes = {
  'PUT /citizen/reservations/research': route({ roles: ['citizen'] }, async ({ principal }) => ok(await setResearchReservation(adapters().citizens, policy(), principal, true))),
  'DELETE /citizen/reservations/research': route({ roles: ['citizen'] }, async ({ principal }) => ok(await setResearchReservation(adapters().citizens, policy(), principal, false))),
  'GET /citizen/reservations': route({ roles: ['citizen'] }, async ({ principal }) => ok(await getReservations(adapters().citizens, policy(), principal))),
  'POST /citizen/projects/{projectId}/withdraw': route({ roles: ['citizen'] }, async ({ principal, params }) =>
    ok(await withdrawFromProject(adapters().citizens, policy(), principal, params.projectId!)),
  ),
};

export const handler = httpHandler(routes);
