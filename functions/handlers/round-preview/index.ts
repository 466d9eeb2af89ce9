import { adapters } from '../../adapters/index.js';
import { parsePreviewCount, previewRound } from '../../domain/rounds/preview.js';
import { httpHandler, ok, route } from '../../shared/http.js';

const STAFF = ['researcher', 'superuser', 'operations'] as const;

/**
 * The round preview has its own area (Lambda): it reads the first slice of a list and renders
 * letters, which the rounds Lambda does not need to be sized for.
 */
export const routes = {
  'GET /projects/{projectId}/rounds/{roundId}/preview': route({ roles: STAFF }, async ({ principal, params, query }) =>
    ok(await previewRound(adapters().preview, principal, params.projectId!, params.roundId!, parsePreviewCount(query.count))),
  ),
};

export const handler = httpHandler(routes);
