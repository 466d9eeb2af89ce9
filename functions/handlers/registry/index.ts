import { adapters } from '../../adapters/index.js';
import { importPopulationFacts, importReservations, setRegistryOutage } from '../../domain/citizens/use-cases.js';
import { registryOutageBody, registryPopulationBody, registryReservationsBody } from '../../schemas/citizens.js';
import { config } from '../../shared/config.js';
import { httpHandler, ok, route } from '../../shared/http.js';

/** Local stand-ins for the national registries, fed by operations (bulk import). */
const policy = () => ({ allowSynthetic: config.allowSyntheticNins(), hashKeys: config.hashKeys });

export const routes = {
  'PUT /registry/reservations': route({ roles: ['operations'], body: registryReservationsBody }, async ({ body }) =>
    ok(await importReservations(adapters().citizens, policy(), body.nins, body.reserved)),
  ),
  'PUT /registry/population': route({ roles: ['operations'], body: registryPopulationBody }, async ({ body }) => {
    const { nins, ...facts } = body;
    return ok(await importPopulationFacts(adapters().citizens, policy(), nins, facts));
  }),
  'PUT /registry/outage': route({ roles: ['operations'], body: registryOutageBody }, async ({ body }) => ok(await setRegistryOutage(adapters().citizens, body.registry, body.down))),
};

export const handler = httpHandler(routes);
