import { adapters } from '../../adapters/index.js';
import { csvCell } from '../../domain/letters/form-tasks.js';
import { roundReport } from '../../domain/rounds/report.js';
import { roundReportCsv } from '../../domain/dispatch/report-csv.js';
import { cancelRound } from '../../domain/rounds/cancel.js';
import { createRound } from '../../domain/rounds/create.js';
import { overrideRound } from '../../domain/rounds/override.js';
import { getRound, getRoundWithReceipts, lettersSentSince, listRounds } from '../../domain/rounds/read.js';
import { createRoundBody, overrideRoundBody, roundView, sentSinceQuery } from '../../schemas/rounds.js';
import { config } from '../../shared/config.js';
import { httpHandler, ok, route } from '../../shared/http.js';

const STAFF = ['researcher', 'superuser', 'operations'] as const;
const policy = () => ({ allowSynthetic: config.allowSyntheticNins() });

export const routes = {
  'POST /projects/{projectId}/rounds': route({ roles: ['researcher'], body: createRoundBody }, async ({ principal, params, body }) => {
    const d = adapters().rounds;
    const round = await createRound(d, policy(), principal, params.projectId!, body);
    // A large list is prepared in the background: 202 with the round to poll.
    if (round.status === 'preparing') return ok({ roundId: round.roundId, status: round.status }, 202);
    return ok(roundView(await getRound(d, principal, params.projectId!, round.roundId)), 201);
  }),
  'GET /projects/{projectId}/rounds': route({ roles: STAFF }, async ({ principal, params }) => ok({ items: (await listRounds(adapters().rounds, principal, params.projectId!)).map(roundView) })),
  'GET /projects/{projectId}/sent-since': route({ roles: ['operations'], query: sentSinceQuery }, async ({ principal, params, query }) =>
    ok(await lettersSentSince(adapters().rounds, principal, params.projectId!, query.at!)),
  ),
  'GET /projects/{projectId}/rounds/{roundId}': route({ roles: STAFF }, async ({ principal, params }) => {
    const { receipts, ...view } = await getRoundWithReceipts(adapters().rounds, principal, params.projectId!, params.roundId!);
    return ok({ ...roundView(view), ...(receipts ? { receipts } : {}) });
  }),
  /** The board's record of a round; `?format=csv`: one pseudonymous row per recipient. */
  'GET /projects/{projectId}/rounds/{roundId}/report': route({ roles: STAFF }, async ({ principal, params, query }) => {
    if (query.format === 'csv') {
      const rows = await roundReportCsv(adapters().rounds, principal, params.projectId!, params.roundId!);
      return { status: 200, contentType: 'text/csv; charset=utf-8', text: rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n' };
    }
    return ok(await roundReport(adapters().rounds, principal, params.projectId!, params.roundId!));
  }),
  'POST /projects/{projectId}/rounds/{roundId}/override': route({ roles: ['superuser'], body: overrideRoundBody }, async ({ principal, params, body }) =>
    ok(roundView(await overrideRound(adapters().rounds, principal, params.projectId!, params.roundId!, body.reason))),
  ),
  'POST /projects/{projectId}/rounds/{roundId}/cancel': route({ roles: STAFF }, async ({ principal, params }) =>
    ok(roundView(await cancelRound(adapters().rounds, principal, params.projectId!, params.roundId!))),
  ),
};

export const handler = httpHandler(routes);
