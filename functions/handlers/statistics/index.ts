import { adapters } from '../../adapters/index.js';
import { readStatistics } from '../../domain/statistics/statistics.js';
import { statisticsQuery, statisticsView } from '../../schemas/statistics.js';
import { httpHandler, ok, route } from '../../shared/http.js';

export const routes = {
  'GET /operations/statistics': route({ roles: ['operations'], query: statisticsQuery, describe: { response: statisticsView } }, async ({ query }) =>
    ok({ items: await readStatistics(adapters().statistics, query.from, query.to) }),
  ),
};

export const handler = httpHandler(routes);
